/**
 * Everything a caller can observe of a Raft log, as plain data, so that two logs (or one log
 * before and after a crash) can be compared with one `toEqual` and a readable diff.
 */
import { LsfsError } from '../../../src/errors.js';
import type { LogAPI, LogEntry } from '../../../src/raft/index.js';

export interface ObservedEntry extends Omit<LogEntry, 'command' | 'result'> {
  readonly command: string;
  readonly result: string | undefined;
}

export interface Observed {
  term: number;
  votedFor: string | undefined;
  uri: string | undefined;
  broken: boolean;
  firstIndex: number | undefined;
  lastIndex: number;
  lastTerm: number;
  commitIndex: number;
  appliedIndex: number;
  snapshot: unknown;
  clusterConfig: unknown;
  stats: unknown;
  /** read(i) for every i from 1 to last index + 1; `undefined` where there is no entry. */
  entries: (ObservedEntry | undefined)[];
  last: ObservedEntry | undefined;
}

/** An entry with its bytes as hex, for diffs. */
export function plainEntry(entry: LogEntry | undefined): ObservedEntry | undefined {
  if (entry === undefined) return undefined;
  return { ...entry, command: Buffer.from(entry.command).toString('hex'), result: entry.result === undefined ? undefined : Buffer.from(entry.result).toString('hex') };
}

/** The stats that do not depend on the clock or on the storage. */
export async function stableStats(log: LogAPI): Promise<unknown> {
  const { firstIndex, lastIndex, lastTerm, recordCount, recordsSinceSnapshot, snapshotIndex } = await log.getStats();
  return { firstIndex, lastIndex, lastTerm, recordCount, recordsSinceSnapshot, snapshotIndex };
}

export async function observe(log: LogAPI): Promise<Observed> {
  const lastIndex = await log.getLastIndex();
  const entries: (ObservedEntry | undefined)[] = [];
  for (let index = 1; index <= lastIndex + 1; index++) entries.push(plainEntry(await log.read(index)));
  return {
    term: await log.getTerm(),
    votedFor: await log.getVotedFor(),
    uri: await log.getUri(),
    broken: await log.getBroken(),
    firstIndex: await log.getFirstIndex(),
    lastIndex,
    lastTerm: await log.getLastTerm(),
    commitIndex: await log.getCommitIndex(),
    appliedIndex: await log.getAppliedIndex(),
    snapshot: await log.getSnapshot(),
    clusterConfig: await log.getClusterConfig(),
    stats: await stableStats(log),
    entries,
    last: plainEntry(await log.read()),
  };
}

/** What a call did: its value, or the code of the `LsfsError` it threw. Other errors propagate. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: string };

export async function outcome<T>(call: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (error instanceof LsfsError) return { ok: false, code: error.code };
    throw error;
  }
}

/** The code a call rejects with ('resolved' if it does not). */
export async function codeOf(call: () => Promise<unknown>): Promise<string> {
  const result = await outcome(call);
  return result.ok ? 'resolved' : result.code;
}

export const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
export const text = (value: string): Uint8Array => new TextEncoder().encode(value);
