/**
 * The clean check behind a fast verify: does a run of whole blocks hold nothing that a scan (spec
 * §9) would call damage? It checks, in one pass over the bytes and without an object per slice,
 * everything the block parser and the scanner check on an undamaged file — block headers (§5),
 * slices (§6), record headers (§7), padding (§8), the slice sequence and the index numbering across
 * blocks (RSF-032, RSF-043, RSF-050, RSF-052, RSF-073) — and answers only "clean" or "not clean".
 *
 * It never classifies damage: on "not clean" the caller runs the salvage scanner, the one place
 * that does. So the clean check may be stricter than the scanner (a false "not clean" costs only
 * time) but never more lenient (a false "clean" would hide damage).
 *
 * A range that does not start at block 0 cannot know the state the blocks before it leave (a
 * record in progress, the next index): it records what it assumed at its start, and
 * {@link CleanRangeStitcher} (clean-stitch.ts) checks those assumptions against the range before.
 */
import { assert } from '../errors.js';
import { CRC32C_TABLE, crc32c, crc32cSmall } from '../format/crc32c.js';
import {
  BLOCK_HEADER_SIZE,
  BLOCK_MAGIC,
  MAX_PAYLOAD_LENGTH,
  MAX_RECORD_INDEX,
  MIN_RECORD_START,
  RECORD_HEADER_SIZE,
  SLICE_HEADER_SIZE,
  SLICE_MAGIC,
  SLICE_OVERHEAD,
  SliceKind,
  blockDataStart,
} from '../format/constants.js';

/** What the clean check needs to know about the file: from its (already checked) file header and the view's size. */
export interface CleanCheckGeometry {
  readonly blockSize: number;
  readonly fileId: bigint;
  readonly baseIndex: bigint;
  /** Bytes of the file in the reader's view; bytes after it are not checked. */
  readonly fileSize: number;
}

/**
 * What a clean range of blocks `[firstBlock, endBlock)` holds, and the state at its two ends that
 * the stitcher matches against its neighbours.
 */
export interface CleanRangeSummary {
  readonly firstBlock: number;
  /** One past the range's last block. */
  readonly endBlock: number;
  /** `first_index` of the range's first block (the base index for block 0). */
  readonly startFirstIndex: bigint;
  /** True when the range begins with a MIDDLE or LAST slice: inside a record that started before it. */
  readonly startsInsideRecord: boolean;
  /** Data bytes of the MIDDLE and LAST slices the range begins with (0 when it begins with none). */
  readonly leadingDataBytes: number;
  /** True when that leading continuation ends (a LAST slice) within the range. */
  readonly leadingEnded: boolean;
  /** FULL and FIRST slices in the range: records that start in it. */
  readonly recordStarts: number;
  /** The index the next record starting after the range gets (RSF-073). */
  readonly nextIndex: bigint;
  /** Index of the record in progress at the range's end, or undefined when none is. */
  readonly pendingIndex: bigint | undefined;
  /**
   * Data bytes that record still needs after the range, when its FIRST slice is in the range;
   * undefined when the record started before the range (the stitcher knows its length then).
   */
  readonly pendingRemaining: number | undefined;
  /** File offset where the range's last FULL or LAST slice ends, or undefined when it has none. */
  readonly lastRecordEnd: number | undefined;
}

/** A record in progress whose length the checker does not know: it started before the range. */
const UNKNOWN_TOTAL = -1;
const TWO_TO_32 = 0x1_0000_0000;

/**
 * Checks blocks one after another, from `firstBlock` on, fed in chunks of whole blocks. Keeps no
 * per-slice state beyond a few numbers, allocates nothing per slice but the view a native CRC
 * call needs, and stops at the first thing that is not clean.
 */
export class CleanRangeChecker {
  private readonly geometry: CleanCheckGeometry;
  private readonly firstBlock: number;
  private readonly fileIdLow: number;
  private readonly fileIdHigh: number;
  /** CRC-32C of the file id's 8 bytes: the first half of every slice context (spec §3). */
  private readonly fileIdCrc: number;
  private nextBlock: number;
  private clean = true;

  private startFirstIndex: bigint | undefined;
  private startsInsideRecord = false;
  private leadingDataBytes = 0;
  private leadingEnded = false;
  /** True while the range's leading continuation (a record of unknown length) is in progress. */
  private inLeading = false;

