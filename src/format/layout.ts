/**
 * The canonical layout of spec §8: where a writer places a record's bytes. Pure: given the file's
 * length and the record, it produces the exact bytes to append.
 */
import { assert } from '../errors.js';
import { encodeBlockHeader } from './block-header.js';
import {
  BLOCK_HEADER_SIZE,
  MIN_RECORD_START,
  RECORD_HEADER_SIZE,
  SLICE_HEADER_SIZE,
  SLICE_OVERHEAD,
  SliceKind,
  middleSliceCapacity,
} from './constants.js';
import { SHORT_PREFIX_BYTES, sealSlice, sealSliceOfParts } from './slice.js';

export interface LayoutParameters {
  readonly blockSize: number;
  readonly fileId: bigint;
}

/** Bytes left in the current block at file length `position`; 0 at a block boundary (the next block is not started yet). */
export function bytesLeftInBlock(position: number, blockSize: number): number {
  const within = position % blockSize;
  return within === 0 ? 0 : blockSize - within;
}

/** The exact number of bytes that appending a record of `payloadLength` at `position` adds to the file. */
export function encodedRecordSize(position: number, payloadLength: number, params: LayoutParameters): number {
  let left = bytesLeftInBlock(position, params.blockSize);
  let size = 0;
  if (left < MIN_RECORD_START) {
    size += left + BLOCK_HEADER_SIZE;
    left = params.blockSize - BLOCK_HEADER_SIZE;
  }
  let data = RECORD_HEADER_SIZE + payloadLength;
  if (data + SLICE_OVERHEAD <= left) return size + data + SLICE_OVERHEAD;
  size += left;
  data -= left - SLICE_OVERHEAD;
  const capacity = middleSliceCapacity(params.blockSize);
  const wholeBlocks = Math.floor((data - 1) / capacity);
  size += wholeBlocks * params.blockSize;
  data -= wholeBlocks * capacity;
  return size + BLOCK_HEADER_SIZE + data + SLICE_OVERHEAD;
}

/**
 * Encodes the record with `index`, `typeCode` and `payload` as appended at file length `position`:
 * padding and block headers where §8 puts them, then its slices. Returns the bytes to append.
 */
export function encodeRecord(position: number, index: bigint, typeCode: bigint, payload: Uint8Array, params: LayoutParameters): Buffer {
  const out = Buffer.allocUnsafe(encodedRecordSize(position, payload.length, params));
  encodeRecordInto(out, 0, position, index, typeCode, payload, params);
  return out;
}

/**
 * {@link encodeRecord} into `out` at `at` (the writer's buffer of pending bytes, so that appends
 * allocate nothing). `out` must have `encodedRecordSize` bytes free there. Returns the bytes written.
 */
export function encodeRecordInto(out: Buffer, at: number, position: number, index: bigint, typeCode: bigint, payload: Uint8Array, params: LayoutParameters): number {
  return encodeRecordPartsInto(out, at, position, index, typeCode, NO_HEAD, 0, payload, params);
}

const NO_HEAD = new Uint8Array(0);

/**
 * {@link encodeRecordInto} for a payload given in two parts that follow each other: the first
 * `headLength` bytes of `head`, then all of `body`. The Raft log passes an entry's fields and its
 * command this way, so that neither is joined into a payload buffer only to be copied again here.
 * The bytes are exactly those of the joined payload.
 */
