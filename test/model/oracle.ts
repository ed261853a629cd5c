/**
 * The oracle of the model-based tests: what an LSFS record stream holds, as plain arrays, written
 * from the spec alone. It imports nothing from `src/`, so a bug in the engine cannot hide in it.
 *
 * Two parts:
 * - {@link Oracle}: the records in order, how many of them a completed sync covered, the base index.
 * - {@link placeRecord} / {@link layoutOf}: where spec §8 puts a record's bytes (padding, block
 *   headers, slices). Canonical layout (RSF-060) makes this a function of the payload lengths alone,
 *   so the oracle also knows the file's exact length and, for the corruption tests, which structure
 *   every byte of the file belongs to.
 */

/** Spec §2 constants, restated here on purpose (see the file comment). */
export const SPEC = {
  FILE_HEADER_SIZE: 64,
  BLOCK_HEADER_SIZE: 32,
  SLICE_HEADER_SIZE: 8,
  SLICE_OVERHEAD: 12,
  RECORD_HEADER_SIZE: 12,
  MIN_RECORD_START: 24,
  MAX_TYPE_CODE: 2n ** 64n - 1n,
  MAX_RECORD_INDEX: 2n ** 64n - 2n,
} as const;

export interface OracleRecord {
  readonly typeCode: bigint;
  readonly payload: Buffer;
}

/** The model of one record stream. */
export class Oracle {
  readonly baseIndex: bigint;
  readonly blockSize: number;
  private readonly records: OracleRecord[] = [];
  /** File length after each record (spec §8), so a cut to k records knows its length at once. */
  private readonly ends: number[] = [];
  /** Records covered by a completed sync: a crash may not lose any of them (appendix A). */
  private syncedCount = 0;

  constructor(baseIndex: bigint, blockSize: number) {
    this.baseIndex = baseIndex;
    this.blockSize = blockSize;
  }

  get count(): number {
    return this.records.length;
  }

  get synced(): number {
    return this.syncedCount;
  }

  get nextIndex(): bigint {
    return this.baseIndex + BigInt(this.records.length);
  }

  get lastIndex(): bigint | undefined {
    return this.records.length === 0 ? undefined : this.nextIndex - 1n;
  }

  /** RSF-003/RSF-004: a record whose index would pass MAX_RECORD_INDEX is refused. */
  get canAppend(): boolean {
    return this.nextIndex <= SPEC.MAX_RECORD_INDEX;
  }

  /** The file's length by the canonical layout: header, then every record's bytes. */
  get length(): number {
    return this.lengthAfter(this.records.length);
  }

  /** File length once the first `count` records are written. */
  lengthAfter(count: number): number {
    return count === 0 ? SPEC.FILE_HEADER_SIZE : this.ends[count - 1]!;
  }

  append(record: OracleRecord): bigint {
    if (!this.canAppend) throw new Error('oracle: append past MAX_RECORD_INDEX');
    const index = this.nextIndex;
    this.ends.push(placeRecord(this.length, record.payload.length, this.blockSize).end);
    this.records.push(record);
    return index;
  }

  /** A sync completed that covers the first `count` records (it never uncovers any). */
  markSynced(count = this.records.length): void {
    this.syncedCount = Math.max(this.syncedCount, Math.min(count, this.records.length));
  }

  /** Recovery kept the first `count` records and synced the file (RSF-081). */
  cutTo(count: number): void {
    if (count < this.syncedCount || count > this.records.length) throw new Error(`oracle: cannot cut ${this.records.length} records to ${count}`);
    this.records.length = count;
    this.ends.length = count;
    this.syncedCount = count;
  }

  /** The record with `index`, or undefined outside the stream. */
  at(index: bigint): OracleRecord | undefined {
    const position = index - this.baseIndex;
    return position < 0n || position >= BigInt(this.records.length) ? undefined : this.records[Number(position)];
  }

  /** Position `i` (0-based) of the stream. */
  nth(i: number): OracleRecord {
    const record = this.records[i];
    if (record === undefined) throw new Error(`oracle: no record at position ${i}`);
    return record;
  }

