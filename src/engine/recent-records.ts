/**
 * The recorder's bounded cache of recent records, limited by count and by payload bytes. Appends
 * have consecutive indexes, so the cache is a ring of slots: lookup is arithmetic, eviction takes
 * the oldest, and nothing walks a map. A record whose payload is larger than `maxRecordBytes`
 * keeps its slot empty: copying it on every append costs about what reading it back from the file
 * would, so it is read from the file.
 */
import type { LsfsRecord } from './record.js';

/** Slots of a new cache's ring; it doubles as records arrive, up to the count limit. */
const INITIAL_RING_SLOTS = 64;

export class RecentRecords {
  /** A ring of slots, a power of two long: the oldest at `head`, then `count` in index order. */
  private ring: (LsfsRecord | undefined)[] = new Array<LsfsRecord | undefined>(INITIAL_RING_SLOTS).fill(undefined);
  private head = 0;
  private count = 0;
  /**
   * Index after the newest slot. The only BigInt kept: adds and evictions then do no BigInt
   * arithmetic beyond one increment (each result is a heap allocation on the append path).
   */
  private endIndex = 0n;
  private bytes = 0;

  constructor(
    private readonly maxRecords: number,
    private readonly maxBytes: number,
    private readonly maxRecordBytes: number = maxBytes,
  ) {}

  /** False when either limit is zero: the cache then keeps nothing and costs nothing. */
  get enabled(): boolean {
    return this.maxRecords > 0 && this.maxBytes > 0;
  }

  /** True when a record with a payload of `length` bytes would be kept (the caller copies only then). */
  keeps(length: number): boolean {
    return this.enabled && length <= this.maxRecordBytes && length <= this.maxBytes;
  }

  /** Slots held (records kept, and the empty slots of records too large to keep). */
  get size(): number {
    return this.count;
  }

  get(index: bigint): LsfsRecord | undefined {
    if (this.count === 0 || index >= this.endIndex) return undefined;
    const back = this.endIndex - index;
    return back <= BigInt(this.count) ? this.ring[this.slot(this.count - Number(back))] : undefined;
  }

  /**
   * Notes the newest record: `record` is kept when `keeps` says so, `undefined` (for the record with
   * `index`) keeps an empty slot. A record that does not follow the newest slot starts afresh.
   */
  add(index: bigint, record: LsfsRecord | undefined): void {
    if (!this.enabled) return;
    if (this.count > 0 && index !== this.endIndex) this.clear();
    this.endIndex = index + 1n;
    const kept = record !== undefined && this.keeps(record.payload.length) ? record : undefined;
    if (this.count === this.ring.length) {
      if (this.ring.length < this.maxRecords) this.grow();
      else this.evictOldest();
    }
    this.ring[this.slot(this.count)] = kept;
    this.count++;
    this.bytes += kept?.payload.length ?? 0;
    while (this.count > this.maxRecords || this.bytes > this.maxBytes) this.evictOldest();
  }

  /** Drops records from `index` on (the Raft log deletes suffixes). */
  dropFrom(index: bigint): void {
    while (this.count > 0 && this.endIndex > index) {
      const newest = this.slot(this.count - 1);
      this.bytes -= this.ring[newest]?.payload.length ?? 0;
      this.ring[newest] = undefined;
      this.count--;
      this.endIndex--;
    }
  }

  /** Position in the ring of the `offset`-th slot from the oldest. */
  private slot(offset: number): number {
    return (this.head + offset) & (this.ring.length - 1);
  }

  private grow(): void {
    const ring = new Array<LsfsRecord | undefined>(this.ring.length * 2).fill(undefined);
    for (let i = 0; i < this.count; i++) ring[i] = this.ring[this.slot(i)];
    this.ring = ring;
    this.head = 0;
  }

  private evictOldest(): void {
    this.bytes -= this.ring[this.head]?.payload.length ?? 0;
    this.ring[this.head] = undefined;
    this.head = this.slot(1);
    this.count--;
  }

  private clear(): void {
    for (let i = 0; i < this.count; i++) this.ring[this.slot(i)] = undefined;
    this.head = 0;
    this.count = 0;
    this.bytes = 0;
  }
}
