/**
 * Entry data: incompressible payloads (random bytes, so that no peer gains from compression) taken
 * from one pool without allocating, and a seeded generator for random read indexes that every
 * store gets in the same order.
 */
import { randomBytes } from 'node:crypto';

export interface Entry {
  /** Raft index (the first entry is 1). */
  readonly index: number;
  readonly term: number;
  readonly command: Uint8Array;
}

const POOL_BYTES = 32 << 20;
let pool: Buffer | undefined;

function payloadPool(): Buffer {
  pool ??= randomBytes(POOL_BYTES);
  return pool;
}

/** Term of the entry with `index`: a new term every 65536 entries, as after rare elections. */
export function termOf(index: number): number {
  return 1 + Math.floor(index / 65536);
}

/** The command bytes of entry `index` (a view into the pool: never changed, never freed). */
export function commandOf(index: number, size: number): Uint8Array {
  const bytes = payloadPool();
  const slots = Math.floor((POOL_BYTES - size) / 64);
  const at = ((index * 2654435761) % slots) * 64;
  return bytes.subarray(at, at + size);
}

export function entryOf(index: number, size: number): Entry {
  return { index, term: termOf(index), command: commandOf(index, size) };
}

/** Entries `first` .. `first + count - 1`. */
export function entries(first: number, count: number, size: number): Entry[] {
  const out: Entry[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = entryOf(first + i, size);
  return out;
}

/** Bytes of the pool, for a raw write of `length` bytes (`length` <= the pool's size). */
export function rawBytes(length: number, salt = 0): Uint8Array {
  const bytes = payloadPool();
  if (length > POOL_BYTES) throw new Error(`raw write of ${length} bytes exceeds the ${POOL_BYTES}-byte pool`);
  const at = (salt * 4096) % (POOL_BYTES - length + 1);
  return bytes.subarray(at, at + length);
}

/** xorshift32: a small seeded generator, so every store reads the same indexes. */
export function seededIndexes(seed: number, count: number, first: number, last: number): number[] {
  let state = seed >>> 0 || 1;
  const span = last - first + 1;
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = first + (state % span);
  }
  return out;
}