  all(): readonly OracleRecord[] {
    return this.records;
  }
}

// ---------------------------------------------------------------------------------------------
// Layout (spec §8), independent of src/format/layout.ts.

export type StructureKind = 'file-header' | 'block-header' | 'padding' | 'full' | 'first' | 'middle' | 'last';

/** A byte range of the file that one structure occupies. */
export interface Structure {
  readonly kind: StructureKind;
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  /** Position (0-based) of the record the structure belongs to or is written for. */
  readonly record: number;
}

export function isSlice(structure: Structure): boolean {
  return structure.kind === 'full' || structure.kind === 'first' || structure.kind === 'middle' || structure.kind === 'last';
}

export interface PlacedRecord {
  /** Padding, block headers and slices written for this record, in file order. */
  readonly structures: Structure[];
  /** Start of its FULL or FIRST slice. */
  readonly start: number;
  /** End of its FULL or LAST slice: the file's length after it. */
  readonly end: number;
}

/** Where spec §8 puts a record with `payloadLength` payload bytes appended at file length `position`. */
export function placeRecord(position: number, payloadLength: number, blockSize: number, record = 0): PlacedRecord {
  const { BLOCK_HEADER_SIZE, SLICE_OVERHEAD, RECORD_HEADER_SIZE, MIN_RECORD_START } = SPEC;
  const structures: Structure[] = [];
  const add = (kind: StructureKind, length: number): void => {
    structures.push({ kind, start: position, end: position + length, record });
    position += length;
  };
  // Step 1: "the bytes left in block k after p"; at a block boundary that is 0, so a header follows.
  let left = position % blockSize === 0 ? 0 : blockSize - (position % blockSize);
  if (left < MIN_RECORD_START) {
    if (left > 0) add('padding', left);
    add('block-header', BLOCK_HEADER_SIZE);
    left = blockSize - BLOCK_HEADER_SIZE;
  }
  let data = RECORD_HEADER_SIZE + payloadLength;
  if (data + SLICE_OVERHEAD <= left) {
    add('full', data + SLICE_OVERHEAD); // step 2
  } else {
    add('first', left); // step 3: FIRST fills the block
    data -= left - SLICE_OVERHEAD;
    const middle = blockSize - BLOCK_HEADER_SIZE - SLICE_OVERHEAD;
    while (data > 0) {
      add('block-header', BLOCK_HEADER_SIZE);
      const take = Math.min(data, middle);
      add(data > middle ? 'middle' : 'last', take + SLICE_OVERHEAD);
      data -= take;
    }
  }
  const slices = structures.filter(isSlice);
  return { structures, start: slices[0]!.start, end: position };
}

export interface FileLayout {
  /** Every structure of the file in order; together they cover every byte exactly once. */
  readonly structures: Structure[];
  readonly records: PlacedRecord[];
  readonly length: number;
}

export function layoutOf(payloadLengths: readonly number[], blockSize: number): FileLayout {
  const structures: Structure[] = [{ kind: 'file-header', start: 0, end: SPEC.FILE_HEADER_SIZE, record: -1 }];
  const records: PlacedRecord[] = [];
  let length: number = SPEC.FILE_HEADER_SIZE;
  payloadLengths.forEach((payloadLength, i) => {
    const placed = placeRecord(length, payloadLength, blockSize, i);
    records.push(placed);
    structures.push(...placed.structures);
    length = placed.end;
  });
  return { structures, records, length };
}

/** The structure holding byte `offset` (binary search: structures are sorted and contiguous). */
export function structureAt(layout: FileLayout, offset: number): Structure {
  let low = 0;
  let high = layout.structures.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (layout.structures[middle]!.start <= offset) low = middle;
    else high = middle - 1;
  }
  const found = layout.structures[low]!;
  if (offset < found.start || offset >= found.end) throw new Error(`layout: byte ${offset} is outside the file`);
  return found;
}
