/** Slices: an 8-byte header, the data, a 4-byte trailer (spec §6): encode and check. */
import { assert } from '../errors.js';
import { crc32c, crc32cSmall, sliceContextCrc } from './crc32c.js';
import { SLICE_HEADER_SIZE, SLICE_MAGIC, SLICE_OVERHEAD, SliceKind } from './constants.js';
import { type Damage, damage } from './damage.js';
import { hex32 } from './file-header.js';

const HEADER_CHECK_COVERS = 6;

/**
 * Completes the slice at `at` in `into` whose `dataLength` data bytes are already in place after
 * the header's 8 bytes: writes the header and the trailer. `sliceOffset` is the slice's file
 * offset, part of the checksum context. Returns the slice's total size.
 */
export function sealSlice(into: Buffer, at: number, kind: SliceKind, dataLength: number, fileId: bigint, sliceOffset: number): number {
  const contextCrc = writeSliceHeader(into, at, kind, dataLength, fileId, sliceOffset);
  const sliceCrc = crc32c(into.subarray(at, at + SLICE_HEADER_SIZE + dataLength), contextCrc);
  into.writeUInt32LE(sliceCrc, at + SLICE_HEADER_SIZE + dataLength);
  return dataLength + SLICE_OVERHEAD;
}

/** Data bytes before the tail part up to which {@link sealSliceOfParts} hashes them in JavaScript. */
export const SHORT_PREFIX_BYTES = 64;

/**
 * {@link sealSlice} for a slice whose data is `prefixLength` bytes (at most
 * {@link SHORT_PREFIX_BYTES}) followed by a copy of `tail`, the caller's array: the same bytes and
 * checksum. The prefix and header are hashed by table and the tail by one native call on `tail`
 * itself, so that no view of the output is made (a view costs about what the native call does).
 */
export function sealSliceOfParts(into: Buffer, at: number, kind: SliceKind, prefixLength: number, tail: Uint8Array, fileId: bigint, sliceOffset: number): number {
  assert(prefixLength <= SHORT_PREFIX_BYTES, 'a slice prefix hashed by table is short');
  const dataLength = prefixLength + tail.length;
  const contextCrc = writeSliceHeader(into, at, kind, dataLength, fileId, sliceOffset);
  const prefixCrc = crc32cSmall(into, at, SLICE_HEADER_SIZE + prefixLength, contextCrc);
  const sliceCrc = tail.length === 0 ? prefixCrc : crc32c(tail, prefixCrc);
  into.writeUInt32LE(sliceCrc, at + SLICE_HEADER_SIZE + dataLength);
  return dataLength + SLICE_OVERHEAD;
}

/** Writes the slice header at `at` (magic, kind, reserved, length, header check); returns the context CRC. */
function writeSliceHeader(into: Buffer, at: number, kind: SliceKind, dataLength: number, fileId: bigint, sliceOffset: number): number {
  const contextCrc = sliceContextCrc(fileId, sliceOffset);
  into.writeUInt16LE(SLICE_MAGIC, at);
  into[at + 2] = kind;
  into[at + 3] = 0;
  into.writeUInt16LE(dataLength, at + 4);
  const headerCheck = crc32cSmall(into, at, HEADER_CHECK_COVERS, contextCrc) & 0xffff;
  into.writeUInt16LE(headerCheck, at + 6);
  return contextCrc;
}

export interface DecodedSlice {
  readonly kind: SliceKind;
  /** File offset of the slice header. */
  readonly offset: number;
  readonly dataLength: number;
  /** Offset of the data within the buffer that was decoded. */
  readonly dataStart: number;
  /** Total bytes of the slice: header, data, trailer. */
  readonly size: number;
}

/** Damage to a slice, with `skippable` set when its header passed `header_check` (RSF-072). */
export interface SliceDamage extends Damage {
  readonly skippable: boolean;
  readonly kind?: SliceKind;
}

