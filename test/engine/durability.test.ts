/**
 * The durability properties of issue 2: cutting a file anywhere after a sync point, or tearing its
 * unsynced tail, loses no synced record and returns no damaged one; flipping any bit is detected.
 */
import { describe, expect, it } from 'vitest';
import { test as propTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { RecordLog } from '../../src/engine/record-log.js';
import { BlockReader } from '../../src/engine/block-reader.js';
import { seededRandom } from '../../src/io/memory-storage.js';
import type { LsfsRecord, ScanReport } from '../../src/engine/record.js';
import { blockSizeArb, memoryStorage, patternPayload, recordsArb, type GeneratedRecord } from '../support/arbitraries.js';
import { buildFile } from '../support/build-file.js';
import { readLsfsWithKaitai } from '../../spec/kaitai-wrapper.js';

const PATH = '/mem/log.lsfs';

interface Reading {
  records: LsfsRecord[];
  error: { code: string; offset: number | undefined } | undefined;
  report: ScanReport;
}

async function readAll(storage: Awaited<ReturnType<typeof memoryStorage>>, mode: 'strict' | 'salvage'): Promise<Reading> {
  const report: ScanReport = { gaps: [], tail: undefined };
  const records: LsfsRecord[] = [];
  let reader: BlockReader | undefined;
  try {
    reader = await BlockReader.open(storage, PATH);
    for await (const record of reader.records({ mode, report })) records.push(record);
    return { records, error: undefined, report };
  } catch (error) {
    const { code, offset } = error as { code: string; offset: number | undefined };
    return { records, error: { code, offset }, report };
  } finally {
    await reader?.close();
  }
}

function expectPrefixOf(records: LsfsRecord[], expected: readonly GeneratedRecord[], baseIndex = 0n): void {
  expect(records.length).toBeLessThanOrEqual(expected.length);
  records.forEach((record, i) => {
    expect(record.index).toBe(baseIndex + BigInt(i));
    expect(record.typeCode).toBe(expected[i]!.typeCode);
    expect(record.payload.equals(expected[i]!.payload)).toBe(true);
  });
}

describe('truncation after a sync point', () => {
  // covers RSF-063, RSF-071, RSF-081, RSF-082
  it('every cut of a multi-block file keeps every record before it and opens for appending', async () => {
    const records = [0, 1, 40, 400, 1200, 0, 3000, 13, 460].map((length, i) => ({ typeCode: BigInt(i), payload: patternPayload(length, i) }));
    const { bytes, ends } = buildFile(records, { blockSize: 512 });
    for (let cut = 64; cut <= bytes.length; cut++) {
      const storage = await memoryStorage();
      await storage.createAtomically(PATH, bytes.subarray(0, cut));
      const synced = ends.filter((end) => end <= cut).length;
      const log = await RecordLog.open(PATH, { storage, create: false });
      expect(log.nextIndex, `cut at ${cut}`).toBe(BigInt(synced));
      expect(log.recovery.truncated?.offset ?? cut).toBe(synced === 0 ? 64 : ends[synced - 1]);
      log.append(99n, Buffer.from('after recovery'));
      await log.close();
      const reading = await readAll(storage, 'strict');
      expect(reading.error).toBeUndefined();
      expect(reading.report.tail).toBeUndefined();
      expectPrefixOf(reading.records.slice(0, synced), records);
      expect(reading.records.length).toBe(synced + 1);
      expect(reading.records[synced]!.payload.toString()).toBe('after recovery');
    }
  });
});

describe('crashes of the in-memory disk', () => {
  // covers RSF-064, RSF-070, RSF-074, RSF-081, RSF-082
  propTest.prop([blockSizeArb.chain((blockSize) => fc.tuple(fc.constant(blockSize), recordsArb(blockSize, 16), recordsArb(blockSize, 16))), fc.integer()], { numRuns: 150 })(
    'a crash loses no synced record and a reopened log returns no damaged one',
    async ([blockSize, syncedRecords, unsyncedRecords], seed) => {
      const storage = await memoryStorage();
      const log = await RecordLog.open(PATH, { storage, blockSize, fileId: 5n });
      for (const record of syncedRecords) log.append(record.typeCode, record.payload);
      await log.sync();
      for (const record of unsyncedRecords) log.append(record.typeCode, record.payload);
      await log.flush();
      const summary = storage.crash(seededRandom(seed));
      const all = [...syncedRecords, ...unsyncedRecords];
      // A read-only reader before any recovery: what the crash left is a torn tail, never an error.
      const before = await readAll(storage, 'strict');
      expect(before.error, JSON.stringify(summary)).toBeUndefined();
      expect(before.records.length).toBeGreaterThanOrEqual(syncedRecords.length);
      expectPrefixOf(before.records, all);
      const reopened = await RecordLog.open(PATH, { storage, create: false });
      const survived: LsfsRecord[] = [];
      for await (const record of reopened.records()) survived.push(record);
      expect(survived.length, JSON.stringify(summary)).toBeGreaterThanOrEqual(syncedRecords.length);
      expectPrefixOf(survived, all);
      await reopened.close();
      const kaitai = readLsfsWithKaitai(storage.snapshot(PATH));
      expect(kaitai.tail).toBeUndefined();
      expect(kaitai.records.length).toBe(survived.length);
      const reading = await readAll(storage, 'strict');
      expect(reading.error).toBeUndefined();
      expect(reading.report.tail).toBeUndefined();
    },
  );
});

describe('single bit flips', () => {
  // covers RSF-011, RSF-070, RSF-072, RSF-100, RSF-101
  it('every bit flip in a small file is detected, and no read returns damaged data', async () => {
    const records = [0, 5, 300, 700, 20].map((length, i) => ({ typeCode: BigInt(i * 1000), payload: patternPayload(length, i) }));
    const { bytes } = buildFile(records, { blockSize: 512 });
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const storage = await memoryStorage();
      const flipped = Buffer.from(bytes);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      await storage.createAtomically(PATH, flipped);
      const strict = await readAll(storage, 'strict');
      const detected = strict.error !== undefined || strict.report.tail !== undefined || strict.records.length < records.length;
      expect(detected, `bit ${bit} (byte ${bit >> 3}) went unnoticed`).toBe(true);
      expectPrefixOf(strict.records, records);
      const salvage = await readAll(storage, 'salvage');
      for (const record of salvage.records) {
        const original = records[Number(record.index)]!;
        expect(record.typeCode, `bit ${bit}`).toBe(original.typeCode);
        expect(record.payload.equals(original.payload), `bit ${bit}`).toBe(true);
      }
      if (strict.error === undefined && strict.report.tail === undefined) continue;
      // Damage is reported where its structure starts (a file-header field for the file header).
      const damageAt = strict.error?.offset ?? strict.report.tail?.offset ?? 0;
      if (bit >> 3 < 64) expect(damageAt, `bit ${bit}`).toBeLessThan(64);
      else expect(damageAt, `bit ${bit}`).toBeLessThanOrEqual(bit >> 3);
    }
  }, 120_000);
});

