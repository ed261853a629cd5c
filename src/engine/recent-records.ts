/**
 * The recorder's bounded cache of recent records, limited by count and by payload bytes. Appends
 * have consecutive indexes, so the cache is a queue of slots: lookup is arithmetic, eviction takes
 * the oldest, and nothing walks a map. A record whose payload is larger than `maxRecordBytes`
 * keeps its slot empty: copying it on every append costs about what reading it back from the file
 * would, so it is read from the file.
 */
import type { LsfsRecord } from './record.js';

/** Evicted slots are compacted away once this many have piled up at the front. */
const COMPACT_AFTER = 1024;

export class RecentRecords {
  private slots: (LsfsRecord | undefined)[] = [];
  /** Position in `slots` of the oldest slot kept. */
  private head = 0;
  /** Index of the record in the oldest slot kept. */
  private firstIndex = 0n;
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
    return this.slots.length - this.head;
  }

  get(index: bigint): LsfsRecord | undefined {
    if (this.size === 0 || index < this.firstIndex) return undefined;
    const offset = index - this.firstIndex;
    return offset < BigInt(this.size) ? this.slots[this.head + Number(offset)] : undefined;
  }

  /**
   * Notes the newest record: `record` is kept when `keeps` says so, `undefined` (for the record with
   * `index`) keeps an empty slot. A record that does not follow the newest slot starts afresh.
   */
  add(index: bigint, record: LsfsRecord | undefined): void {
    if (!this.enabled) return;
    if (this.size > 0 && index !== this.firstIndex + BigInt(this.size)) this.clear();
    if (this.size === 0) this.firstIndex = index;
    const kept = record !== undefined && this.keeps(record.payload.length) ? record : undefined;
    this.slots.push(kept);
    this.bytes += kept?.payload.length ?? 0;
    while (this.size > this.maxRecords || this.bytes > this.maxBytes) this.evictOldest();
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops records from `index` on (the Raft log deletes suffixes). */
  dropFrom(index: bigint): void {
    while (this.size > 0 && this.firstIndex + BigInt(this.size - 1) >= index) {
      this.bytes -= this.slots.pop()?.payload.length ?? 0;
    }
  }

  private evictOldest(): void {
    this.bytes -= this.slots[this.head]?.payload.length ?? 0;
    this.slots[this.head] = undefined;
    this.head++;
    this.firstIndex++;
  }

  private clear(): void {
    this.slots = [];
    this.head = 0;
    this.bytes = 0;
  }
}
