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
import { SliceKind } from '../../src/format/constants.js';
import { recordStartOffset } from '../../src/format/layout.js';
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
      const end = synced === 0 ? 64 : ends[synced - 1]!;
      // A strict read of the cut file: the whole records, then the tail as TORN_TAIL where they end.
      const before = await readAll(storage, 'strict');
      expect(before.error, `cut at ${cut}`).toBeUndefined();
      expect(before.records.length, `cut at ${cut}`).toBe(synced);
      expect(before.report.tail, `cut at ${cut}`).toEqual(cut === end ? undefined : { code: 'TORN_TAIL', offset: end, length: cut - end });
      const log = await RecordLog.open(PATH, { storage, create: false });
      expect(log.nextIndex, `cut at ${cut}`).toBe(BigInt(synced));
      expect(log.recovery.truncated?.offset ?? cut).toBe(end);
      log.append(99n, Buffer.from('after recovery'));
      await log.close();
      // Recovery removed only the torn tail; every byte before it is unchanged.
      expect(storage.snapshot(PATH).subarray(0, end).equals(bytes.subarray(0, end)), `cut at ${cut}`).toBe(true);
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
  // covers RSF-011, RSF-070, RSF-071, RSF-072, RSF-100, RSF-101
  it('every bit flip in a small file is detected, classified and placed, and no read returns damaged data', async () => {
    const records = [0, 5, 300, 700, 20].map((length, i) => ({ typeCode: BigInt(i * 1000), payload: patternPayload(length, i) }));
    const blockSize = 512;
    const { bytes, ends } = buildFile(records, { blockSize });
    // Where each structure (block header or slice) starts, and the slices that are one whole record.
    const structures: number[] = [];
    const fullSlices: { start: number; size: number; index: number }[] = [];
    for (let block = 0; block * blockSize < bytes.length; block++) {
      let at = block === 0 ? 64 : block * blockSize;
      if (block > 0) {
        structures.push(at);
        at += 32;
      }
      while (at < Math.min(bytes.length, (block + 1) * blockSize)) {
        structures.push(at);
        const size = bytes.readUInt16LE(at + 4) + 12;
        if (bytes[at + 2] === SliceKind.Full) fullSlices.push({ start: at, size, index: ends.findIndex((end) => end === at + size) });
        at += size;
      }
    }
    expect(fullSlices.map((slice) => slice.index)).toEqual([0, 1, 2, 4]);
    const structureAt = (byte: number) => structures.filter((start) => start <= byte).at(-1)!;
    // Damage to the last record is at the tail (nothing intact follows it); anything before it is interior.
    const lastStart = recordStartOffset(ends[records.length - 2]!, blockSize);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const byte = bit >> 3;
      const storage = await memoryStorage();
      const flipped = Buffer.from(bytes);
      flipped[byte]! ^= 1 << (bit & 7);
      await storage.createAtomically(PATH, flipped);
      const strict = await readAll(storage, 'strict');
      const detected = strict.error !== undefined || strict.report.tail !== undefined || strict.records.length < records.length;
      expect(detected, `bit ${bit} (byte ${byte}) went unnoticed`).toBe(true);
      expectPrefixOf(strict.records, records);
      const salvage = await readAll(storage, 'salvage');
      for (const record of salvage.records) {
        const original = records[Number(record.index)]!;
        expect(record.typeCode, `bit ${bit}`).toBe(original.typeCode);
        expect(record.payload.equals(original.payload), `bit ${bit}`).toBe(true);
      }
      if (byte < 64) {
        // A damaged file header makes the file unreadable, reported at the failing field.
        expect(strict.error?.offset, `bit ${bit}`).toBeLessThan(64);
      } else if (byte < lastStart) {
        // Interior damage: a strict read fails with it, where its structure starts.
        expect(strict.error, `bit ${bit}`).toMatchObject({ offset: structureAt(byte) });
        expect(strict.report.tail, `bit ${bit}`).toBeUndefined();
      } else {
        // Tail damage: the records before it and a torn tail where they end, no error.
        expect(strict.error, `bit ${bit}`).toBeUndefined();
        expect(strict.records.length, `bit ${bit}`).toBe(records.length - 1);
        expect(strict.report.tail, `bit ${bit}`).toEqual({ code: 'TORN_TAIL', offset: lastStart, length: bytes.length - lastStart });
      }
      // A flip in the data or trailer of a one-slice record before the tail loses that slice only.
      const full = fullSlices.find((slice) => byte >= slice.start + 8 && byte < slice.start + slice.size && slice.start < lastStart);
      if (full !== undefined) {
        expect(strict.error, `bit ${bit}`).toEqual({ code: 'CHECKSUM_MISMATCH', offset: full.start });
        expect(salvage.records.map((record) => Number(record.index)), `bit ${bit}`).toEqual(records.map((_, i) => i).filter((i) => i !== full.index));
        expect(salvage.report.gaps, `bit ${bit}`).toEqual([expect.objectContaining({ code: 'CHECKSUM_MISMATCH', offset: full.start, length: full.size })]);
        expect(salvage.report.tail, `bit ${bit}`).toBeUndefined();
      }
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
      const whole = ends.filter((end) => end <= cut).length;
      const end = whole === 0 ? 64 : ends[whole - 1]!;
      const storage = await memoryStorage();
      await storage.createAtomically(PATH, bytes.subarray(0, cut));
      const reading = await readAll(storage, 'strict');
      expect(reading.error).toBeUndefined();
      expect(reading.records.length).toBe(whole);
      expect(reading.records.length).toBeGreaterThanOrEqual(syncedCount);
      expectPrefixOf(reading.records, records);
      expect(reading.report.tail).toEqual(cut === end ? undefined : { code: 'TORN_TAIL', offset: end, length: cut - end });
      // A writer cuts the torn tail off, reports it, and keeps every whole record unchanged.
      const log = await RecordLog.open(PATH, { storage, create: false });
      expect(log.recovery.truncated).toEqual(cut === end ? undefined : { code: 'TORN_TAIL', offset: end, length: cut - end });
      expect(log.nextIndex).toBe(BigInt(whole));
      await log.close();
      expect(storage.snapshot(PATH).equals(bytes.subarray(0, end))).toBe(true);
    },
  );

  // covers RSF-011: any single flipped bit is reported, and never returned as data.
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
