/**
 * The recorder's bounded cache of recent records, limited by count and by payload bytes. Appends
 * have consecutive indexes, so the cache is a queue: lookup is arithmetic, eviction takes the
 * oldest, and nothing walks a map.
 */
import type { LsfsRecord } from './record.js';

/** Evicted slots are compacted away once this many have piled up at the front. */
const COMPACT_AFTER = 1024;

export class RecentRecords {
  private records: (LsfsRecord | undefined)[] = [];
  /** Position in `records` of the oldest record kept. */
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly maxRecords: number,
    private readonly maxBytes: number,
  ) {}

  /** False when either limit is zero: the cache then keeps nothing and costs nothing. */
  get enabled(): boolean {
    return this.maxRecords > 0 && this.maxBytes > 0;
  }

  /** Records held. */
  get size(): number {
    return this.records.length - this.head;
  }

  get(index: bigint): LsfsRecord | undefined {
    const oldest = this.records[this.head];
    if (oldest === undefined || index < oldest.index) return undefined;
    const offset = index - oldest.index;
    return offset < BigInt(this.size) ? this.records[this.head + Number(offset)] : undefined;
  }

  /** Keeps `record`, the newest; a record that does not follow the newest kept one starts afresh. */
  add(record: LsfsRecord): void {
    if (!this.enabled || record.payload.length > this.maxBytes) return;
    const newest = this.records[this.records.length - 1];
    if (this.size > 0 && newest !== undefined && record.index !== newest.index + 1n) this.clear();
    this.records.push(record);
    this.bytes += record.payload.length;
    while (this.size > this.maxRecords || this.bytes > this.maxBytes) this.evictOldest();
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops records from `index` on (the Raft log deletes suffixes). */
  dropFrom(index: bigint): void {
    while (this.size > 0 && (this.records[this.records.length - 1] as LsfsRecord).index >= index) {
      this.bytes -= (this.records.pop() as LsfsRecord).payload.length;
    }
  }

  private evictOldest(): void {
    const oldest = this.records[this.head] as LsfsRecord;
    this.bytes -= oldest.payload.length;
    this.records[this.head] = undefined;
    this.head++;
  }

  private clear(): void {
    this.records = [];
    this.head = 0;
    this.bytes = 0;
  }
}
