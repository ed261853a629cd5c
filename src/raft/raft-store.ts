/**
 * An open LSFS Raft log directory (spec §5–§8): the final-data files with the hard state, and the
 * live segments with the entries. Every mutating call decides and writes under one lock, and
 * resolves only once its effect is durable; appends release the lock before their sync, so that
 * concurrent appends share one (group commit).
 *
 * Crash safety rests on three orders (RLG-080):
 * 1. a segment file is created (atomically, durably) before a hard state that lists it is written;
 * 2. the tail is synced before any hard state is written, so the hard state never refers to an
 *    entry (commit index, segment range) that is not durable;
 * 3. files are removed only after a hard state that no longer lists them is durable.
 * Together with the A/B final-data update, each structural change (truncation, snapshot, new
 * segment) takes effect at the one final-data write, or not at all.
 */
import { randomBytes } from 'node:crypto';
import { LsfsError, assert, isLsfsError } from '../errors.js';
import type { Storage, StorageLock } from '../io/storage.js';
import { ENTRY_TYPE_CODES, decodeEntry, encodeEntry, encodeEntryFields, entryFieldsLength } from './entry-codec.js';
import { FinalData } from './final-data.js';
import { INITIAL_HARD_STATE, inconsistency, type HardState, type SegmentRef } from './hard-state.js';
import type { ClusterConfig, LogEntry, LogStats, NewEntry, Snapshot } from './log-api.js';
import { Mutex } from './mutex.js';
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
import type { OpenSegment } from './segment.js';
import { DIRECTORY_LOCK_NAME, leftoverOf, parseSegmentFileName } from './segment-names.js';
import { SegmentSet } from './segment-set.js';
import { checkedEntryList, clusterConfigJson, entryData, ownCopies, ownedLogEntry, requireId, requireIndex, toLogEntry, type EntryData } from './values.js';

/** Entry fields up to this size (term, flags, serial, a leader id, a small result) need no buffer of their own. */
const FIELDS_SCRATCH_BYTES = 4096;

/** What {@link RaftStore.open} needs. */
export interface StoreOptions {
  readonly storage: Storage;
  readonly directory: string;
  readonly blockSize: number | undefined;
  readonly segmentBytes: number;
  readonly now: () => number;
}

/**
 * Leading segments whose whole range lies at or below the snapshot hold no live entry (RLG-055):
 * segment i ends where segment i + 1 begins.
 */
function pruneCompacted(segments: readonly SegmentRef[], snapshotIndex: number): SegmentRef[] {
  let first = 0;
  while (first + 1 < segments.length && segments[first + 1]!.base <= snapshotIndex + 1) first++;
  return segments.slice(first);
}

/** The directory holding `path` ('.' for a bare name). */
function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '.' : slash === 0 ? '/' : path.slice(0, slash);
}

function randomFileId(): bigint {
  return randomBytes(8).readBigUInt64LE(0);
}

/** An open log directory: see the module comment. `LsfsRaftLog` wraps it with the lifecycle. */
export class RaftStore {
  private readonly mutex = new Mutex();
  private failure: unknown;
  private readonly meter: RateMeter;
  /** Where an entry's fields are encoded before they are copied into the tail's block arena. */
  private readonly fieldsScratch = Buffer.allocUnsafe(FIELDS_SCRATCH_BYTES);
  private readonly fieldsScratchViews: Buffer[] = [];

  private constructor(
    private readonly options: StoreOptions,
    private readonly lock: StorageLock,
    private readonly finalData: FinalData,
    private readonly segments: SegmentSet,
    private state: HardState,
    private lastIndex: number,
    private lastTerm: number,
    /** Id for the next new segment: above every id listed or found in the directory (RLG-051). */
    private nextSegmentId: number,
  ) {
    this.meter = new RateMeter(options.now);
  }

