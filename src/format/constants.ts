/** Sizes, magic numbers and limits of the LSFS format (spec §2, §4–§7). */

export const FORMAT_VERSION = 1;

export const FILE_HEADER_SIZE = 64;
export const BLOCK_HEADER_SIZE = 32;
export const SLICE_HEADER_SIZE = 8;
export const SLICE_TRAILER_SIZE = 4;
export const SLICE_OVERHEAD = SLICE_HEADER_SIZE + SLICE_TRAILER_SIZE;
export const RECORD_HEADER_SIZE = 12;
/** Space a block must have left for a record to start in it: a slice header, a record header, a trailer. */
export const MIN_RECORD_START = SLICE_OVERHEAD + RECORD_HEADER_SIZE;

export const BLOCK_SIZE_LOG2_MIN = 9;
export const BLOCK_SIZE_LOG2_MAX = 16;
/** Block size of a new file when none is given (spec §2). */
export const DEFAULT_BLOCK_SIZE = 4096;

/** Largest record payload in bytes, 2^30 (spec §2, RSF-002). */
export const MAX_PAYLOAD_LENGTH = 2 ** 30;
/** Largest type code, 2^64 − 1: every u64 is a valid type code (spec §2). */
export const MAX_TYPE_CODE = 2n ** 64n - 1n;
/** Largest record index, 2^64 − 2, so that the next index is always a u64 (spec §2, RSF-003). */
export const MAX_RECORD_INDEX = 2n ** 64n - 2n;

/** `\x89LSF\r\n\x1a\n`: non-ASCII first byte and CR LF SUB LF catch text-mode mangling, as in PNG. */
export const FILE_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0x89, 0x4c, 0x53, 0x46, 0x0d, 0x0a, 0x1a, 0x0a);
/** `LSBK` read as a little-endian u32. */
export const BLOCK_MAGIC = 0x4b42534c;
/** `SL` read as a little-endian u16. */
export const SLICE_MAGIC = 0x4c53;

/** Slice kinds (spec §6). */
export enum SliceKind {
  Full = 1,
  First = 2,
  Middle = 3,
  Last = 4,
}

/** Byte offsets of the file header's fields (spec §4). */
export const FileHeaderField = {
  magic: 0,
  formatVersion: 8,
  blockSizeLog2: 10,
  reserved0: 11,
  featureFlags: 12,
  fileId: 16,
  baseIndex: 24,
  reserved1: 32,
  headerCrc: 60,
} as const;

/** True for a block size that spec RSF-001 allows. */
export function isValidBlockSize(blockSize: number): boolean {
  return (
    Number.isInteger(blockSize) &&
    blockSize >= 2 ** BLOCK_SIZE_LOG2_MIN &&
    blockSize <= 2 ** BLOCK_SIZE_LOG2_MAX &&
    (blockSize & (blockSize - 1)) === 0
  );
}

/** Offset within block `blockNumber` where its data area (its first slice) starts. */
export function blockDataStart(blockNumber: number): number {
  return blockNumber === 0 ? FILE_HEADER_SIZE : BLOCK_HEADER_SIZE;
}

/** Data bytes a MIDDLE slice carries: a whole block's data area less the slice overhead. */
export function middleSliceCapacity(blockSize: number): number {
  return blockSize - BLOCK_HEADER_SIZE - SLICE_OVERHEAD;
}
