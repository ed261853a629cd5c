/**
 * The durable Raft log on LSFS (spec `spec/lsfs-raft-log.md`): entries in LSFS record files
 * (segments), hard state in a pair of A/B final-data files, all in one directory. This class is the
 * lifecycle around a {@link RaftStore}, which does the work while the log is started.
 */
import { LsfsError } from '../errors.js';
import { NodeStorage } from '../io/node-storage.js';
import type { Storage } from '../io/storage.js';
import type { ClusterConfig, LogAPI, LogEntry, LogStats, NewEntry, Snapshot } from './log-api.js';
import { RaftStore } from './raft-store.js';
import { firstIndexOf } from './rules.js';

/** Default size at which the tail segment is sealed and a new one started: 64 MiB. */
export const DEFAULT_SEGMENT_BYTES = 64 << 20;

/** Options of {@link LsfsRaftLog}. */
export interface LsfsRaftLogOptions {
  /** The log's directory (created if missing); it holds nothing else of importance. */
  readonly directory: string;
  /** Where files live: the real file system ({@link NodeStorage}) by default. */
  readonly storage?: Storage;
  /** Block size of new segment files (a power of two from 512 to 65536; LSFS's default 4096). */
  readonly blockSize?: number;
  /**
   * Segment size: once the tail segment has this many bytes, the next append starts a new one
   * (default {@link DEFAULT_SEGMENT_BYTES}). Smaller segments free space sooner after a snapshot.
   */
  readonly segmentBytes?: number;
  /** Clock for {@link LogStats} (ms since the epoch); `Date.now` by default. */
  readonly now?: () => number;
}

/** A {@link LogAPI} stored durably in an LSFS directory. See the module comment. */
export class LsfsRaftLog implements LogAPI {
  private readonly options: LsfsRaftLogOptions;
  private store: RaftStore | undefined;
  /** The start or stop in progress, so that overlapping calls wait for it instead of racing. */
  private transition: Promise<void> = Promise.resolve();

  /** A log over `options.directory`; nothing is read or written before {@link start}. */
  constructor(options: LsfsRaftLogOptions) {
    if (typeof options?.directory !== 'string' || options.directory.length === 0) {
      throw new LsfsError('INVALID_ARGUMENT', 'a raft log needs a directory');
    }
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1) throw new LsfsError('INVALID_ARGUMENT', `segmentBytes must be a positive integer, got ${segmentBytes}`);
    this.options = { ...options, directory: options.directory.replace(/\/+$/, '') || '/' };
  }

  /** The log's directory. */
  get directory(): string {
    return this.options.directory;
  }

  start(): Promise<void> {
    return this.changeState(async () => {
      if (this.store !== undefined) return;
      this.store = await RaftStore.open({
        storage: this.options.storage ?? new NodeStorage(),
        directory: this.options.directory,
        blockSize: this.options.blockSize,
        segmentBytes: this.options.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
        now: this.options.now ?? Date.now,
      });
    });
  }

  stop(): Promise<void> {
    return this.changeState(async () => {
      const store = this.store;
      this.store = undefined;
      await store?.close();
    });
  }

  async getBroken(): Promise<boolean> {
    return this.open().hardState.broken;
  }

  async setBroken(): Promise<void> {
    await this.open().setBroken(true);
  }

  async setFixed(): Promise<void> {
    await this.open().setBroken(false);
  }

  async getUri(): Promise<string | undefined> {
    return this.open().hardState.uri;
  }

  async setUri(uri: string): Promise<void> {
    await this.open().setUri(uri);
  }

  async getTerm(): Promise<number> {
    return this.open().hardState.term;
  }

  async setTerm(term: number): Promise<void> {
    await this.open().setTerm(term);
  }

  async incrTerm(): Promise<number> {
    return this.open().incrTerm();
  }

  async getVotedFor(): Promise<string | undefined> {
    return this.open().hardState.votedFor;
  }

  async setVotedFor(nodeId: string): Promise<void> {
    await this.open().setVotedFor(nodeId);
  }

  async append(entry: NewEntry): Promise<LogEntry> {
    const [stored] = await this.open().append([entry]);
    return stored!;
  }

  async appendMulti(entries: readonly NewEntry[]): Promise<LogEntry[]> {
    return this.open().append(entries);
  }

  async insert(entry: NewEntry & { readonly index: number }): Promise<LogEntry> {
    return this.open().insert(entry);
  }

  async read(index?: number): Promise<LogEntry | undefined> {
    return this.open().read(index);
  }

  async deleteAllFrom(index: number): Promise<void> {
    await this.open().deleteAllFrom(index);
  }

  async markCommitted(index: number): Promise<void> {
    await this.open().markCommitted(index);
  }

  async markApplied(index: number): Promise<void> {
    await this.open().markApplied(index);
  }

  async getFirstIndex(): Promise<number | undefined> {
    return firstIndexOf(this.open().view());
  }

  async getLastIndex(): Promise<number> {
    return this.open().view().lastIndex;
  }

  async getLastTerm(): Promise<number> {
    return this.open().view().lastTerm;
  }

  async getCommitIndex(): Promise<number> {
    return this.open().hardState.commitIndex;
  }

  async getAppliedIndex(): Promise<number> {
    return this.open().hardState.appliedIndex;
  }

  async saveClusterConfig(config: ClusterConfig): Promise<void> {
    await this.open().saveClusterConfig(config);
  }

  async getClusterConfig(): Promise<ClusterConfig | undefined> {
    const json = this.open().hardState.clusterConfig;
    return json === undefined ? undefined : (JSON.parse(json) as ClusterConfig);
  }

  async installSnapshot(snapshot: Snapshot): Promise<void> {
    await this.open().installSnapshot(snapshot);
  }

  async getSnapshot(): Promise<Snapshot | undefined> {
    const state = this.open().hardState;
    return state.snapshotIndex === 0 ? undefined : { index: state.snapshotIndex, term: state.snapshotTerm };
  }

  async getStats(): Promise<LogStats> {
    return this.open().stats();
  }

  private open(): RaftStore {
    if (this.store === undefined) throw new LsfsError('CLOSED', `the raft log in ${this.options.directory} is not started`, { path: this.options.directory });
    return this.store;
  }

  private changeState(change: () => Promise<void>): Promise<void> {
    const next = this.transition.then(change);
    this.transition = next.catch(() => undefined);
    return next;
  }
}
