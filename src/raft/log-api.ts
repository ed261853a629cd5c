/**
 * The Raft log interface (spec `spec/lsfs-raft-log.md` §3): what a Raft engine needs from its
 * persistent storage — hard state (term, vote, commit and applied indexes, cluster configuration,
 * snapshot) and the log of entries. It follows the `LogAPI` of the Python `raftengine` package,
 * with TypeScript types: indexes and terms are `number`s (safe integers), bytes are `Uint8Array`s.
 *
 * Two implementations: {@link MemoryLog} (in memory, for tests of Raft code) and
 * {@link LsfsRaftLog} (durable, on LSFS record files).
 */

/** What an entry is for (raftengine's `RecordCode`). */
export type EntryCode = 'TERM_START' | 'CLIENT_COMMAND' | 'CLUSTER_CONFIG';

/** Every {@link EntryCode}, in the order of their record type codes (spec RLG-030). */
export const ENTRY_CODES: readonly EntryCode[] = ['TERM_START', 'CLIENT_COMMAND', 'CLUSTER_CONFIG'];

/**
 * An entry to store: what {@link LogAPI.append} and {@link LogAPI.insert} take. Only `term` is
 * required; `index` matters to `insert` only, and `committed` and `applied` are ignored (they come
 * from the commit and applied indexes), so an entry read back can be passed in again.
 */
export interface NewEntry {
  /** Term of the leader that created the entry: a safe integer ≥ 0. */
  readonly term: number;
  /** Where {@link LogAPI.insert} puts the entry; ignored by `append`, which assigns the next index. */
  readonly index?: number;
  /** The command bytes (client command, or an encoded configuration change); empty by default. */
  readonly command?: Uint8Array;
  /** The result of applying the command, if the engine stores one; absent by default. */
  readonly result?: Uint8Array | null;
  /** True when applying the command failed (then `result` may hold the error); false by default. */
  readonly error?: boolean;
  /** What the entry is for; `CLIENT_COMMAND` by default. */
  readonly code?: EntryCode;
  /** The client's serial number of the command: a safe integer ≥ 0, or absent. */
  readonly serial?: number | null;
  /** Id (URI) of the leader that created the entry, or absent. */
  readonly leaderId?: string | null;
  /** Ignored: see {@link LogEntry.committed}. */
  readonly committed?: boolean;
  /** Ignored: see {@link LogEntry.applied}. */
  readonly applied?: boolean;
}

/** An entry as the log returns it: a fresh copy, never shared with the log's own state. */
export interface LogEntry {
  /** Position in the log: 1 for the first entry ever appended. */
  readonly index: number;
  /** Term of the leader that created the entry. */
  readonly term: number;
  /** The command bytes (possibly empty). */
  readonly command: Uint8Array;
  /** The stored result, or `undefined` when none was given. */
  readonly result: Uint8Array | undefined;
  /** The stored error flag. */
  readonly error: boolean;
  /** What the entry is for. */
  readonly code: EntryCode;
  /** The stored serial, or `undefined`. */
  readonly serial: number | undefined;
  /** The stored leader id, or `undefined`. */
  readonly leaderId: string | undefined;
  /** True when `index` ≤ the commit index (from the hard state, not stored in the entry). */
  readonly committed: boolean;
  /** True when `index` ≤ the applied index. */
  readonly applied: boolean;
}

/** The last entry a snapshot covers (raftengine's `SnapShot`, without the state machine data). */
export interface Snapshot {
  /** Index of the last entry the snapshot includes: a safe integer ≥ 1. */
  readonly index: number;
  /** Term of that entry: a safe integer ≥ 0. */
  readonly term: number;
}

/** One cluster member in a {@link ClusterConfig} (raftengine's `NodeRec`). */
export interface ClusterNode {
  /** Where the member is reached; also its id. */
  readonly uri: string;
  /** True while the member is being added (dynamic membership change in progress). */
  readonly isAdding?: boolean;
  /** True while the member is being removed. */
  readonly isRemoving?: boolean;
  /** True while the member loads a snapshot before it joins. */
  readonly isLoading?: boolean;
}

