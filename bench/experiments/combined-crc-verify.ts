/**
 * Experiment for workload 6 (not part of `npm run bench`): a verify of an LSFS file that makes ONE
 * native SIMD CRC32C call per 1 MiB chunk instead of one per slice, and allocates nothing per slice.
 *
 * Why: a call into @node-rs/crc32 costs ~0.5 µs, more than checksumming a 256-byte slice, so a
 * verify that calls it per slice cannot pass ~0.5 GB/s on 256-byte records whatever else it does.
 *
 * How: a slice at offset q is intact when crc32c(context_q, S) = t (its trailer). By linearity of
 * CRCs, the raw CRC register (zero start) of S must then be ~t ⊕ shift(~context_q, |S|), where
 * shift(a, n) is a·x^(8n) mod P (zlib's crc32_combine algebra). Folding these expectations together
 * (with the block headers' and trailers' bytes, and the zero padding) gives what the raw CRC of the
 * whole chunk must be; one native call over the chunk checks it. shift() is four table look-ups
 * with a 4 KiB table per slice length (cached: a log has few distinct lengths). The structure rules
 * (magics, header_check, kinds, reserved byte, lengths, slice sequence, first_index, padding) are
 * checked in plain JS on the chunk buffer. Any mismatch means damage somewhere in the chunk: the
 * engine would then run its exact salvage scanner over that chunk to locate and classify it.
 *
 *   node dist/bench/experiments/combined-crc-verify.js FILE.lsfs [repetitions]
 *   node dist/bench/experiments/combined-crc-verify.js --self-test [flips]
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';

const POLY = 0x82f63b78;
const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? POLY ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** a(x)·b(x) mod P in the reflected representation (zlib's multmodp). */
function multiply(a: number, b: number): number {
  let m = 0x80000000;
  let product = 0;
  for (;;) {
    if (a & m) {
      product ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** x^(2^k) mod P, for x^(8n) by squaring. */
const X2N = new Uint32Array(32);
{
  let p = 0x40000000;
  X2N[0] = p;
  for (let k = 1; k < 32; k++) X2N[k] = p = multiply(p, p);
}

function xPow8n(n: number): number {
  let p = 0x80000000;
  for (let k = 3, m = n; m !== 0; m >>>= 1, k++) if (m & 1) p = multiply(X2N[k & 31]!, p);
  return p >>> 0;
}

const shiftTables = new Map<number, Int32Array>();

/** The raw CRC register `a` after `n` more zero bytes: a·x^(8n) mod P, by four table look-ups (int32 in and out). */
function shift(a: number, n: number): number {
  if (n === 0 || a === 0) return a | 0;
  let table = shiftTables.get(n);
  if (table === undefined) {
    table = new Int32Array(1024);
    const power = xPow8n(n);
    for (let k = 0; k < 4; k++) for (let v = 0; v < 256; v++) table[k * 256 + v] = multiply(power, (v << (8 * k)) >>> 0);
    shiftTables.set(n, table);
  }
  return table[a & 0xff]! ^ table[256 + ((a >>> 8) & 0xff)]! ^ table[512 + ((a >>> 16) & 0xff)]! ^ table[768 + (a >>> 24)]!;
}

/** Raw register update over bytes [start, end) (no pre- or post-inversion). Pass int32 registers (`~x`, -1): a uint32 above 2^31 is a heap number to V8 and slows the loop. */
function raw(bytes: Uint8Array, start: number, end: number, register: number): number {
  for (let i = start; i < end; i++) register = TABLE[(register ^ bytes[i]!) & 0xff]! ^ (register >>> 8);
  return register | 0;
}

/** CRC-32C continued from `previous` over the 4 little-endian bytes of `value`. */
function crcOfU32(previous: number, value: number): number {
  let c = ~previous;
  for (let k = 0; k < 4; k++, value >>>= 8) c = TABLE[(c ^ value) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export type FastVerifyResult = { ok: true; records: number; bytes: number } | { ok: false; chunkOffset: number; why: string };

const CHUNK_BLOCKS = 256;
const TWO_32 = 4294967296;

export function combinedCrcVerify(path: string): FastVerifyResult {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    const blockSize = 2 ** head[10]!;
    const idLow = head.readUInt32LE(16);
    const idHigh = head.readUInt32LE(20);
    const fileIdCrc = crcOfU32(crcOfU32(0, idLow), idHigh);
    let next = Number(head.readBigUInt64LE(24));
    const chunk = Buffer.allocUnsafe(blockSize * CHUNK_BLOCKS);
    let records = 0;
    let pendingLeft = 0;
    let pendingIndex = -1;
    for (let base = 0; base < size; base += chunk.length) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - base), base);
      const fail = (why: string): FastVerifyResult => ({ ok: false, chunkOffset: base, why });
      let expected = 0; // raw CRC register (zero start) that chunk[0, covered) must have
      let covered = 0;
      for (let b = 0; b < n; b += blockSize) {
        const blockNumber = (base + b) / blockSize;
        const end = Math.min(b + blockSize, n);
        const blockEnd = b + blockSize;
        let at = 64; // block 0: the file header was checked when the file was opened
        if (blockNumber > 0) {
          if (end - b < 32 || chunk.readUInt32LE(b) !== 0x4b42534c) return fail('block magic');
          if (~raw(chunk, b + 8, b + 32, -1) >>> 0 !== chunk.readUInt32LE(b + 4)) return fail('block header CRC');
          if (chunk.readUInt32LE(b + 8) !== idLow || chunk.readUInt32LE(b + 12) !== idHigh) return fail('foreign block');
          if (chunk.readUInt32LE(b + 16) !== blockNumber % TWO_32 || chunk.readUInt32LE(b + 20) !== Math.floor(blockNumber / TWO_32)) return fail('misplaced block');
          if (chunk.readUInt32LE(b + 24) + chunk.readUInt32LE(b + 28) * TWO_32 !== (pendingLeft > 0 ? pendingIndex : next)) return fail('first_index');
          at = b + 32;
        }
        expected = raw(chunk, covered, at, expected); // header bytes (and block 0's file header) folded in directly
        covered = at;
        while (at < end) {
          if (blockEnd - at < 24) {
            for (let i = at; i < end; i++) if (chunk[i] !== 0) return fail('padding');
            at = end;
            break;
          }
          if (end - at < 12 || chunk[at] !== 0x53 || chunk[at + 1] !== 0x4c) return fail('slice magic');
          const offset = base + at;
          const context = crcOfU32(crcOfU32(fileIdCrc, offset >>> 0), Math.floor(offset / TWO_32));
          if ((~raw(chunk, at, at + 6, ~context) & 0xffff) !== chunk.readUInt16LE(at + 6)) return fail('header_check');
          const kind = chunk[at + 2]!;
          const length = chunk.readUInt16LE(at + 4);
          const dataEnd = at + 8 + length;
          const sliceEnd = dataEnd + 4;
          if (chunk[at + 3] !== 0 || kind < 1 || kind > 4 || sliceEnd > blockEnd || sliceEnd > end) return fail('slice header');
          // An intact slice S: raw(~context, S) = ~trailer, so raw(r, S) = shift(r ^ ~context, |S|) ^ ~trailer.
          expected = shift(expected, at - covered);
          expected = shift(expected ^ ~context, 8 + length) ^ ~chunk.readUInt32LE(dataEnd);
          expected = raw(chunk, dataEnd, sliceEnd, expected);
          covered = sliceEnd;
          const fills = sliceEnd === blockEnd;
          if (kind === 1 || kind === 2) {
            if (pendingLeft > 0 || length < 12) return fail('slice sequence');
            const total = 12 + chunk.readUInt32LE(at + 16);
            if (total - 12 > 2 ** 30) return fail('record too large');
            if (kind === 1) {
              if (length !== total) return fail('FULL slice length');
              records++;
              next++;
            } else {
              if (!fills || length >= total) return fail('FIRST slice');
              pendingLeft = total - length;
              pendingIndex = next++;
            }
          } else {
            if (pendingLeft === 0 || at !== b + (blockNumber > 0 ? 32 : 64)) return fail('continuation slice');
            if (kind === 3) {
              if (!fills || length >= pendingLeft) return fail('MIDDLE slice');
              pendingLeft -= length;
            } else {
              if (length === 0 || length !== pendingLeft) return fail('LAST slice');
              pendingLeft = 0;
              records++;
            }
          }
          at = sliceEnd;
        }
        if (base + end !== size && at < blockEnd && end === blockEnd) return fail('unused space in a block');
      }
      expected = shift(expected, n - covered);
      const actual = ~nativeCrc32c(chunk.subarray(0, n), 0xffffffff) >>> 0;
      if (actual !== expected >>> 0) return fail('a slice or block checksum');
    }
    return pendingLeft > 0 ? { ok: false, chunkOffset: size, why: 'record cut off at the end' } : { ok: true, records, bytes: size };
  } finally {
    closeSync(fd);
  }
}

/**
 * Self-test: a file of mixed record sizes (FULL, FIRST, MIDDLE, LAST slices and padding) must pass,
 * and every one of `flips` random single-bit flips after the file header must be caught.
 */
async function selfTest(flips: number): Promise<void> {
  const { RecordLog } = await import('../../src/index.js');
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { randomBytes } = await import('node:crypto');
  const dir = mkdtempSync(join(tmpdir(), 'lsfs-crc-selftest-'));
  try {
    const path = join(dir, 'mixed.lsfs');
    const log = await RecordLog.open(path, { baseIndex: 1n });
    const pool = randomBytes(1 << 20);
    for (let i = 0; i < 3000; i++) log.append(BigInt(i), pool.subarray(i, i + [0, 5, 64, 256, 1000, 4096, 9000][i % 7]!));
    await log.close();
    const intact = combinedCrcVerify(path);
    if (!intact.ok) throw new Error(`intact file rejected: ${intact.why}`);
    const good = readFileSync(path);
    let missed = 0;
    for (let k = 0; k < flips; k++) {
      const bytes = Buffer.from(good);
      const at = 64 + Math.floor(Math.random() * (bytes.length - 64));
      bytes[at] = bytes[at]! ^ (1 << k % 8);
      writeFileSync(path, bytes);
      if (combinedCrcVerify(path).ok) missed++;
    }
    console.log(`self-test: intact file of ${intact.records} records passes; ${flips - missed} of ${flips} single-bit flips caught`);
    if (missed > 0) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && basename(process.argv[1]) === 'combined-crc-verify.js') {
  const path = process.argv[2];
  if (path === '--self-test') {
    await selfTest(Number(process.argv[3] ?? 400));
    process.exit();
  }
  if (path === undefined) throw new Error('usage: node dist/bench/experiments/combined-crc-verify.js FILE.lsfs [repetitions] | --self-test [flips]');
  for (let rep = 0; rep < Number(process.argv[3] ?? 5); rep++) {
    const started = performance.now();
    const result = combinedCrcVerify(path);
    const ms = performance.now() - started;
    console.log(`${JSON.stringify(result)}${result.ok ? `  ${(result.bytes / 1e3 / ms).toFixed(0)} MB/s` : ''}`);
  }
}
