/**
 * CRC-32C (Castagnoli), spec §3. Bulk data goes to `@node-rs/crc32` (SIMD / SSE4.2). The few bytes
 * of a slice's context and header check go through a small table here instead: on 8 to 22 bytes a
 * call into a native addon costs several times more than the arithmetic, and a scan makes two
 * such calls per slice. Both paths are checked against each other in the tests.
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC-32C of `data`, continuing from `previous` (the CRC of the bytes before it) when given. */
export function crc32c(data: Uint8Array, previous = 0): number {
  return nativeCrc32c(data, previous) >>> 0;
}

/** Check value of spec §3: the CRC-32C of ASCII `123456789`. */
export const CRC32C_CHECK_VALUE = 0xe3069283;

/**
 * The byte-at-a-time table of the reflected CRC-32C polynomial 0x82F63B78, as int32s: loops that
 * hash a few bytes in JavaScript (here, and the clean check of verify) stay in small integers.
 */
export const CRC32C_TABLE: Readonly<Int32Array> = buildTable();

function buildTable(): Int32Array {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
}

const TABLE = CRC32C_TABLE;

/** Raw (pre-inversion) register update for one byte. */
function step(register: number, byte: number): number {
  return TABLE[(register ^ byte) & 0xff]! ^ (register >>> 8);
}

/** Continues CRC `previous` over `count` bytes of `data` from `start`; for short runs only. */
export function crc32cSmall(data: Uint8Array, start: number, count: number, previous = 0): number {
  let register = ~previous >>> 0;
  for (let i = start; i < start + count; i++) register = step(register, data[i]!);
  return ~register >>> 0;
}

/** Continues CRC `previous` over the 8 little-endian bytes of `value` (below 2^53). */
function crcOfU64(value: number, previous: number): number {
  let register = ~previous >>> 0;
  let low = value >>> 0;
  let high = Math.floor(value / 0x100000000) >>> 0;
  for (let i = 0; i < 4; i++, low >>>= 8) register = step(register, low & 0xff);
  for (let i = 0; i < 4; i++, high >>>= 8) register = step(register, high & 0xff);
  return ~register >>> 0;
}

const fileIdCrcs = new Map<bigint, number>();

/** CRC-32C of the 8 little-endian bytes of a file id: the first half of every slice context. */
function fileIdCrc(fileId: bigint): number {
  let crc = fileIdCrcs.get(fileId);
  if (crc === undefined) {
    const bytes = Buffer.allocUnsafe(8);
    bytes.writeBigUInt64LE(fileId);
    crc = crc32cSmall(bytes, 0, 8);
    if (fileIdCrcs.size > 1024) fileIdCrcs.clear();
    fileIdCrcs.set(fileId, crc);
  }
  return crc;
}

/** CRC-32C of the 16-byte slice context: `file_id (u64) ‖ slice_offset (u64)` (spec §3). */
export function sliceContextCrc(fileId: bigint, sliceOffset: number): number {
  return crcOfU64(sliceOffset, fileIdCrc(fileId));
}
