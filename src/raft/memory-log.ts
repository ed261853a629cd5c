/**
 * The in-memory Raft log: plain and obviously right, so that it can serve as the oracle of the
 * model-based tests and as a test double for Raft code. Its state lives as long as the object:
 * `stop()` then `start()` behaves like a restart that lost nothing (like a clean shutdown of a
 * durable log, or a crash between two calls of one, since every call is durable when it resolves).
 */
import { LsfsError } from '../errors.js';
import type { ClusterConfig, LogAPI, LogEntry, LogStats, NewEntry, Snapshot } from './log-api.js';
import { RateMeter } from './rate-meter.js';
import {
  appendIndexOf,
  applyChanges,
  checkCutIndex,
  checkEntryTerms,
  commitChanges,
  firstIndexOf,
  insertIndexOf,
  nextTerm,
  snapshotChanges,
  snapshotOf,
  termChanges,
  voteChanges,
  type LogView,
} from './rules.js';
import { clusterConfigJson, entryData, entryDataList, requireId, requireIndex, toLogEntry, type EntryData } from './values.js';

/** Options of {@link MemoryLog}. */
export interface MemoryLogOptions {
  /** Clock for {@link LogStats} (ms since the epoch); `Date.now` by default. */
  readonly now?: () => number;
}

/** A {@link LogAPI} held in memory. See the module comment. */
export class MemoryLog implements LogAPI {
  private running = false;
  private term = 0;
  private votedFor: string | undefined;
  private uri: string | undefined;
  private broken = false;
  private commitIndex = 0;
  private appliedIndex = 0;
  private snapshot: Snapshot | undefined;
  private clusterConfig: string | undefined;
  /** Entries by index: exactly the indexes from snapshot index + 1 to `lastIndex`. */
  private readonly entries = new Map<number, EntryData>();
  private lastIndex = 0;
  private readonly now: () => number;
  private meter: RateMeter;

