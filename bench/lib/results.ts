/** The JSON written to bench/results/<timestamp>.json, and what is derived from it. */
import type { MachineInfo } from './machine.js';
import type { Profile } from './profile.js';
import type { StoreId } from '../stores/types.js';

export interface SampleJson {
  value: number;
  score: number;
  extra?: Record<string, number>;
}

export interface StoreResult {
  samples: SampleJson[];
  /** Median of the samples' values, in the row's unit. */
  value: number;
  /** Median of the samples' scores (higher is better). */
  score: number;
  /** This store's score ÷ LSFS's: below 1, LSFS is ahead. Undefined for LSFS itself. */
  ratio?: number;
  /** (max − min) / 2 / median of the values. */
  spread: number;
  error?: string;
}

export interface RowJson {
  id: string;
  workload: number;
  title: string;
  short?: string;
  unit: string;
  better: 'higher' | 'lower';
  note?: string;
  reps: number;
  results: Partial<Record<StoreId, StoreResult>>;
}

export interface StoreJson {
  id: StoreId;
  label: string;
  version: string;
  settings: { durable: string; unsynced: string };
  verifyMeasures: string;
}

export interface BuildJson {
  size: number;
  store: StoreId;
  entries: number;
  buildMs: number;
  apparentBytes: number;
  allocatedBytes: number;
}

export interface TargetJson {
  id: string;
  text: string;
  met: boolean;
  measured: string;
}

export interface Results {
  format: 'lsfs-bench/1';
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  /** 1, 5 and 15 minute load averages when the run ended. */
  loadAverageEnd: number[];
  command: string;
  nodeFlags: string[];
  profile: Profile;
  machine: MachineInfo;
  lsfsVariant: string;
  stores: StoreJson[];
  missing: { id: StoreId; reason: string }[];
  skipped: string[];
  builds: BuildJson[];
  rows: RowJson[];
  targets: TargetJson[];
}
