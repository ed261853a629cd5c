/**
 * The preconditions of the Raft log's calls (spec §3, RLG-020 to RLG-029), as pure functions of the
 * log's visible state. Both implementations call them before changing anything, so an invalid call
 * changes nothing and both reject it with the same code. Each returns whether the call changes the
 * state, so that a call that changes nothing also writes nothing.
 */
import { LsfsError } from '../errors.js';
import type { Snapshot } from './log-api.js';
import { requireCount, requireId, requireIndex } from './values.js';

/** What the rules look at: the hard state and the log's ends. */
export interface LogView {
  readonly term: number;
  readonly votedFor: string | undefined;
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** 0 without a snapshot. */
  readonly snapshotIndex: number;
  /** 0 without a snapshot. */
  readonly snapshotTerm: number;
}

function invalid(message: string): LsfsError {
  return new LsfsError('INVALID_ARGUMENT', message);
}

function outOfRange(message: string): LsfsError {
  return new LsfsError('INDEX_OUT_OF_RANGE', message);
}

/** RLG-020: the term never goes down; the same term changes nothing (and keeps the vote). */
export function termChanges(view: LogView, term: unknown): boolean {
  const value = requireCount(term, 'a term');
  if (value < view.term) throw invalid(`the term cannot go back from ${view.term} to ${value}`);
  return value > view.term;
}

/** RLG-020: the next term must still be a safe integer. */
export function nextTerm(view: LogView): number {
  if (view.term >= Number.MAX_SAFE_INTEGER) throw invalid('the term cannot grow past 2^53 − 1');
  return view.term + 1;
}

/** RLG-021: one vote per term; voting again for the same node changes nothing. */
export function voteChanges(view: LogView, nodeId: unknown): boolean {
  const id = requireId(nodeId, 'a vote');
  if (view.votedFor === undefined) return true;
  if (view.votedFor !== id) throw invalid(`already voted for ${view.votedFor} in term ${view.term}`);
  return false;
}

/** RLG-022: terms never go down along the log, starting from the term before the first new entry. */
export function checkEntryTerms(previousTerm: number, terms: readonly number[]): void {
  let before = previousTerm;
  for (const term of terms) {
    if (term < before) throw invalid(`an entry term ${term} is below the term ${before} of the entry before it`);
    before = term;
  }
}

/** The index the first of `count` appended entries gets; the log cannot grow past 2^53 − 1. */
export function appendIndexOf(view: LogView, count: number): number {
  if (view.lastIndex + count > Number.MAX_SAFE_INTEGER) throw invalid('the log cannot grow past index 2^53 − 1');
  return view.lastIndex + 1;
}

/**
 * RLG-023 and RLG-024: where `insert` and `deleteAllFrom` may cut the log: above the snapshot, at
 * most one past the end, and above the commit index. Returns the checked index.
 */
export function checkCutIndex(view: LogView, index: unknown, what: string): number {
  const value = requireIndex(index, what);
  if (value <= view.snapshotIndex) throw outOfRange(`${what} ${value} is at or below the snapshot index ${view.snapshotIndex}`);
  if (value > view.lastIndex + 1) throw outOfRange(`${what} ${value} is beyond the next index ${view.lastIndex + 1}`);
  if (value <= view.commitIndex) throw invalid(`${what} ${value} would delete committed entries (commit index ${view.commitIndex})`);
  return value;
}

/** The index of an `insert`: the entry must carry one. */
export function insertIndexOf(entry: unknown): unknown {
  return typeof entry === 'object' && entry !== null ? (entry as { index?: unknown }).index : undefined;
}

/** RLG-025: the commit index rises to an index of the log, and never goes down. */
export function commitChanges(view: LogView, index: unknown): number | undefined {
  const value = requireIndex(index, 'a commit index');
  if (value > view.lastIndex) throw outOfRange(`cannot commit ${value}: the last index is ${view.lastIndex}`);
  return value > view.commitIndex ? value : undefined;
}

/** RLG-026: the applied index rises to a committed index, and never goes down. */
export function applyChanges(view: LogView, index: unknown): number | undefined {
  const value = requireIndex(index, 'an applied index');
  if (value > view.lastIndex) throw outOfRange(`cannot apply ${value}: the last index is ${view.lastIndex}`);
  if (value > view.commitIndex) throw invalid(`cannot apply ${value}: the commit index is ${view.commitIndex}`);
  return value > view.appliedIndex ? value : undefined;
}

/** Checks a snapshot's shape: an index ≥ 1 and a term ≥ 0. */
export function snapshotOf(value: unknown): Snapshot {
  if (typeof value !== 'object' || value === null) throw invalid('a snapshot must be an object');
  const snapshot = value as Snapshot;
  const index = requireIndex(snapshot.index, 'a snapshot index');
  return { index, term: requireCount(snapshot.term, 'a snapshot term') };
}

/**
 * RLG-027: a snapshot never goes back, and it may keep entries after it only if the entry it ends
 * at agrees with it. `termAtIndex` is the term of the held entry at `snapshot.index`, if any.
 * Returns whether the snapshot changes anything.
 */
export function snapshotChanges(view: LogView, snapshot: Snapshot, termAtIndex: number | undefined): boolean {
  if (snapshot.index < view.snapshotIndex) throw invalid(`a snapshot at ${snapshot.index} is below the current one at ${view.snapshotIndex}`);
  if (snapshot.index === view.snapshotIndex) {
    if (snapshot.term !== view.snapshotTerm) throw invalid(`a snapshot at ${snapshot.index} with term ${snapshot.term} contradicts the current one with term ${view.snapshotTerm}`);
    return false;
  }
  if (snapshot.index < view.lastIndex && termAtIndex !== undefined && termAtIndex !== snapshot.term) {
    throw invalid(`a snapshot at ${snapshot.index} with term ${snapshot.term} contradicts the entry there (term ${termAtIndex}), and entries follow it`);
  }
  return true;
}

/** The index of the first entry held, or undefined when the log holds none (RLG-028). */
export function firstIndexOf(view: LogView): number | undefined {
  return view.lastIndex > view.snapshotIndex ? view.snapshotIndex + 1 : undefined;
}