describe('properties over random files', () => {
  // covers RSF-071, RSF-081, RSF-082: a cut anywhere after a sync point keeps every synced record.
  propTest.prop([blockSizeArb.chain((blockSize) => fc.tuple(fc.constant(blockSize), recordsArb(blockSize, 12))), fc.nat(), fc.nat()], { numRuns: 100 })(
    'cutting a file at any byte after a sync point loses no synced record',
    async ([blockSize, records], syncPick, cutPick) => {
      const { bytes, ends } = buildFile(records, { blockSize });
      const syncedCount = records.length === 0 ? 0 : syncPick % (records.length + 1);
      const syncPoint = syncedCount === 0 ? 64 : ends[syncedCount - 1]!;
      const cut = syncPoint + (cutPick % (bytes.length - syncPoint + 1));
      const storage = await memoryStorage();
      await storage.createAtomically(PATH, bytes.subarray(0, cut));
      const reading = await readAll(storage, 'strict');
      expect(reading.error).toBeUndefined();
      expect(reading.records.length).toBeGreaterThanOrEqual(syncedCount);
      expectPrefixOf(reading.records, records);
    },
  );

  // covers RSF-011, RSF-100: any single flipped bit is reported, and never returned as data.
  propTest.prop([blockSizeArb.chain((blockSize) => fc.tuple(fc.constant(blockSize), recordsArb(blockSize, 10))), fc.nat()], { numRuns: 150 })(
    'flipping any single bit of a file is detected',
    async ([blockSize, records], bitPick) => {
      const { bytes } = buildFile(records, { blockSize });
      const bit = bitPick % (bytes.length * 8);
      const flipped = Buffer.from(bytes);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      const storage = await memoryStorage();
      await storage.createAtomically(PATH, flipped);
      const strict = await readAll(storage, 'strict');
      const detected = strict.error !== undefined || strict.report.tail !== undefined || strict.records.length < records.length;
      expect(detected, `bit ${bit} went unnoticed`).toBe(true);
      expectPrefixOf(strict.records, records);
    },
  );
});
