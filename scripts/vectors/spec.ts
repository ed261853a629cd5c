/** How case modules describe a case; the generator turns each into a manifest case. */
import type { FileParams } from './assembler.js';
import type { ReaderRequests } from './expect.js';
import type { RaftTrace } from './raft-trace.js';

interface SpecBase {
  /** Stable, path-like: lowercase letters, digits and `-_./`. */
  readonly id: string;
  /** One line: what the case tests and why. */
  readonly description: string;
  readonly requirements: readonly string[];
  readonly flags: readonly string[];
}

export interface ReaderSpec extends SpecBase {
  readonly profile: 'reader';
  readonly params: FileParams;
  readonly bytes: Buffer;
  readonly requests?: ReaderRequests;
  /**
   * Where the reference engine is known to disagree with the spec: the spec's outcome replaces the
   * engine's in the vector (and everything derived from it: backward, from, lookups). When the
   * engine no longer gives the known wrong value, the generator reports that the correction can go.
   */
  readonly corrections?: readonly Correction[];
}

export interface Correction {
  /** Which part of the expectation: 'openInfo', 'strict', 'salvage'. */
  readonly field: 'openInfo' | 'strict' | 'salvage';
  /** True for the engine's known, wrong value: when it stops being true, the generator says so. */
  readonly engineGives: (value: unknown) => boolean;
  /** The spec's value, made from the engine's. */
  readonly spec: (value: unknown) => unknown;
  /** Why the spec requires it, citing it. */
  readonly why: string;
}

export type WriteOp =
  | { readonly type: bigint; readonly payload: Buffer }
  | { readonly type: bigint; readonly repeat: { readonly byte: number; readonly length: number } }
  | { readonly sync: true };

export interface WriterSpec extends SpecBase {
  readonly profile: 'writer';
  readonly params: FileParams;
  readonly operations: readonly WriteOp[];
}

/**
 * A raft-log case: a script that drives a {@link RaftTrace}; the steps it records, with the
 * oracle's answers, are the case.
 */
export interface RaftSpec extends SpecBase {
  readonly profile: 'raft-log';
  /** The segment size hint of `raft-open` (and the generator's own LSFS log). */
  readonly segmentBytes: number;
  readonly script: (trace: RaftTrace) => Promise<void>;
}

export type CaseSpec = ReaderSpec | WriterSpec | RaftSpec;

/** Default file id of the vectors: "LSFS" "VECT" in ASCII. */
export const FILE_ID = 0x4c5346535645435an;
/** File id of "another file", for foreign blocks. */
export const OTHER_FILE_ID = 0x0f0e0d0c0b0a0908n;