  private recordStarts = 0;
  private nextIndex: bigint;
  private pendingIndex: bigint | undefined;
  /** Data bytes (record header and payload) of the record in progress, or UNKNOWN_TOTAL. */
  private pendingTotal = 0;
  private pendingFilled = 0;
  private lastRecordEnd: number | undefined;

  constructor(geometry: CleanCheckGeometry, firstBlock: number) {
    assert(Number.isSafeInteger(firstBlock) && firstBlock >= 0, `first block ${firstBlock} is a block number`);
    this.geometry = geometry;
    this.firstBlock = firstBlock;
    this.nextBlock = firstBlock;
    this.fileIdLow = Number(geometry.fileId & 0xffffffffn);
    this.fileIdHigh = Number(geometry.fileId >> 32n);
    const fileIdBytes = Buffer.alloc(8);
    fileIdBytes.writeBigUInt64LE(geometry.fileId);
    this.fileIdCrc = crc32cSmall(fileIdBytes, 0, 8);
    this.nextIndex = geometry.baseIndex;
  }

  /** False once anything checked so far is not clean. */
  get isClean(): boolean {
    return this.clean;
  }

  /**
   * Checks the blocks held in `bytes[0, length)`, the first being block `blockNumber` (the block
   * after the last one checked). Every block must be whole, except the file's last block, which
   * must hold exactly the bytes up to the file's size: a short read is "not clean", never a guess.
   */
  checkBlocks(bytes: Uint8Array, length: number, blockNumber: number): boolean {
    assert(blockNumber === this.nextBlock, `block ${blockNumber} follows block ${this.nextBlock - 1}`);
    assert(length <= bytes.length, 'the chunk lies within its buffer');
    const { blockSize, fileSize } = this.geometry;
    // A plain Uint8Array view: its subarray() (one per slice, for the native CRC) is much cheaper than Buffer's.
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset, length);
    for (let start = 0; start < length && this.clean; start += blockSize, blockNumber++) {
      const expected = Math.min(blockSize, fileSize - blockNumber * blockSize);
      const available = Math.min(blockSize, length - start);
      if (expected <= 0 || available !== expected) this.clean = false;
      else this.clean = this.checkBlock(view, start, available, blockNumber);
      this.nextBlock = blockNumber + 1;
    }
    return this.clean;
  }

  /** What the checked blocks hold; only for a clean range, after at least one block. */
  summary(): CleanRangeSummary {
    assert(this.clean && this.startFirstIndex !== undefined, 'a summary is only made of a clean, non-empty range');
    return {
      firstBlock: this.firstBlock,
      endBlock: this.nextBlock,
      startFirstIndex: this.startFirstIndex,
      startsInsideRecord: this.startsInsideRecord,
      leadingDataBytes: this.leadingDataBytes,
      leadingEnded: this.leadingEnded,
      recordStarts: this.recordStarts,
      nextIndex: this.nextIndex,
      pendingIndex: this.pendingIndex,
      pendingRemaining: this.pendingIndex === undefined || this.pendingTotal === UNKNOWN_TOTAL ? undefined : this.pendingTotal - this.pendingFilled,
      lastRecordEnd: this.lastRecordEnd,
    };
  }

  /** One block: its header, then its slices and padding. `length` is its bytes within the file. */
  private checkBlock(bytes: Uint8Array, start: number, length: number, blockNumber: number): boolean {
    const firstIndex = blockNumber === 0 ? this.geometry.baseIndex : this.checkBlockHeader(bytes, start, length, blockNumber);
    if (firstIndex === undefined) return false;
    const dataStart = start + blockDataStart(blockNumber);
    const continues = length > dataStart - start && isContinuationAt(bytes, dataStart, start + length);
    if (!this.acceptFirstIndex(firstIndex, continues, blockNumber)) return false;
    // RSF-073: the block's own first_index numbers the records that start in it.
    const blockStartIndex = continues ? firstIndex + 1n : firstIndex;
    const starts = this.checkSlices(bytes, start, length, blockNumber, blockStartIndex);
    if (starts < 0) return false;
    // RSF-052: a record start above MAX_RECORD_INDEX is damage (INDEX_OVERFLOW).
    if (starts > 0 && blockStartIndex + BigInt(starts - 1) > MAX_RECORD_INDEX) return false;
    this.nextIndex = blockStartIndex + BigInt(starts);
    this.recordStarts += starts;
    return true;
  }

  /** RSF-031 for block k ≥ 1: its `first_index`, or undefined when the header is not intact. */
  private checkBlockHeader(bytes: Uint8Array, start: number, length: number, blockNumber: number): bigint | undefined {
    if (length < BLOCK_HEADER_SIZE) return undefined;
    if (u32(bytes, start) !== BLOCK_MAGIC) return undefined;
    if (crc32c(bytes.subarray(start + 8, start + BLOCK_HEADER_SIZE)) !== u32(bytes, start + 4)) return undefined;
    if (u32(bytes, start + 8) !== this.fileIdLow || u32(bytes, start + 12) !== this.fileIdHigh) return undefined;
    if (u32(bytes, start + 16) !== blockNumber % TWO_TO_32 || u32(bytes, start + 20) !== Math.floor(blockNumber / TWO_TO_32)) return undefined;
    return (BigInt(u32(bytes, start + 28)) << 32n) | BigInt(u32(bytes, start + 24));
  }

  /**
   * RSF-032: the block's `first_index` against what the blocks before it leave. The range's first
   * block (other than block 0) cannot know that: it records what it found, for the stitcher.
   */
  private acceptFirstIndex(firstIndex: bigint, continues: boolean, blockNumber: number): boolean {
    if (this.startFirstIndex === undefined) {
      this.startFirstIndex = firstIndex;
      if (!continues) return true;
      // Block 0 is reached by no earlier block: a continuation there continues nothing (RSF-032).
      if (blockNumber === 0) return false;
      this.startsInsideRecord = true;
      this.inLeading = true;
      this.pendingIndex = firstIndex;
      this.pendingTotal = UNKNOWN_TOTAL;
      return true;
    }
    // Within the range the expectation is known: the record in progress, or the next record.
    if (this.pendingIndex !== undefined) return continues && firstIndex === this.pendingIndex;
    return !continues && firstIndex === this.nextIndex;
  }

  /**
   * The slices and padding of one block, in the order of RSF-042 and RSF-052. Returns the number of
   * records that start in the block (FULL and FIRST slices), or −1 when something is not clean.
   */
  private checkSlices(bytes: Uint8Array, start: number, length: number, blockNumber: number, blockStartIndex: bigint): number {
    const blockEnd = start + this.geometry.blockSize;
    const dataEnd = start + length;
    const dataStart = start + blockDataStart(blockNumber);
    const blockOffset = blockNumber * this.geometry.blockSize;
    let starts = 0;
    for (let at = dataStart; at < dataEnd; ) {
      if (blockEnd - at < MIN_RECORD_START) return isZero(bytes, at, dataEnd) ? starts : -1;
      const dataLength = this.checkSliceFrame(bytes, at, blockOffset + at - start, blockEnd, dataEnd);
      if (dataLength < 0) return -1;
      const kind = bytes[at + 2]!;
      const size = dataLength + SLICE_OVERHEAD;
      const fillsBlock = at + size === blockEnd;
      if (kind === SliceKind.Middle || kind === SliceKind.Last) {
        if (at !== dataStart || !this.continueRecord(kind, dataLength, fillsBlock)) return -1;
      } else {
        if (!this.startRecord(bytes, at, kind, dataLength, fillsBlock)) return -1;
        // One BigInt per FIRST slice, none per FULL slice: a FIRST slice ends its block.
        if (kind === SliceKind.First) this.pendingIndex = blockStartIndex + BigInt(starts);
        starts++;
      }
      at += size;
      if (kind === SliceKind.Full || kind === SliceKind.Last) this.lastRecordEnd = blockOffset + at - start;
    }
    return starts;
  }

  /**
   * RSF-042 checks 1 to 8 of the slice at `at` (file offset `sliceOffset`): its data length, or −1
   * when any fails. `dataEnd` is where the file's bytes in this block end.
   */
  private checkSliceFrame(bytes: Uint8Array, at: number, sliceOffset: number, blockEnd: number, dataEnd: number): number {
    if (dataEnd - at < SLICE_OVERHEAD) return -1;
    if (u16(bytes, at) !== SLICE_MAGIC) return -1;
    // CRC(context ‖ header bytes 0 to 5): its low half is header_check, and slice_crc continues from it.
    const headerCrc = contextAndHeaderCrc(this.fileIdCrc, sliceOffset, bytes, at);
    if ((headerCrc & 0xffff) !== u16(bytes, at + 6)) return -1;
    const kind = bytes[at + 2]!;
    if (kind < SliceKind.Full || kind > SliceKind.Last || bytes[at + 3] !== 0) return -1;
    const dataLength = u16(bytes, at + 4);
    const crcEnd = at + SLICE_HEADER_SIZE + dataLength;
    if (crcEnd + 4 > blockEnd || crcEnd + 4 > dataEnd) return -1;
    // The one allocation per slice: the view the native CRC call takes (it has no offset argument).
    if (crc32c(bytes.subarray(at + HEADER_CHECK_COVERS, crcEnd), headerCrc) !== u32(bytes, crcEnd)) return -1;
    return dataLength;
  }

  /**
   * RSF-043, RSF-050 to RSF-052 for the FULL or FIRST slice at `at`: false when not clean. For a
   * FIRST slice it records the record's length; the caller sets its index.
   */
  private startRecord(bytes: Uint8Array, at: number, kind: number, dataLength: number, fillsBlock: boolean): boolean {
    if (dataLength < RECORD_HEADER_SIZE || this.pendingIndex !== undefined) return false;
    const payloadLength = u32(bytes, at + SLICE_HEADER_SIZE + 8);
    if (payloadLength > MAX_PAYLOAD_LENGTH) return false;
    const total = RECORD_HEADER_SIZE + payloadLength;
    if (kind === SliceKind.Full) return dataLength === total;
    if (!fillsBlock || dataLength >= total) return false;
    this.pendingTotal = total;
    this.pendingFilled = dataLength;
    return true;
  }

  /** RSF-043, RSF-050, RSF-052 for a MIDDLE or LAST slice at its block's start: false when not clean. */
  private continueRecord(kind: number, dataLength: number, fillsBlock: boolean): boolean {
    if (kind === SliceKind.Middle ? !fillsBlock : dataLength === 0) return false;
    if (this.pendingIndex === undefined) return false;
    if (this.inLeading) {
      // The record's length is the range before's to know: the stitcher checks these bytes against it.
      this.leadingDataBytes += dataLength;
      if (kind === SliceKind.Last) this.endLeading();
      return true;
    }
    const after = this.pendingFilled + dataLength;
    if (kind === SliceKind.Middle ? after >= this.pendingTotal : after !== this.pendingTotal) return false;
    this.pendingFilled = after;
    if (kind === SliceKind.Last) this.pendingIndex = undefined;
    return true;
  }

  private endLeading(): void {
    this.inLeading = false;
    this.leadingEnded = true;
    this.pendingIndex = undefined;
  }
}

