/**
 * The costs the spec promises, counted in bytes and reads rather than timed: open from the tail is
 * O(1) in the file's size (RSF-080), lookup by index O(log n) block reads (RSF-090).
 */
import { describe, expect, it } from 'vitest';
import { BlockReader } from '../../src/engine/block-reader.js';
import type { Storage, StorageFile } from '../../src/io/storage.js';
import { bufferFile } from '../support/buffer-file.js';
import { buildFile } from '../support/build-file.js';
import { patternPayload } from '../support/arbitraries.js';

interface Counted {
  storage: Storage;
  reads: { count: number; bytes: number };
}

/** A storage of one read-only file whose reads are counted. */
function countingStorage(bytes: Buffer): Counted {
  const reads = { count: 0, bytes: 0 };
  const inner = bufferFile(bytes);
  const file: StorageFile = {
    ...inner,
    async read(position, length) {
      const out = await inner.read(position, length);
      reads.count++;
      reads.bytes += out.length;
      return out;
    },
  };
  return { storage: { open: async () => file } as unknown as Storage, reads };
}

function fileOf(recordCount: number, blockSize: number): Buffer {
  const records = Array.from({ length: recordCount }, (_, i) => ({ typeCode: 1n, payload: patternPayload(100 + (i % 300), i) }));
  return buildFile(records, { blockSize }).bytes;
}

describe('costs', () => {
  // covers RSF-080
  it('opening reads the same few blocks whatever the file size', async () => {
    const readsFor = async (recordCount: number) => {
      const { storage, reads } = countingStorage(fileOf(recordCount, 512));
      const reader = await BlockReader.open(storage, 'file');
      expect(reader.lastIndex).toBe(BigInt(recordCount - 1));
      return reads;
    };
    const small = await readsFor(20);
    const large = await readsFor(20_000);
    expect(large.bytes).toBeLessThanOrEqual(64 + 3 * 512 + 32);
    expect(large.count).toBeLessThanOrEqual(small.count + 2);
  });

  // covers RSF-090
  it('a lookup by index reads O(log n) blocks', async () => {
    const recordCount = 20_000;
    const { storage, reads } = countingStorage(fileOf(recordCount, 512));
    const reader = await BlockReader.open(storage, 'file');
    const blocks = Math.ceil(reader.size / 512);
    const bound = 2 * Math.ceil(Math.log2(blocks)) + 4;
    for (const index of [0, 1, 4321, 9999, 15000, recordCount - 1]) {
      reads.count = 0;
      const fresh = await BlockReader.open(storage, 'file');
      reads.count = 0;
      const record = await fresh.get(BigInt(index));
      expect(record.payload.equals(patternPayload(100 + (index % 300), index))).toBe(true);
      expect(reads.count, `record ${index} of ${blocks} blocks`).toBeLessThanOrEqual(bound);
    }
  });

  // covers RSF-101: no input makes a reader hang; damage everywhere costs a bounded number of reads.
  it('a salvage read of a file full of interior damage reads each block a bounded number of times', async () => {
    // Thousands of damaged blocks, then one intact block at the end: every damage is interior, and
    // without care each one would scan to the end of the file again (quadratic).
    const bytes = Buffer.from(fileOf(6000, 512));
    const blocks = Math.ceil(bytes.length / 512);
    for (let at = 512; at < (blocks - 1) * 512; at++) bytes[at] = (at * 2654435761) >>> 24;
    const { storage, reads } = countingStorage(bytes);
    const reader = await BlockReader.open(storage, 'file', { salvage: true });
    reads.count = 0;
    const report = await reader.verify();
    expect(report.gaps.length).toBeGreaterThan(0);
    expect(reads.count, `${blocks} blocks`).toBeLessThanOrEqual(4 * blocks);
  });
});