/** Timing and feature settings of a cluster (raftengine's `ClusterSettings`). */
export interface ClusterSettings {
  /** Seconds between a leader's heartbeats. */
  readonly heartbeatPeriod?: number;
  /** Shortest election timeout, in seconds. */
  readonly electionTimeoutMin?: number;
  /** Longest election timeout, in seconds. */
  readonly electionTimeoutMax?: number;
  /** Most entries a leader sends in one append-entries message. */
  readonly maxEntriesPerMessage?: number;
  /** Whether candidates run a pre-vote round before an election. */
  readonly usePreVote?: boolean;
  /** Whether a leader steps down when it loses contact with a quorum. */
  readonly useCheckQuorum?: boolean;
  /** Whether members can be added and removed while the cluster runs. */
  readonly useDynamicConfig?: boolean;
  /** Whether applying a client command twice is harmless. */
  readonly commandsIdempotent?: boolean;
}

/**
 * The cluster configuration (raftengine's `ClusterConfig`). The log stores it as JSON (spec
 * RLG-016): it must be a JSON value (plain objects, arrays, strings, finite numbers, booleans,
 * null) and it reads back as `JSON.parse(JSON.stringify(config))`.
 */
export interface ClusterConfig {
  /** Members by id (usually their URI). */
  readonly nodes: Readonly<Record<string, ClusterNode>>;
  /** A member being added or removed, if a change is in progress. */
  readonly pendingNode?: ClusterNode | null;
  /** Timing and feature settings. */
  readonly settings?: ClusterSettings | null;
}

/** What {@link LogAPI.getStats} reports (raftengine's `LogStats`). */
export interface LogStats {
  /** {@link LogAPI.getFirstIndex}. */
  readonly firstIndex: number | undefined;
  /** {@link LogAPI.getLastIndex}. */
  readonly lastIndex: number;
  /** {@link LogAPI.getLastTerm}. */
  readonly lastTerm: number;
  /** Entries the log holds: from the first index to the last, 0 when it holds none. */
  readonly recordCount: number;
  /** Entries after the snapshot: last index − snapshot index (0 without a snapshot: last index). */
  readonly recordsSinceSnapshot: number;
  /** Entries appended or inserted during the last 60 seconds since {@link LogAPI.start}. */
  readonly recordsPerMinute: number;
  /** Bytes of the files the log keeps (0 for {@link MemoryLog}). */
  readonly bytesOnDisk: number;
  /** Index of the snapshot, or `undefined` when there is none. */
  readonly snapshotIndex: number | undefined;
  /** Time (ms since the epoch) of the last append or insert since start, or `undefined`. */
  readonly lastRecordTime: number | undefined;
}

/**
 * Persistent storage of one Raft node: hard state and log entries.
 *
 * Rules common to every method (spec §3):
 * - Every method returns a promise. Calls before {@link start} or after {@link stop} reject with
 *   `LsfsError` code `CLOSED`.
 * - A mutating call resolves only once its effect is durable (a crash after that loses nothing);
 *   if it rejects with `INVALID_ARGUMENT` or `INDEX_OUT_OF_RANGE`, it changed nothing.
 * - Indexes start at 1. An index that is not a safe integer is `INVALID_ARGUMENT`; an integer index
 *   below 1 is `INDEX_OUT_OF_RANGE`.
 * - Concurrent calls are allowed; each takes effect atomically, in the order the log serialises them.
 */
export interface LogAPI {
  /** Opens the log (creating it when new) and recovers from a crash. Starting a started log does nothing. */
  start(): Promise<void>;
  /** Waits for pending writes, then closes the log; it can be started again. Stopping a stopped log does nothing. */
  stop(): Promise<void>;

  /** True after {@link setBroken}, until {@link setFixed}: the node should not run on this log. Durable. */
  getBroken(): Promise<boolean>;
  /** Marks the log broken (durably). */
  setBroken(): Promise<void>;
  /** Clears the broken mark (durably). */
  setFixed(): Promise<void>;

  /** The URI of the node that owns this log, or `undefined` before {@link setUri}. */
  getUri(): Promise<string | undefined>;
  /** Records the node's URI: a non-empty string of at most 1024 UTF-8 bytes. */
  setUri(uri: string): Promise<void>;

  /** The current term: 0 for a new log. */
  getTerm(): Promise<number>;
  /**
   * Sets the current term. A higher term clears the vote; the same term does nothing (keeping the
   * vote, so that a node never votes twice in a term); a lower term is `INVALID_ARGUMENT`.
   */
  setTerm(term: number): Promise<void>;
  /** Adds 1 to the term, clears the vote, and returns the new term. */
  incrTerm(): Promise<number>;
  /** The node this node voted for in the current term, or `undefined`. */
  getVotedFor(): Promise<string | undefined>;
  /**
   * Records the vote of the current term. Voting again for the same node does nothing; voting for
   * another node in the same term is `INVALID_ARGUMENT` (a vote can only be cleared by a new term).
   */
  setVotedFor(nodeId: string): Promise<void>;

