/** The file header at offset 0 (spec §4): encode and check. */
import { LsfsError } from '../errors.js';
import { crc32c } from './crc32c.js';
import {
  BLOCK_SIZE_LOG2_MAX,
  BLOCK_SIZE_LOG2_MIN,
  FILE_HEADER_SIZE,
  FILE_MAGIC,
  FORMAT_VERSION,
  FileHeaderField,
  MAX_RECORD_INDEX,
  isValidBlockSize,
} from './constants.js';
import { type Damage, damage } from './damage.js';

/** The values of a file header (spec §4) that are not constant. */
export interface FileHeader {
  /** Block size in bytes, a power of two from 512 to 65536 (stored as `block_size_log2`). */
  readonly blockSize: number;
  /** The file identity, part of every slice's checksum context (spec §3, RSF-021). */
  readonly fileId: bigint;
  /** The index of the file's first record. */
  readonly baseIndex: bigint;
}

/** The 64 bytes of a file header. Throws `INVALID_ARGUMENT` on values the spec forbids. */
export function encodeFileHeader(header: FileHeader): Buffer {
  if (!isValidBlockSize(header.blockSize)) {
    throw new LsfsError('INVALID_ARGUMENT', `block size ${header.blockSize} is not a power of two from 512 to 65536`);
  }
  checkU64('file id', header.fileId);
  if (header.baseIndex < 0n || header.baseIndex > MAX_RECORD_INDEX) {
    throw new LsfsError('INVALID_ARGUMENT', `base index ${header.baseIndex} is outside 0..${MAX_RECORD_INDEX}`);
  }
  const bytes = Buffer.alloc(FILE_HEADER_SIZE);
  bytes.set(FILE_MAGIC, FileHeaderField.magic);
  bytes.writeUInt16LE(FORMAT_VERSION, FileHeaderField.formatVersion);
  bytes.writeUInt8(Math.log2(header.blockSize), FileHeaderField.blockSizeLog2);
  bytes.writeBigUInt64LE(header.fileId, FileHeaderField.fileId);
  bytes.writeBigUInt64LE(header.baseIndex, FileHeaderField.baseIndex);
  bytes.writeUInt32LE(crc32c(bytes.subarray(0, FileHeaderField.headerCrc)), FileHeaderField.headerCrc);
  return bytes;
}

/**
 * Checks a file header in the order of RSF-022. `bytes` holds the file's first bytes (up to 64);
 * fewer than 64 is `TRUNCATED_HEADER`.
 */
export function decodeFileHeader(bytes: Uint8Array): FileHeader | Damage {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.length < FILE_HEADER_SIZE) {
    return damage('TRUNCATED_HEADER', 0, FILE_HEADER_SIZE, `file is ${view.length} bytes, shorter than its 64-byte header`);
  }
  if (!view.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC)) {
    return damage('BAD_MAGIC', 0, FILE_HEADER_SIZE, 'not an LSFS file: bad file magic');
  }
  const version = view.readUInt16LE(FileHeaderField.formatVersion);
  if (version !== FORMAT_VERSION) {
    return damage('UNSUPPORTED_VERSION', FileHeaderField.formatVersion, FILE_HEADER_SIZE, `format version ${version} is not supported (this reader reads version ${FORMAT_VERSION})`);
  }
  const storedCrc = view.readUInt32LE(FileHeaderField.headerCrc);
  const actualCrc = crc32c(view.subarray(0, FileHeaderField.headerCrc));
  if (storedCrc !== actualCrc) {
    return damage('CHECKSUM_MISMATCH', FileHeaderField.headerCrc, FILE_HEADER_SIZE, `file header checksum ${hex32(storedCrc)} does not match ${hex32(actualCrc)}`);
  }
  const log2 = view.readUInt8(FileHeaderField.blockSizeLog2);
  if (log2 < BLOCK_SIZE_LOG2_MIN || log2 > BLOCK_SIZE_LOG2_MAX) {
    return damage('BAD_BLOCK_SIZE', FileHeaderField.blockSizeLog2, FILE_HEADER_SIZE, `block size log2 ${log2} is outside 9..16`);
  }
  const reservedAt = firstNonZeroReserved(view);
  if (reservedAt !== undefined) {
    return damage('UNSUPPORTED_FEATURE', reservedAt, FILE_HEADER_SIZE, 'file header sets a reserved field or feature flag');
  }
  // Every u64 base index is readable: at 2^64-1 the file can hold no record (RSF-003).
  const baseIndex = view.readBigUInt64LE(FileHeaderField.baseIndex);
  return { blockSize: 2 ** log2, fileId: view.readBigUInt64LE(FileHeaderField.fileId), baseIndex };
}

function firstNonZeroReserved(view: Buffer): number | undefined {
  if (view.readUInt8(FileHeaderField.reserved0) !== 0) return FileHeaderField.reserved0;
  if (view.readUInt32LE(FileHeaderField.featureFlags) !== 0) return FileHeaderField.featureFlags;
  for (let offset = FileHeaderField.reserved1; offset < FileHeaderField.headerCrc; offset++) {
    if (view[offset] !== 0) return FileHeaderField.reserved1;
  }
  return undefined;
}

export function isDamage(value: object): value is Damage {
  return 'code' in value && 'offset' in value && 'length' in value;
}

/** Largest u64, a constant: computing it in checkU64 would build two BigInts on every append. */
const U64_MAX = 2n ** 64n - 1n;

export function checkU64(what: string, value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
    throw new LsfsError('INVALID_ARGUMENT', `${what} must be a bigint from 0 to 2^64-1, got ${String(value)}`);
  }
}

export function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
