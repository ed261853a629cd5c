/**
 * CRC-32C (Castagnoli), spec §3, from `@node-rs/crc32` (SIMD / SSE4.2 accelerated). The slice
 * context (file id and slice offset) is hashed first so that a slice only verifies at its own place
 * in its own file.
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC-32C of `data`, continuing from `previous` (the CRC of the bytes before it) when given. */
export function crc32c(data: Uint8Array, previous = 0): number {
  return nativeCrc32c(data, previous) >>> 0;
}

/** Check value of spec §3: the CRC-32C of ASCII `123456789`. */
export const CRC32C_CHECK_VALUE = 0xe3069283;

/** CRC-32C of the 16-byte slice context: `file_id (u64) ‖ slice_offset (u64)`. */
export function sliceContextCrc(fileId: bigint, sliceOffset: number): number {
  const context = Buffer.allocUnsafe(16);
  context.writeBigUInt64LE(fileId, 0);
  context.writeBigUInt64LE(BigInt(sliceOffset), 8);
  return crc32c(context);
}