  /** Opens (creating if new) the log in `options.directory` and recovers from a crash (RLG-081, RLG-082). */
  static async open(options: StoreOptions): Promise<RaftStore> {
    const { storage, directory } = options;
    const existed = await storage.exists(directory);
    await storage.makeDirectory(directory);
    const lock = await storage.lock(`${directory}/${DIRECTORY_LOCK_NAME}`);
    let finalData: FinalData | undefined;
    let segments: SegmentSet | undefined;
    try {
      const names = await storage.list(directory);
      const segmentNames = names.filter((name) => parseSegmentFileName(name) !== undefined);
      const loaded = await FinalData.load(storage, directory);
      let state = loaded?.state ?? INITIAL_HARD_STATE;
      if (loaded === undefined) {
        if (segmentNames.length > 0) {
          throw new LsfsError('INVALID_ARGUMENT', `${directory} holds segment files but no final-data file: refusing to start a new log over them`, { path: directory });
        }
        finalData = await FinalData.create(storage, directory, state);
        // A new directory's own entry must be durable too, or a crash could lose the whole log (RLG-074).
        if (!existed) await storage.syncDirectory(parentOf(directory));
      } else {
        finalData = loaded.finalData;
        state = loaded.state;
      }
      segments = await SegmentSet.open(storage, directory, state.segments, options.blockSize, names);
      const lastIndex = segments.tail === undefined ? state.snapshotIndex : segments.tail.nextIndex - 1;
      if (lastIndex < state.snapshotIndex || lastIndex < state.commitIndex) {
        throw new LsfsError('TORN_TAIL', `${directory}: the log ends at ${lastIndex}, before the snapshot (${state.snapshotIndex}) or commit index (${state.commitIndex})`, { path: directory });
      }
      const seenIds = segmentNames.map((name) => parseSegmentFileName(name)!.id);
      const store = new RaftStore(options, lock, finalData, segments, state, lastIndex, state.snapshotTerm, Math.max(state.nextSegmentId, ...seenIds.map((id) => id + 1)));
      if (lastIndex > state.snapshotIndex) store.lastTerm = (await store.entryAt(lastIndex)).term;
      await store.removeLeftovers(names);
      return store;
    } catch (error) {
      await segments?.close().catch(() => undefined);
      await finalData?.close().catch(() => undefined);
      await lock.release().catch(() => undefined);
      throw error;
    }
  }

  /** The visible state the rules check calls against. */
  view(): LogView {
    return {
      term: this.state.term,
      votedFor: this.state.votedFor,
      lastIndex: this.lastIndex,
      lastTerm: this.lastTerm,
      commitIndex: this.state.commitIndex,
      appliedIndex: this.state.appliedIndex,
      snapshotIndex: this.state.snapshotIndex,
      snapshotTerm: this.state.snapshotTerm,
    };
  }

  /** The durable hard state. */
  get hardState(): HardState {
    return this.state;
  }

  setTerm(term: number): Promise<void> {
    return this.exclusive(async () => {
      if (termChanges(this.view(), term)) await this.commit({ ...this.state, term, votedFor: undefined });
    });
  }

  incrTerm(): Promise<number> {
    return this.exclusive(async () => {
      const term = nextTerm(this.view());
      await this.commit({ ...this.state, term, votedFor: undefined });
      return term;
    });
  }

  setVotedFor(nodeId: string): Promise<void> {
    return this.exclusive(async () => {
      if (voteChanges(this.view(), nodeId)) await this.commit({ ...this.state, votedFor: nodeId });
    });
  }

  setUri(uri: string): Promise<void> {
    return this.exclusive(async () => {
      const checked = requireId(uri, 'a URI');
      if (checked !== this.state.uri) await this.commit({ ...this.state, uri: checked });
    });
  }

  setBroken(broken: boolean): Promise<void> {
    return this.exclusive(async () => {
      if (broken !== this.state.broken) await this.commit({ ...this.state, broken });
    });
  }

  saveClusterConfig(config: ClusterConfig): Promise<void> {
    return this.exclusive(async () => {
      const json = clusterConfigJson(config);
      if (json !== this.state.clusterConfig) await this.commit({ ...this.state, clusterConfig: json });
    });
  }

  markCommitted(index: number): Promise<void> {
    return this.exclusive(async () => {
      const commitIndex = commitChanges(this.view(), index);
      if (commitIndex !== undefined) await this.commit({ ...this.state, commitIndex });
    });
  }

  markApplied(index: number): Promise<void> {
    return this.exclusive(async () => {
      const appliedIndex = applyChanges(this.view(), index);
      if (appliedIndex !== undefined) await this.commit({ ...this.state, appliedIndex });
    });
  }

