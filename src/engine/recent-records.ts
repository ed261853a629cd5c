/**
 * The recorder's bounded cache of recent records, limited by count and by payload bytes.
 *
 * Appends have consecutive indexes and evictions take the oldest, so the cache is two rings: one
 * of slots (a record's place, length, type code and file offset, in typed arrays) and one of
 * payload bytes, where the payloads of the kept records lie one after the other from the oldest.
 * An append copies its payload into the byte ring and allocates nothing: no Buffer and no object
 * per record, which an append path that runs per entry would otherwise pay for in allocation and
 * in garbage collection of records that live just long enough to be promoted. A read copies the
 * payload out, so that what it returns stays valid whatever the cache does next.
 *
 * A record whose payload is larger than `maxRecordBytes` keeps its slot empty: copying it on every
 * append costs about what reading it back from the file would, so it is read from the file.
 */
import type { LsfsRecord } from './record.js';

/** Slots of a new cache's ring; it doubles as records arrive, up to the count limit. */
const INITIAL_RING_SLOTS = 64;
/** Bytes of a new cache's byte ring; it doubles as payloads arrive, up to the byte limit. */
const INITIAL_BYTE_RING = 64 << 10;
/** Slot length of a record whose payload the cache does not keep. */
const EMPTY = -1;

export class RecentRecords {
  /** Slot ring, a power of two long: the oldest at `head`, then `count` in index order. */
  private slotStart = new Float64Array(INITIAL_RING_SLOTS);
  private slotLength = new Float64Array(INITIAL_RING_SLOTS).fill(EMPTY);
  private slotOffset = new Float64Array(INITIAL_RING_SLOTS);
  private slotType: bigint[] = new Array<bigint>(INITIAL_RING_SLOTS).fill(0n);
  private head = 0;
  private count = 0;
  /**
   * Index after the newest slot. The only BigInt kept: adds and evictions then do no BigInt
   * arithmetic beyond one increment (each result is a heap allocation on the append path).
   */
  private endIndex = 0n;
  /** Payload bytes of the kept records, in slot order from `byteHead` (wrapping at the end). */
  private ring: Buffer = Buffer.alloc(0);
  private byteHead = 0;
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

  /** True when a record with a payload of `length` bytes would be kept. */
  keeps(length: number): boolean {
    return this.enabled && length <= this.maxRecordBytes && length <= this.maxBytes;
  }

  /** Slots held (records kept, and the empty slots of records too large to keep). */
  get size(): number {
    return this.count;
  }

  /** The record with `index`, with a payload of its own, or undefined when the cache does not hold it. */
  get(index: bigint): LsfsRecord | undefined {
    if (this.count === 0 || index >= this.endIndex) return undefined;
    const back = this.endIndex - index;
    if (back > BigInt(this.count)) return undefined;
    const slot = this.slot(this.count - Number(back));
    const length = this.slotLength[slot]!;
    if (length === EMPTY) return undefined;
    const payload = Buffer.allocUnsafe(length);
    const start = this.slotStart[slot]!;
    const first = Math.min(length, this.ring.length - start);
    this.ring.copy(payload, 0, start, start + first);
    if (first < length) this.ring.copy(payload, first, 0, length - first);
    return { index, typeCode: this.slotType[slot]!, payload, offset: this.slotOffset[slot]! };
  }

  /**
   * Notes the newest record, whose payload is `head[0, headLength) ‖ body` (copied here when
   * {@link keeps} says so; an empty slot otherwise). A record that does not follow the newest
   * slot starts the cache afresh.
   */
  add(index: bigint, typeCode: bigint, offset: number, head: Uint8Array, headLength: number, body: Uint8Array): void {
    if (!this.enabled) return;
    if (this.count > 0 && index !== this.endIndex) this.clear();
    this.endIndex = index + 1n;
    const length = headLength + body.length;
    const kept = this.keeps(length);
    if (this.count === this.slotStart.length) {
      if (this.slotStart.length < this.maxRecords) this.growSlots();
      else this.evictOldest();
    }
    while (this.count >= this.maxRecords || (kept && this.bytes + length > this.maxBytes)) this.evictOldest();
    const slot = this.slot(this.count);
    this.slotType[slot] = typeCode;
    this.slotOffset[slot] = offset;
    if (kept) {
      if (this.bytes + length > this.ring.length) this.growBytes(this.bytes + length);
      const start = this.wrap(this.byteHead + this.bytes);
      this.put(start, head, headLength);
      this.put(this.wrap(start + headLength), body, body.length);
      this.slotStart[slot] = start;
      this.slotLength[slot] = length;
      this.bytes += length;
    } else {
      this.slotLength[slot] = EMPTY;
    }
    this.count++;
  }