export function encodeRecordPartsInto(
  out: Buffer,
  at: number,
  position: number,
  index: bigint,
  typeCode: bigint,
  head: Uint8Array,
  headLength: number,
  body: Uint8Array,
  params: LayoutParameters,
): number {
  const { blockSize, fileId } = params;
  assert(headLength >= 0 && headLength <= head.length, 'the head part lies within its buffer');
  const payloadLength = headLength + body.length;
  const total = encodedRecordSize(position, payloadLength, params);
  assert(out.length - at >= total, 'the output has room for the record');
  const first = at;
  // File offset of out[i] is fileBase + i.
  const fileBase = position - at;
  let left = bytesLeftInBlock(position, blockSize);
  if (left < MIN_RECORD_START) {
    out.fill(0, at, at + left); // padding
    at += left;
    at = placeBlockHeader(out, at, fileBase + at, params, index);
    left = blockSize - BLOCK_HEADER_SIZE;
  }
  const dataLength = RECORD_HEADER_SIZE + payloadLength;
  if (dataLength + SLICE_OVERHEAD <= left) {
    placeRecordHeader(out, at + SLICE_HEADER_SIZE, typeCode, payloadLength);
    placePayload(out, at + SLICE_HEADER_SIZE + RECORD_HEADER_SIZE, head, headLength, body, 0, payloadLength);
    const prefixLength = RECORD_HEADER_SIZE + headLength;
    // The common case, a record that fits: its checksum needs no view of `out`.
    at +=
      prefixLength <= SHORT_PREFIX_BYTES
        ? sealSliceOfParts(out, at, SliceKind.Full, prefixLength, body, fileId, fileBase + at)
        : sealSlice(out, at, SliceKind.Full, dataLength, fileId, fileBase + at);
  } else {
    // The FIRST slice fills the block; RSF-052 guarantees it holds the whole record header.
    const firstData = left - SLICE_OVERHEAD;
    let placed = firstData - RECORD_HEADER_SIZE;
    placeRecordHeader(out, at + SLICE_HEADER_SIZE, typeCode, payloadLength);
    placePayload(out, at + SLICE_HEADER_SIZE + RECORD_HEADER_SIZE, head, headLength, body, 0, placed);
    at += sealSlice(out, at, SliceKind.First, firstData, fileId, fileBase + at);
    const capacity = middleSliceCapacity(blockSize);
    while (placed < payloadLength) {
      at = placeBlockHeader(out, at, fileBase + at, params, index);
      const remaining = payloadLength - placed;
      const count = Math.min(remaining, capacity);
      placePayload(out, at + SLICE_HEADER_SIZE, head, headLength, body, placed, placed + count);
      at += sealSlice(out, at, remaining > capacity ? SliceKind.Middle : SliceKind.Last, count, fileId, fileBase + at);
      placed += count;
    }
  }
  // A constant message: this runs once per record, and a template would be built every time.
  assert(at - first === total, 'a record takes exactly the bytes encodedRecordSize plans');
  return total;
}

/** Writes the header of the block starting at file offset `fileOffset` at `at`; returns where its data area begins. */
function placeBlockHeader(out: Buffer, at: number, fileOffset: number, params: LayoutParameters, firstIndex: bigint): number {
  const blockNumber = fileOffset / params.blockSize;
  assert(Number.isInteger(blockNumber), 'a block header starts at a block boundary');
  encodeBlockHeader({ fileId: params.fileId, blockNumber, firstIndex }, out, at);
  return at + BLOCK_HEADER_SIZE;
}

/** The record header (spec §7): type code, payload length. */
function placeRecordHeader(out: Buffer, at: number, typeCode: bigint, payloadLength: number): void {
  // Type codes below 2^32 (all of the Raft log's) skip the BigInt write, the costlier half.
  if (typeCode <= 0xffffffffn) {
    out.writeUInt32LE(Number(typeCode), at);
    out.writeUInt32LE(0, at + 4);
  } else {
    out.writeBigUInt64LE(typeCode, at);
  }
  out.writeUInt32LE(payloadLength, at + 8);
}

/** Copies payload bytes [from, until) of the payload `head[0, headLength) ‖ body` to `out` at `target`. */
function placePayload(out: Buffer, target: number, head: Uint8Array, headLength: number, body: Uint8Array, from: number, until: number): void {
  if (from < headLength) {
    const end = Math.min(until, headLength);
    out.set(from === 0 && end === head.length ? head : head.subarray(from, end), target);
    target += end - from;
    from = end;
  }
  if (from >= until) return;
  const start = from - headLength;
  const stop = until - headLength;
  out.set(start === 0 && stop === body.length ? body : body.subarray(start, stop), target);
}

/** File offset of the FULL or FIRST slice of a record appended at file length `position`. */
export function recordStartOffset(position: number, blockSize: number): number {
  const left = bytesLeftInBlock(position, blockSize);
  return left < MIN_RECORD_START ? position + left + BLOCK_HEADER_SIZE : position;
}