/** Bytes of a slice header that `header_check` covers (spec §6). */
const HEADER_CHECK_COVERS = 6;

/**
 * True when the block's first slice is a MIDDLE or LAST slice (RSF-032 asks before the slice is
 * checked; a damaged one makes the block "not clean" anyway when its own check comes).
 */
function isContinuationAt(bytes: Uint8Array, dataStart: number, dataEnd: number): boolean {
  if (dataEnd - dataStart < SLICE_OVERHEAD) return false;
  const kind = bytes[dataStart + 2];
  return kind === SliceKind.Middle || kind === SliceKind.Last;
}

/** The shared CRC-32C table: the 14 bytes per slice of context and header check are hashed here. */
const CRC_TABLE = CRC32C_TABLE;

/**
 * CRC-32C of `file_id ‖ slice_offset ‖ header bytes 0 to 5` (spec §3, §6), from the CRC of the
 * file id's 8 bytes: what `crc32cSmall(header, 0, 6, sliceContextCrc(fileId, offset))` gives,
 * without its per-call look-up and heap numbers.
 */
function contextAndHeaderCrc(fileIdCrc: number, sliceOffset: number, bytes: Uint8Array, at: number): number {
  let register = ~fileIdCrc;
  let low = sliceOffset >>> 0;
  let high = Math.floor(sliceOffset / TWO_TO_32);
  for (let i = 0; i < 4; i++, low >>>= 8) register = CRC_TABLE[(register ^ low) & 0xff]! ^ (register >>> 8);
  for (let i = 0; i < 4; i++, high >>>= 8) register = CRC_TABLE[(register ^ high) & 0xff]! ^ (register >>> 8);
  for (let i = at; i < at + HEADER_CHECK_COVERS; i++) register = CRC_TABLE[(register ^ bytes[i]!) & 0xff]! ^ (register >>> 8);
  return ~register >>> 0;
}

/** The little-endian u16 at `at` (plain indexing: the hot loop avoids Buffer's checked readers). */
function u16(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

/** The little-endian u32 at `at`, as an unsigned number. */
function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** RSF-061, RSF-062: padding is zero bytes. */
function isZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}
