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
import { sealSlice } from './slice.js';

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
  const { blockSize, fileId } = params;
  const first = at;
  const total = encodedRecordSize(position, payload.length, params);
  assert(out.length - at >= total, 'the output has room for the record');
  const dataLength = RECORD_HEADER_SIZE + payload.length;
  const fileOffset = (): number => position + (at - first);
  let dataPlaced = 0;

  const placeData = (count: number): void => {
    // Copies record data [dataPlaced, dataPlaced + count) after the slice header at `at`.
    let target = at + SLICE_HEADER_SIZE;
    let from = dataPlaced;
    const until = dataPlaced + count;
    if (from === 0) {
      // The FULL or FIRST slice: RSF-052 guarantees it holds the whole record header.
      out.writeBigUInt64LE(typeCode, target);
      out.writeUInt32LE(payload.length, target + 8);
      target += RECORD_HEADER_SIZE;
      from = RECORD_HEADER_SIZE;
    }
    if (from < until) out.set(payload.subarray(from - RECORD_HEADER_SIZE, until - RECORD_HEADER_SIZE), target);
  };
  const startBlock = (): void => {
    const blockNumber = fileOffset() / blockSize;
    assert(Number.isInteger(blockNumber), 'a block header starts at a block boundary');
    encodeBlockHeader({ fileId, blockNumber, firstIndex: index }, out, at);
    at += BLOCK_HEADER_SIZE;
  };
  const writeSlice = (kind: SliceKind, count: number): void => {
    placeData(count);
    at += sealSlice(out, at, kind, count, fileId, fileOffset());
    dataPlaced += count;
  };

  let left = bytesLeftInBlock(position, blockSize);
  if (left < MIN_RECORD_START) {
    out.fill(0, at, at + left); // padding
    at += left;
    startBlock();
    left = blockSize - BLOCK_HEADER_SIZE;
  }
  if (dataLength + SLICE_OVERHEAD <= left) {
    writeSlice(SliceKind.Full, dataLength);
  } else {
    writeSlice(SliceKind.First, left - SLICE_OVERHEAD);
    const capacity = middleSliceCapacity(blockSize);
    while (dataPlaced < dataLength) {
      startBlock();
      const remaining = dataLength - dataPlaced;
      writeSlice(remaining > capacity ? SliceKind.Middle : SliceKind.Last, Math.min(remaining, capacity));
    }
  }
  assert(at - first === total, `encoded ${at - first} bytes, planned ${total}`);
  return total;
}

/** File offset of the FULL or FIRST slice of a record appended at file length `position`. */
export function recordStartOffset(position: number, blockSize: number): number {
  const left = bytesLeftInBlock(position, blockSize);
  return left < MIN_RECORD_START ? position + left + BLOCK_HEADER_SIZE : position;
}
