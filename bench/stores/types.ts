/**
 * One interface over every store the benchmarks compare: a Raft-style log of entries
 * `{index, term, command}`. Each store keeps its data in a directory of its own.
 */
import type { Entry } from '../lib/data.js';

export type StoreId = 'lsfs' | 'raw' | 'sqlite' | 'lmdb' | 'level';

export interface OpenOptions {
  /** True: every append resolves only once it is durable (fdatasync or the store's equivalent). */
  readonly durable: boolean;
}

export interface LastEntry {
  readonly index: number;
  readonly term: number;
}

export interface LogHandle {
  /** Appends entries in order; durable when it resolves if the log was opened durable. */
  appendBatch(entries: readonly Entry[]): Promise<void>;
  /** Appends one entry; concurrent callers may share one sync (the store's group commit, if any). */
  appendOne(entry: Entry): Promise<void>;
  /** Hands everything appended so far to the operating system (the end of an unsynced run). */
  drain(): Promise<void>;
  /** The last entry's index and term. */
  last(): Promise<LastEntry | undefined>;
  /** Reads entry `index`; returns its command's length (so that the read cannot be optimized away). */
  get(index: number): Promise<number> | number;
  /** The store's closest equivalent of a full verify scan; returns the entries it went over. */
  verify(): Promise<number>;
  close(): Promise<void>;
}

export interface Store {
  readonly id: StoreId;
  readonly label: string;
  /** Package and version, or what the store is. */
  readonly version: string;
  /** The settings a durable and an unsynced log use, for the report. */
  readonly settings: { readonly durable: string; readonly unsynced: string };
  /** What `verify()` measures for this store. */
  readonly verifyMeasures: string;
  open(dir: string, options: OpenOptions): Promise<LogHandle>;
  /** Brings a closed store to its resting state before its disk usage is measured. */
  settle?(dir: string): Promise<void>;
}