  /** A new, empty log; call {@link start} before using it. */
  constructor(options: MemoryLogOptions = {}) {
    this.now = options.now ?? Date.now;
    this.meter = new RateMeter(this.now);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // Statistics count from the start, like those of a log reopened from disk.
    this.meter = new RateMeter(this.now);
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  async getBroken(): Promise<boolean> {
    this.checkRunning();
    return this.broken;
  }

  async setBroken(): Promise<void> {
    this.checkRunning();
    this.broken = true;
  }

  async setFixed(): Promise<void> {
    this.checkRunning();
    this.broken = false;
  }

  async getUri(): Promise<string | undefined> {
    this.checkRunning();
    return this.uri;
  }

  async setUri(uri: string): Promise<void> {
    this.checkRunning();
    this.uri = requireId(uri, 'a URI');
  }

  async getTerm(): Promise<number> {
    this.checkRunning();
    return this.term;
  }

  async setTerm(term: number): Promise<void> {
    this.checkRunning();
    if (!termChanges(this.view(), term)) return;
    this.term = term;
    this.votedFor = undefined;
  }

  async incrTerm(): Promise<number> {
    this.checkRunning();
    this.term = nextTerm(this.view());
    this.votedFor = undefined;
    return this.term;
  }

  async getVotedFor(): Promise<string | undefined> {
    this.checkRunning();
    return this.votedFor;
  }

  async setVotedFor(nodeId: string): Promise<void> {
    this.checkRunning();
    if (voteChanges(this.view(), nodeId)) this.votedFor = nodeId;
  }

  async append(entry: NewEntry): Promise<LogEntry> {
    const [stored] = await this.appendMulti([entry]);
    return stored!;
  }

  async appendMulti(entries: readonly NewEntry[]): Promise<LogEntry[]> {
    this.checkRunning();
    const data = entryDataList(entries);
    const first = appendIndexOf(this.view(), data.length);
    checkEntryTerms(this.lastTerm(), data.map((entry) => entry.term));
    data.forEach((entry, i) => this.entries.set(first + i, entry));
    this.lastIndex += data.length;
    this.meter.add(data.length);
    return data.map((entry, i) => this.entryAt(first + i, entry));
  }

  async insert(entry: NewEntry & { readonly index: number }): Promise<LogEntry> {
    this.checkRunning();
    const index = checkCutIndex(this.view(), insertIndexOf(entry), 'an insert index');
    const data = entryData(entry);
    checkEntryTerms(this.termAt(index - 1), [data.term]);
    this.cut(index);
    this.entries.set(index, data);
    this.lastIndex = index;
    this.meter.add(1);
    return this.entryAt(index, data);
  }

  async read(index?: number): Promise<LogEntry | undefined> {
    this.checkRunning();
    const at = index === undefined ? this.lastIndex : requireIndex(index);
    const data = this.entries.get(at);
    return data === undefined ? undefined : this.entryAt(at, data);
  }

  async deleteAllFrom(index: number): Promise<void> {
    this.checkRunning();
    this.cut(checkCutIndex(this.view(), index, 'a delete index'));
  }

  async markCommitted(index: number): Promise<void> {
    this.checkRunning();
    this.commitIndex = commitChanges(this.view(), index) ?? this.commitIndex;
  }

  async markApplied(index: number): Promise<void> {
    this.checkRunning();
    this.appliedIndex = applyChanges(this.view(), index) ?? this.appliedIndex;
  }

  async getFirstIndex(): Promise<number | undefined> {
    this.checkRunning();
    return firstIndexOf(this.view());
  }

  async getLastIndex(): Promise<number> {
    this.checkRunning();
    return this.lastIndex;
  }

  async getLastTerm(): Promise<number> {
    this.checkRunning();
    return this.lastTerm();
  }

  async getCommitIndex(): Promise<number> {
    this.checkRunning();
    return this.commitIndex;
  }

  async getAppliedIndex(): Promise<number> {
    this.checkRunning();
    return this.appliedIndex;
  }

  async saveClusterConfig(config: ClusterConfig): Promise<void> {
    this.checkRunning();
    this.clusterConfig = clusterConfigJson(config);
  }

  async getClusterConfig(): Promise<ClusterConfig | undefined> {
    this.checkRunning();
    return this.clusterConfig === undefined ? undefined : (JSON.parse(this.clusterConfig) as ClusterConfig);
  }

  async installSnapshot(snapshot: Snapshot): Promise<void> {
    this.checkRunning();
    const checked = snapshotOf(snapshot);
    if (!snapshotChanges(this.view(), checked, this.entries.get(checked.index)?.term)) return;
    for (let index = (this.snapshot?.index ?? 0) + 1; index <= Math.min(checked.index, this.lastIndex); index++) this.entries.delete(index);
    this.snapshot = checked;
    this.lastIndex = Math.max(this.lastIndex, checked.index);
    this.commitIndex = Math.max(this.commitIndex, checked.index);
    this.appliedIndex = Math.max(this.appliedIndex, checked.index);
  }

  async getSnapshot(): Promise<Snapshot | undefined> {
    this.checkRunning();
    return this.snapshot === undefined ? undefined : { ...this.snapshot };
  }

  async getStats(): Promise<LogStats> {
    this.checkRunning();
    const view = this.view();
    const firstIndex = firstIndexOf(view);
    return {
      firstIndex,
      lastIndex: this.lastIndex,
      lastTerm: view.lastTerm,
      recordCount: firstIndex === undefined ? 0 : this.lastIndex - firstIndex + 1,
      recordsSinceSnapshot: this.lastIndex - view.snapshotIndex,
      recordsPerMinute: this.meter.perMinute(),
      bytesOnDisk: 0,
      snapshotIndex: this.snapshot?.index,
      lastRecordTime: this.meter.lastTime,
    };
  }

  private view(): LogView {
    return {
      term: this.term,
      votedFor: this.votedFor,
      lastIndex: this.lastIndex,
      lastTerm: this.lastTerm(),
      commitIndex: this.commitIndex,
      appliedIndex: this.appliedIndex,
      snapshotIndex: this.snapshot?.index ?? 0,
      snapshotTerm: this.snapshot?.term ?? 0,
    };
  }

  /** Term of the entry at `index`: the snapshot's term at its index, 0 before the first entry. */
  private termAt(index: number): number {
    if (index === 0) return 0;
    if (index === this.snapshot?.index) return this.snapshot.term;
    return this.entries.get(index)!.term;
  }

  private lastTerm(): number {
    return this.termAt(this.lastIndex);
  }

  /** Deletes the entries from `index` on. */
  private cut(index: number): void {
    for (let at = index; at <= this.lastIndex; at++) this.entries.delete(at);
    this.lastIndex = Math.min(this.lastIndex, index - 1);
  }

  private entryAt(index: number, data: EntryData): LogEntry {
    return toLogEntry(index, data, this.commitIndex, this.appliedIndex);
  }

  private checkRunning(): void {
    if (!this.running) throw new LsfsError('CLOSED', 'the memory log is not started');
  }
}