  /**
   * Appends an entry at the next index (last index + 1) and returns it as stored. The entry's term
   * must be ≥ {@link getLastTerm} (terms never go down along the log), otherwise `INVALID_ARGUMENT`.
   */
  append(entry: NewEntry): Promise<LogEntry>;
  /**
   * Appends entries in order, checking them all before appending any; returns them as stored.
   * Durable when it resolves; a crash before that may keep a prefix of them.
   */
  appendMulti(entries: readonly NewEntry[]): Promise<LogEntry[]>;
  /**
   * Raft's conflict rule: stores `entry` at `entry.index`, deleting the entry there and every one
   * after it. `entry.index` may be from snapshot index + 1 to last index + 1 (`INDEX_OUT_OF_RANGE`
   * otherwise), must be above the commit index (committed entries are never replaced:
   * `INVALID_ARGUMENT`), and its term must be ≥ the term of the entry before it. Atomic: after a
   * crash the log holds either the old entries or the new one, never a mix.
   */
  insert(entry: NewEntry & { readonly index: number }): Promise<LogEntry>;
  /**
   * The entry at `index`, or with no argument the last entry. Resolves to `undefined` when there is
   * no entry there: above the last index, at or below the snapshot index, or an empty log.
   */
  read(index?: number): Promise<LogEntry | undefined>;
  /**
   * Deletes the entry at `index` and every one after it. `index` may be from snapshot index + 1 to
   * last index + 1 (the latter deletes nothing), otherwise `INDEX_OUT_OF_RANGE`; at or below the
   * commit index it is `INVALID_ARGUMENT`. Atomic across a crash.
   */
  deleteAllFrom(index: number): Promise<void>;
  /**
   * Raises the commit index to `index` (1 to last index, otherwise `INDEX_OUT_OF_RANGE`); a lower
   * index than the current commit index does nothing (the commit index never goes down).
   */
  markCommitted(index: number): Promise<void>;
  /**
   * Raises the applied index to `index` (1 to last index, otherwise `INDEX_OUT_OF_RANGE`; above the
   * commit index it is `INVALID_ARGUMENT`); a lower index does nothing.
   */
  markApplied(index: number): Promise<void>;

  /** Index of the oldest entry held: snapshot index + 1 (1 without a snapshot), or `undefined` when the log holds no entry. */
  getFirstIndex(): Promise<number | undefined>;
  /** Index of the newest entry; the snapshot index when no entry follows the snapshot; 0 for an empty log. */
  getLastIndex(): Promise<number>;
  /** Term of the newest entry; the snapshot term when no entry follows the snapshot; 0 for an empty log. */
  getLastTerm(): Promise<number>;
  /** Highest index known committed (0 at first); never above the last index. */
  getCommitIndex(): Promise<number>;
  /** Highest index applied to the state machine (0 at first); never above the commit index. */
  getAppliedIndex(): Promise<number>;

  /** Stores the cluster configuration (a JSON value, see {@link ClusterConfig}; at most 1 MiB as JSON). */
  saveClusterConfig(config: ClusterConfig): Promise<void>;
  /** The stored cluster configuration (a fresh copy), or `undefined` before the first save. */
  getClusterConfig(): Promise<ClusterConfig | undefined>;

  /**
   * Records a snapshot that includes every entry up to `snapshot.index`, and deletes those entries.
   * Entries after it stay; when the snapshot reaches the last index or beyond, the log holds no
   * entry and its last index and term become the snapshot's. The commit and applied indexes rise to
   * at least `snapshot.index`. A snapshot below the current one, or at the same index with another
   * term, is `INVALID_ARGUMENT`; so is one whose term differs from the term of a held entry at its
   * index when entries after it are kept (delete the conflicting entries first).
   */
  installSnapshot(snapshot: Snapshot): Promise<void>;
  /** The latest snapshot, or `undefined`. */
  getSnapshot(): Promise<Snapshot | undefined>;

  /** Counters for monitoring. */
  getStats(): Promise<LogStats>;
}