  /**
   * Appends entries. When the lock is free and the tail has room, everything up to the sync runs
   * without yielding, and the lock is released before the sync: appends issued together all reach
   * the tail first and then share one sync (group commit). The caller's byte arrays are encoded
   * before this call first yields; whatever must outlive that (the entries returned) is copied.
   */
  async append(entries: readonly NewEntry[]): Promise<LogEntry[]> {
    let data = checkedEntryList(entries);
    let release = this.mutex.tryLock();
    const copiedBeforeWait = release === undefined;
    if (release === undefined) {
      // Encoded only after the wait, when the caller may have changed its arrays: copy them now.
      data = ownCopies(data);
      release = await this.mutex.lock();
    }
    let first: number;
    let written: { tail: OpenSegment; unpin: () => void } | undefined;
    let returned: EntryData[];
    try {
      this.checkHealthy();
      first = appendIndexOf(this.view(), data.length);
      checkEntryTerms(this.lastTerm, data.map((entry) => entry.term));
      // Copies nothing else holds once encoded: those taken before the wait serve as they are.
      returned = copiedBeforeWait ? data : ownCopies(data);
      let source = data;
      for (let i = 0; i < data.length; i++) {
        if (this.needsSegment()) {
          // Starting a segment yields: the rest is encoded from the copies, not the caller's arrays.
          source = returned;
          await this.startSegment(this.lastIndex + 1, this.state.segments);
        }
        this.appendToTail(source[i]!);
      }
      this.meter.add(data.length);
      written = data.length === 0 ? undefined : this.pinTail();
    } finally {
      release();
    }
    if (written !== undefined) await this.syncPinned(written);
    return returned.map((entry, i) => ownedLogEntry(first + i, entry, this.state.commitIndex, this.state.appliedIndex));
  }

  /** Raft's conflict rule: `entry` at its index, the entries from there on deleted, in one step (RLG-091). */
  insert(entry: NewEntry & { readonly index: number }): Promise<LogEntry> {
    return this.exclusive(async () => {
      const index = checkCutIndex(this.view(), insertIndexOf(entry), 'an insert index');
      const data = entryData(entry);
      checkEntryTerms(await this.termAt(index - 1), [data.term]);
      if (index === this.lastIndex + 1) {
        if (this.needsSegment()) await this.startSegment(index, this.state.segments);
        this.appendToTail(data);
        this.meter.add(1);
        await this.syncPinned(this.pinTail());
      } else {
        await this.startSegment(index, this.state.segments.filter((segment) => segment.base < index), data, { lastIndex: index, lastTerm: data.term });
        this.meter.add(1);
      }
      return this.toEntry(index, data);
    });
  }

  /** Deletes the entries from `index` on, in one step (RLG-090). */
  deleteAllFrom(index: number): Promise<void> {
    return this.exclusive(async () => {
      const from = checkCutIndex(this.view(), index, 'a delete index');
      if (from === this.lastIndex + 1) return;
      const lastTerm = await this.termAt(from - 1);
      await this.startSegment(from, this.state.segments.filter((segment) => segment.base < from), undefined, { lastIndex: from - 1, lastTerm });
    });
  }

  /** Records a snapshot and frees the segments it covers by removing their files (RLG-092). */
  installSnapshot(input: Snapshot): Promise<void> {
    return this.exclusive(async () => {
      const snapshot = snapshotOf(input);
      const view = this.view();
      const held = snapshot.index > view.snapshotIndex && snapshot.index <= view.lastIndex ? await this.termAt(snapshot.index) : undefined;
      if (!snapshotChanges(view, snapshot, held)) return;
      const coversAll = snapshot.index >= this.lastIndex;
      const next: HardState = {
        ...this.state,
        snapshotIndex: snapshot.index,
        snapshotTerm: snapshot.term,
        commitIndex: Math.max(this.state.commitIndex, snapshot.index),
        appliedIndex: Math.max(this.state.appliedIndex, snapshot.index),
        // Covering every entry frees every file; the next append starts a segment at index + 1.
        segments: coversAll ? [] : pruneCompacted(this.state.segments, snapshot.index),
      };
      let removed: Promise<void> = Promise.resolve();
      await this.commit(next, () => {
        removed = this.segments.adopt(next.segments);
        if (coversAll) {
          this.lastIndex = snapshot.index;
          this.lastTerm = snapshot.term;
        }
      });
      await removed;
    });
  }

