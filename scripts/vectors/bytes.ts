/** Small byte helpers for the vector generator: seeded payloads, hashes, u64 strings. */
import { createHash } from 'node:crypto';

/**
 * `length` pseudo-random bytes from `seed` (xorshift32, seed mixed by splitmix32): the same bytes on
 * every run and platform, so that generated files never change unless their definition does.
 */
export function seededBytes(seed: number, length: number): Buffer {
  let state = mix32(seed >>> 0) || 0x9e3779b9;
  const out = Buffer.allocUnsafe(length);
  let i = 0;
  while (i < length) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    for (let k = 0; k < 4 && i < length; k++, i++) out[i] = (state >>> (8 * k)) & 0xff;
  }
  return out;
}

function mix32(value: number): number {
  let z = (value + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** A payload of ASCII text, handy for small records whose hex a person can read. */
export function text(value: string): Buffer {
  return Buffer.from(value, 'utf8');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The protocol's file id string: 16 lowercase hex digits, most significant first. */
export function fileIdHex(fileId: bigint): string {
  return fileId.toString(16).padStart(16, '0');
}

export const U64_MAX = 2n ** 64n - 1n;