/**
 * Checks the slice at `at` in `block` (the bytes of one block, `blockOffset` its file offset), in
 * the order of RSF-042. `blockEnd` is the index in `block` where the block ends (it may lie past
 * `block.length` when the file ends inside the block). Sequence rules are the caller's.
 */
export function decodeSlice(block: Buffer, at: number, blockOffset: number, blockEnd: number, fileId: bigint): DecodedSlice | SliceDamage {
  const offset = blockOffset + at;
  const toBlockEnd = blockEnd - at;
  if (block.length - at < SLICE_HEADER_SIZE) {
    return { ...damage('TORN_TAIL', offset, block.length - at, 'file ends inside a slice header'), skippable: false };
  }
  if (block.readUInt16LE(at) !== SLICE_MAGIC) {
    return { ...damage('BAD_MAGIC', offset, toBlockEnd, 'bad slice magic'), skippable: false };
  }
  const contextCrc = sliceContextCrc(fileId, offset);
  const storedCheck = block.readUInt16LE(at + 6);
  const actualCheck = crc32cSmall(block, at, HEADER_CHECK_COVERS, contextCrc) & 0xffff;
  if (storedCheck !== actualCheck) {
    return { ...damage('CHECKSUM_MISMATCH', offset, toBlockEnd, `slice header check 0x${storedCheck.toString(16)} does not match 0x${actualCheck.toString(16)}`), skippable: false };
  }
  const kind = block.readUInt8(at + 2);
  if (kind < SliceKind.Full || kind > SliceKind.Last) {
    return { ...damage('BAD_SLICE', offset, toBlockEnd, `slice kind ${kind} is not 1..4`), skippable: false };
  }
  if (block.readUInt8(at + 3) !== 0) {
    return { ...damage('UNSUPPORTED_FEATURE', offset, toBlockEnd, 'slice sets its reserved byte'), skippable: false };
  }
  const dataLength = block.readUInt16LE(at + 4);
  const size = dataLength + SLICE_OVERHEAD;
  if (size > toBlockEnd) {
    return { ...damage('BAD_SLICE', offset, toBlockEnd, `slice of ${size} bytes overruns its block by ${size - toBlockEnd}`), skippable: false };
  }
  if (at + size > block.length) {
    return { ...damage('TORN_TAIL', offset, block.length - at, 'file ends inside a slice'), skippable: false, kind };
  }
  const storedCrc = block.readUInt32LE(at + SLICE_HEADER_SIZE + dataLength);
  const actualCrc = crc32c(block.subarray(at, at + SLICE_HEADER_SIZE + dataLength), contextCrc);
  if (storedCrc !== actualCrc) {
    return { ...damage('CHECKSUM_MISMATCH', offset, size, `slice checksum ${hex32(storedCrc)} does not match ${hex32(actualCrc)}`), skippable: true, kind };
  }
  return { kind, offset, dataLength, dataStart: at + SLICE_HEADER_SIZE, size };
}

/**
 * True when an intact slice starts at `at` in `block` (spec §9's "intact structure"): its magic,
 * `header_check` and `slice_crc` are right for that place, and it lies within its block. Kind and
 * reserved byte do not matter here: a slice that has them wrong was still written whole.
 */
export function isIntactSliceAt(block: Buffer, at: number, blockOffset: number, blockEnd: number, fileId: bigint): boolean {
  if (block.length - at < SLICE_OVERHEAD || block.readUInt16LE(at) !== SLICE_MAGIC) return false;
  const contextCrc = sliceContextCrc(fileId, blockOffset + at);
  if ((crc32cSmall(block, at, HEADER_CHECK_COVERS, contextCrc) & 0xffff) !== block.readUInt16LE(at + 6)) return false;
  const dataLength = block.readUInt16LE(at + 4);
  const end = at + SLICE_HEADER_SIZE + dataLength;
  if (end + 4 > Math.min(blockEnd, block.length)) return false;
  return crc32c(block.subarray(at, end), contextCrc) === block.readUInt32LE(end);
}