  /** The entry at `index` (default: the last), or undefined where the log holds none. */
  async read(index?: number): Promise<LogEntry | undefined> {
    this.checkHealthy();
    const at = index === undefined ? this.lastIndex : requireIndex(index);
    if (at <= this.state.snapshotIndex || at > this.lastIndex) return undefined;
    return this.toEntry(at, await this.entryAt(at));
  }

  async stats(): Promise<LogStats> {
    const segmentBytes = await this.segments.bytes();
    const view = this.view();
    const firstIndex = firstIndexOf(view);
    return {
      firstIndex,
      lastIndex: view.lastIndex,
      lastTerm: view.lastTerm,
      recordCount: firstIndex === undefined ? 0 : view.lastIndex - firstIndex + 1,
      recordsSinceSnapshot: view.lastIndex - view.snapshotIndex,
      recordsPerMinute: this.meter.perMinute(),
      bytesOnDisk: segmentBytes + this.finalData.bytesOnDisk,
      snapshotIndex: view.snapshotIndex === 0 ? undefined : view.snapshotIndex,
      lastRecordTime: this.meter.lastTime,
    };
  }

  /** Waits for the calls in progress, makes every appended entry durable, and closes the files. */
  async close(): Promise<void> {
    const release = await this.mutex.lock();
    try {
      await this.segments.close();
      await this.finalData.close().catch(() => undefined);
    } finally {
      this.failure ??= new LsfsError('CLOSED', `the raft log in ${this.options.directory} is closed`, { path: this.options.directory });
      release();
      await this.lock.release().catch(() => undefined);
    }
  }

  /** True when there is no tail, or it is full and holds an entry (RLG-054): the next append starts a segment. */
  private needsSegment(): boolean {
    const tail = this.segments.tail;
    return tail === undefined || (tail.bytes >= this.options.segmentBytes && tail.nextIndex > tail.ref.base);
  }

  /** Appends one entry to the tail, without waiting: durable after {@link syncPinned}. */
  private appendToTail(entry: EntryData): void {
    const fieldsLength = entryFieldsLength(entry);
    // The fields go through a reused buffer and the command straight from the caller's array:
    // the segment encodes both into its block arena, with no payload buffer in between.
    const fields = fieldsLength <= this.fieldsScratch.length ? this.fieldsScratchOf(fieldsLength) : Buffer.allocUnsafe(fieldsLength);
    encodeEntryFields(entry, fields, fieldsLength);
    // What io() does, without a closure per entry.
    try {
      this.segments.tail!.appendParts(ENTRY_TYPE_CODES[entry.code], fields, fieldsLength, entry.command);
    } catch (error) {
      this.fail(error);
    }
    this.lastIndex++;
    this.lastTerm = entry.term;
  }

  /** The first `length` bytes of the fields scratch: views kept per length, so that no append makes one. */
  private fieldsScratchOf(length: number): Buffer {
    let view = this.fieldsScratchViews[length];
    if (view === undefined) this.fieldsScratchViews[length] = view = this.fieldsScratch.subarray(0, length);
    return view;
  }

  /** The tail, kept open until the sync after an append is done even if a truncation retires it meanwhile. */
  private pinTail(): { tail: OpenSegment; unpin: () => void } {
    const tail = this.segments.tail!;
    return { tail, unpin: tail.pin() };
  }

  /**
   * Waits for the sync that makes the pinned tail's appends durable, then unpins it. One promise,
   * no async layer (a lone append pays for each on its way to the disk); a failure fails the store
   * as {@link io} does.
   */
  private syncPinned(written: { tail: OpenSegment; unpin: () => void }): Promise<void> {
    return written.tail.syncPinned().then(
      () => written.unpin(),
      (error: unknown) => {
        written.unpin();
        return this.fail(error);
      },
    );
  }