  /** Drops records from `index` on (the Raft log deletes suffixes). */
  dropFrom(index: bigint): void {
    while (this.count > 0 && this.endIndex > index) {
      const newest = this.slot(this.count - 1);
      const length = this.slotLength[newest]!;
      if (length !== EMPTY) this.bytes -= length;
      this.count--;
      this.endIndex--;
    }
  }

  /** Position in the slot ring of the `offset`-th slot from the oldest. */
  private slot(offset: number): number {
    return (this.head + offset) & (this.slotStart.length - 1);
  }

  /** `position` folded into the byte ring, for a position below twice its length. */
  private wrap(position: number): number {
    return position >= this.ring.length ? position - this.ring.length : position;
  }

  /** Copies `source[0, length)` into the byte ring at `at`, wrapping at its end. */
  private put(at: number, source: Uint8Array, length: number): void {
    if (length === 0) return;
    const first = Math.min(length, this.ring.length - at);
    this.ring.set(first === source.length ? source : source.subarray(0, first), at);
    if (first < length) this.ring.set(source.subarray(first, length), 0);
  }

  private growSlots(): void {
    const size = this.slotStart.length * 2;
    const start = new Float64Array(size);
    const length = new Float64Array(size).fill(EMPTY);
    const offset = new Float64Array(size);
    const type = new Array<bigint>(size).fill(0n);
    for (let i = 0; i < this.count; i++) {
      const from = this.slot(i);
      start[i] = this.slotStart[from]!;
      length[i] = this.slotLength[from]!;
      offset[i] = this.slotOffset[from]!;
      type[i] = this.slotType[from]!;
    }
    this.slotStart = start;
    this.slotLength = length;
    this.slotOffset = offset;
    this.slotType = type;
    this.head = 0;
  }

  /** A byte ring that holds `needed` bytes (at most the byte limit), the kept payloads moved to its start in order. */
  private growBytes(needed: number): void {
    let size = Math.max(this.ring.length, Math.min(INITIAL_BYTE_RING, this.maxBytes));
    while (size < needed) size *= 2;
    const ring = Buffer.allocUnsafe(Math.min(size, this.maxBytes));
    const first = Math.min(this.bytes, this.ring.length - this.byteHead);
    this.ring.copy(ring, 0, this.byteHead, this.byteHead + first);
    if (first < this.bytes) this.ring.copy(ring, first, 0, this.bytes - first);
    // Every kept payload moves by the same distance, modulo the old ring's length.
    for (let i = 0; i < this.count; i++) {
      const slot = this.slot(i);
      if (this.slotLength[slot] === EMPTY) continue;
      const moved = this.slotStart[slot]! - this.byteHead;
      this.slotStart[slot] = moved < 0 ? moved + this.ring.length : moved;
    }
    this.ring = ring;
    this.byteHead = 0;
  }

  private evictOldest(): void {
    const length = this.slotLength[this.head]!;
    if (length !== EMPTY) {
      this.bytes -= length;
      this.byteHead = this.bytes === 0 ? 0 : this.wrap(this.byteHead + length);
    }
    this.slotLength[this.head] = EMPTY;
    this.head = this.slot(1);
    this.count--;
  }

  private clear(): void {
    this.head = 0;
    this.count = 0;
    this.byteHead = 0;
    this.bytes = 0;
  }
}
