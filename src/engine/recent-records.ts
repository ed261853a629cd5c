/** The recorder's bounded cache of recent records, limited by count and by payload bytes. */
import type { LsfsRecord } from './record.js';

export class RecentRecords {
  private readonly byIndex = new Map<bigint, LsfsRecord>();
  private bytes = 0;

  constructor(
    private readonly maxRecords: number,
    private readonly maxBytes: number,
  ) {}

  get enabled(): boolean {
    return this.maxRecords > 0 && this.maxBytes > 0;
  }

  get(index: bigint): LsfsRecord | undefined {
    return this.byIndex.get(index);
  }

  add(record: LsfsRecord): void {
    if (this.maxRecords === 0 || record.payload.length > this.maxBytes) return;
    this.byIndex.set(record.index, record);
    this.bytes += record.payload.length;
    for (const [index, oldest] of this.byIndex) {
      if (this.byIndex.size <= this.maxRecords && this.bytes <= this.maxBytes) break;
      this.byIndex.delete(index);
      this.bytes -= oldest.payload.length;
    }
  }

  /** Drops records from `index` on (the Raft log deletes suffixes). */
  dropFrom(index: bigint): void {
    for (const [cached, record] of [...this.byIndex]) {
      if (cached >= index) {
        this.byIndex.delete(cached);
        this.bytes -= record.payload.length;
      }
    }
  }

  get size(): number {
    return this.byIndex.size;
  }
}