  /**
   * The structural change of RLG-054, RLG-090 and RLG-091: a new segment at `base` (holding
   * `first` if given, synced) is created, then one hard-state write lists it after `keep`; only
   * then do the dropped segments go.
   */
  private async startSegment(base: number, keep: readonly SegmentRef[], first?: EntryData, end?: { lastIndex: number; lastTerm: number }): Promise<void> {
    const ref: SegmentRef = { id: this.nextSegmentId, base, fileId: randomFileId() };
    const next: HardState = { ...this.state, nextSegmentId: ref.id + 1, segments: pruneCompacted([...keep, ref], this.state.snapshotIndex) };
    const payload = this.finalData.prepare(next);
    // Consumed before any I/O: a file with this id may exist from here on, so the id is never reused.
    this.nextSegmentId = ref.id + 1;
    let removed: Promise<void> = Promise.resolve();
    await this.io(async () => {
      const segment = await this.segments.create(ref);
      try {
        if (first !== undefined) {
          const { typeCode, payload: bytes } = encodeEntry(first);
          segment.append(typeCode, bytes);
          await segment.sync();
        }
        await this.commitPrepared(next, payload, () => {
          removed = this.segments.adopt(next.segments, segment);
          if (end !== undefined) ({ lastIndex: this.lastIndex, lastTerm: this.lastTerm } = end);
        });
      } catch (error) {
        // Not removed: the hard state may list it if the failed write reached the disk.
        this.segments.abandon(segment);
        throw error;
      }
    });
    await removed;
  }

  /**
   * Makes `next` the durable hard state. `apply` runs right after, in the same synchronous step
   * as the switch of `state`, so that no concurrent call sees one without the other.
   */
  private async commit(next: HardState, apply?: () => void): Promise<void> {
    await this.commitPrepared(next, this.finalData.prepare(next), apply);
  }

  private async commitPrepared(next: HardState, payload: Buffer, apply?: () => void): Promise<void> {
    const problem = inconsistency(next);
    assert(problem === undefined, `a hard state about to be written is inconsistent: ${problem}`);
    await this.io(async () => {
      // RLG-080 (2): everything the new hard state refers to is durable before it is.
      await this.segments.tail?.sync();
      await this.finalData.write(payload);
    });
    this.state = next;
    apply?.();
  }

  /** The stored fields of the entry at `index`, which the log holds. */
  private async entryAt(index: number): Promise<EntryData> {
    const segment = this.segments.locate(index);
    const record = await segment.read(index);
    return decodeEntry(record.typeCode, record.payload, `${segment.path} record ${index}`);
  }

  /** Term at `index`: 0 before the first entry, the snapshot's at its index, else the entry's. */
  private async termAt(index: number): Promise<number> {
    if (index === 0) return 0;
    if (index === this.state.snapshotIndex) return this.state.snapshotTerm;
    return (await this.entryAt(index)).term;
  }

  private toEntry(index: number, data: EntryData): LogEntry {
    return toLogEntry(index, data, this.state.commitIndex, this.state.appliedIndex);
  }

  /** Removes what an interrupted life of the log left: unlisted segments, their locks, temporary files (RLG-082). */
  private async removeLeftovers(names: readonly string[]): Promise<void> {
    const live = new Set(this.state.segments.map((ref) => this.segments.pathOf(ref)));
    for (const name of names) {
      const path = `${this.options.directory}/${name}`;
      const owner = parseSegmentFileName(name) !== undefined ? name : leftoverOf(name);
      if (owner === undefined || live.has(`${this.options.directory}/${owner}`)) continue;
      await this.options.storage.remove(path);
    }
  }

  /** Runs a mutating call under the lock, after checking that the store still works. */
  private async exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const release = await this.mutex.lock();
    try {
      this.checkHealthy();
      return await operation();
    } finally {
      release();
    }
  }

  /**
   * Runs I/O. After a failure, memory and disk may disagree (a failed fsync may even have dropped
   * written pages), so the store refuses every later call until it is restarted.
   */
  private io<T>(work: () => T): T {
    try {
      const result = work();
      return (result instanceof Promise ? result.catch((error: unknown) => this.fail(error)) : result) as T;
    } catch (error) {
      return this.fail(error);
    }
  }

  /** Fails the store with `error` (the first failure is the one reported, see {@link io}) and throws it. */
  private fail(error: unknown): never {
    this.failure ??= error;
    throw error;
  }

  private checkHealthy(): void {
    if (this.failure === undefined) return;
    if (isLsfsError(this.failure, 'CLOSED')) throw this.failure;
    throw new LsfsError('IO_ERROR', `the raft log in ${this.options.directory} failed earlier and must be restarted: ${String((this.failure as Error)?.message ?? this.failure)}`, {
      path: this.options.directory,
      cause: this.failure,
    });
  }
}
