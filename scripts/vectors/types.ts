/** The shapes of `test-vectors/manifest.json` (described for other languages by `spec/vectors.schema.json`). */

/** A record object as in PROTOCOL.md §4.2; `hex` only when `length` ≤ 4096. */
export interface RecordJson {
  index: string;
  type: string;
  length: number;
  sha256: string;
  hex?: string;
}

export interface DamageJson {
  code: string;
  offset: number | null;
}

export interface GapJson {
  code: string;
  offset: number;
  length: number;
}

export interface TailJson {
  code: 'TORN_TAIL';
  offset: number;
}

/** The fields of a `read` response (PROTOCOL.md §4.2) that the runner compares. */
export interface ReadJson {
  records: RecordJson[];
  tail: TailJson | null;
  gaps: GapJson[];
  error: DamageJson | null;
}

export type OpenInfoJson =
  | {
      blockSize: number;
      fileId: string;
      baseIndex: string;
      firstIndex: string | null;
      lastIndex: string | null;
      tail: TailJson | null;
    }
  | { error: DamageJson };

export type LookupJson = { index: string; record: RecordJson } | { index: string; error: DamageJson };

export interface FromJson {
  from: string;
  mode: 'strict' | 'salvage';
  records: RecordJson[];
}

export interface Parameters {
  blockSize: number;
  baseIndex: string;
  fileId: string;
}

export interface ReaderExpected {
  strict: ReadJson;
  salvage: ReadJson;
  backward?: ReadJson;
  openInfo: OpenInfoJson;
  lookups?: LookupJson[];
  from?: FromJson[];
}

interface CaseBase {
  id: string;
  description: string;
  requirements: string[];
  flags: string[];
}

export interface ReaderCase extends CaseBase {
  profile: 'reader';
  parameters: Parameters;
  file: string;
  sha256: string;
  size: number;
  expected: ReaderExpected;
}

export type WriteOperationJson = { type: string; hex: string } | { type: string; repeat: { byte: string; length: number } } | { sync: true };

export type WriterExpected =
  | { file: string; sha256: string; size: number }
  | { error: { code: string; offset: null; operation?: number }; file?: string; sha256?: string; size?: number };

export interface WriterCase extends CaseBase {
  profile: 'writer';
  /** What the write request carries: `blockSize` may be one the writer must refuse. */
  parameters: Parameters;
  operations: WriteOperationJson[];
  expected: WriterExpected;
}

/** One step of a raft-log case (PROTOCOL.md §4.7): a call and its answer, or a kill of the testee. */
export type RaftStep =
  | {
      session?: number;
      call: { method: string; args?: Record<string, unknown> };
      expected: { result: unknown } | { error: { code: string; offset: null } };
    }
  | { kill: true };

export interface RaftCase extends CaseBase {
  profile: 'raft-log';
  /** The hints of `raft-open`. */
  parameters: { segmentBytes: number };
  steps: RaftStep[];
}

export type Case = ReaderCase | WriterCase | RaftCase;

export interface Manifest {
  schema: 'lsfs-vectors/1';
  formatVersion: 1;
  generator: string;
  numberOfCases: number;
  flags: Record<string, string>;
  requirements: Record<string, string>;
  notCoveredByVectors: Record<string, string>;
  cases: Case[];
}
