/**
 * The live segments of a log (spec §5, §7): the files the hard state lists, open, in base order.
 * Segment i holds the entries from its base to the base of segment i + 1 minus one (a sealed
 * segment may hold more records after that: entries a truncation deleted, never read again); the
 * last segment, the tail, holds the entries from its base to the end of the log.
 */
import { LsfsError } from '../errors.js';
import type { Storage } from '../io/storage.js';
import type { SegmentRef } from './hard-state.js';
import { OpenSegment } from './segment.js';
import { segmentFileName } from './segment-names.js';

/** The open live segments, in base order: see the module comment. */
export class SegmentSet {
  private live: OpenSegment[] = [];
  private readonly retiring = new Set<Promise<void>>();

  private constructor(
    private readonly storage: Storage,
    private readonly directory: string,
    private readonly blockSize: number | undefined,
  ) {}

  /**
   * Opens the tail for appending, after checking that every listed segment is among `names` (the
   * directory's files: a missing one is `IO_ERROR`). The sealed segments are opened and checked
   * (RLG-081) at their first read, so that a start costs the same whatever the log's size.
   */
  static async open(storage: Storage, directory: string, refs: readonly SegmentRef[], blockSize: number | undefined, names: readonly string[]): Promise<SegmentSet> {
    const set = new SegmentSet(storage, directory, blockSize);
    const present = new Set(names);
    for (const ref of refs) {
      const path = set.pathOf(ref);
      if (!present.has(segmentFileName(ref.base, ref.id))) throw new LsfsError('IO_ERROR', `${path}: a segment the hard state lists is missing`, { path });
    }
    try {
      for (let i = 0; i < refs.length; i++) {
        const ref = refs[i]!;
        const next = refs[i + 1];
        const path = set.pathOf(ref);
        set.live.push(next === undefined ? await OpenSegment.openTail(storage, path, ref) : OpenSegment.sealed(storage, path, ref, next.base));
      }
      return set;
    } catch (error) {
      await set.close();
      throw error;
    }
  }

  /** Path of a segment's file. */
  pathOf(ref: SegmentRef): string {
    return `${this.directory}/${segmentFileName(ref.base, ref.id)}`;
  }

  /** The segment appends go to, or undefined when there is none (a new log, or after a snapshot that covered every entry). */
  get tail(): OpenSegment | undefined {
    return this.live[this.live.length - 1];
  }

  /** The segment whose range holds `index` (the caller checks that the log holds it). */
  locate(index: number): OpenSegment {
    let low = 0;
    let high = this.live.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (this.live[middle]!.ref.base <= index) low = middle;
      else high = middle - 1;
    }
    const segment = this.live[low];
    if (segment === undefined || segment.ref.base > index) throw new LsfsError('INDEX_OUT_OF_RANGE', `no segment holds index ${index}`);
    return segment;
  }

  /** Bytes of every live segment file. */
  async bytes(): Promise<number> {
    let sum = 0;
    for (const size of await Promise.all(this.live.map((segment) => segment.size()))) sum += size;
    return sum;
  }

  /** Creates a new segment file; it is not live until {@link adopt} lists it. */
  create(ref: SegmentRef): Promise<OpenSegment> {
    return OpenSegment.create(this.storage, this.pathOf(ref), ref, this.blockSize);
  }

  /**
   * Makes `refs` (just written to the hard state) the live list: segments still listed stay open,
   * `added` joins, and the others are closed and their files removed (RLG-055). Resolves when
   * the removals are done; the new list is in effect at once.
   */
  adopt(refs: readonly SegmentRef[], added?: OpenSegment): Promise<void> {
    const byId = new Map(this.live.map((segment) => [segment.ref.id, segment]));
    if (added !== undefined) byId.set(added.ref.id, added);
    const next = refs.map((ref) => {
      const segment = byId.get(ref.id);
      if (segment === undefined) throw new LsfsError('INVALID_ARGUMENT', `segment ${ref.id} is listed but not open`);
      return segment;
    });
    const kept = new Set(next);
    this.live = next;
    const removals = [...byId.values()].filter((segment) => !kept.has(segment)).map((segment) => segment.retire(true));
    removals.forEach((done) => this.track(done));
    return Promise.all(removals).then(() => undefined);
  }

  /** Closes a segment that never became live, keeping its file (the clean-up at the next start removes it). */
  abandon(segment: OpenSegment): void {
    this.track(segment.retire(false));
  }

  /** Closes every segment once nothing uses it any more. */
  async close(): Promise<void> {
    const live = this.live;
    this.live = [];
    for (const segment of live) this.track(segment.retire(false));
    while (this.retiring.size > 0) await Promise.all([...this.retiring]);
  }

  private track(done: Promise<void>): void {
    this.retiring.add(done);
    void done.finally(() => this.retiring.delete(done));
  }
}
