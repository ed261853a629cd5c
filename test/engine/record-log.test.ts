import { describe, expect, it } from 'vitest';
import { test as propTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { RecordLog } from '../../src/engine/record-log.js';
import { BlockReader } from '../../src/engine/block-reader.js';
import { MemoryStorage } from '../../src/io/memory-storage.js';
import { LsfsError } from '../../src/errors.js';
import { MAX_PAYLOAD_LENGTH } from '../../src/format/constants.js';
import { readLsfsWithKaitai } from '../../spec/kaitai-wrapper.js';
import { blockSizeArb, memoryStorage, patternPayload, recordsArb, type GeneratedRecord } from '../support/arbitraries.js';

const PATH = '/mem/log.lsfs';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

function expectRecords(actual: { index: bigint; typeCode: bigint; payload: Buffer }[], expected: GeneratedRecord[], baseIndex: bigint): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((record, i) => {
    expect(record.index).toBe(baseIndex + BigInt(i));
    expect(record.typeCode).toBe(expected[i]!.typeCode);
    expect(record.payload.equals(expected[i]!.payload)).toBe(true);
  });
}

describe('RecordLog round trip', () => {
  // covers RSF-060, RSF-080, RSF-090, RSF-091
  propTest.prop([blockSizeArb.chain((blockSize) => fc.tuple(fc.constant(blockSize), recordsArb(blockSize))), fc.bigInt({ min: 0n, max: 2n ** 63n })], { numRuns: 60 })(
    'any records read back identically forward, backward, by index and after reopen',
    async ([blockSize, records], baseIndex) => {
      const storage = await memoryStorage();
      const log = await RecordLog.open(PATH, { storage, blockSize, baseIndex, fileId: 42n, cacheRecords: 0 });
      for (const record of records) log.append(record.typeCode, record.payload);
      await log.sync();
      expectRecords(await collect(log.records()), records, baseIndex);
      expectRecords((await collect(log.recordsBackward())).reverse(), records, baseIndex);
      for (let i = 0; i < records.length; i++) expectRecords([await log.get(baseIndex + BigInt(i))], [records[i]!], baseIndex + BigInt(i));
      await log.close();

      // The second, independent reading: the Kaitai-generated parser and its wrapper.
      const kaitai = readLsfsWithKaitai(storage.snapshot(PATH));
      expect(kaitai.tail).toBeUndefined();
      expectRecords(kaitai.records, records, baseIndex);

      const reader = await BlockReader.open(storage, PATH);
      expect(reader.tail).toBeUndefined();
      expect(reader.lastIndex).toBe(records.length === 0 ? undefined : baseIndex + BigInt(records.length - 1));
      expectRecords(await collect(reader.records()), records, baseIndex);
      const from = Math.floor(records.length / 2);
      expectRecords(await collect(reader.records({ from: baseIndex + BigInt(from) })), records.slice(from), baseIndex + BigInt(from));
      const report = await reader.verify();
      expect(report.gaps).toEqual([]);
      expect(report.records).toBe(records.length);
      await reader.close();
    },
  );

  it('appends after reopen continue the index sequence and the layout', async () => {
    const storage = await memoryStorage();
    const first = await RecordLog.open(PATH, { storage, blockSize: 512, fileId: 7n });
    const records = [3, 700, 0, 1500].map((length, i) => ({ typeCode: BigInt(i), payload: patternPayload(length, i) }));
    for (const record of records.slice(0, 2)) first.append(record.typeCode, record.payload);
    await first.close();
    const second = await RecordLog.open(PATH, { storage });
    expect(second.nextIndex).toBe(2n);
    for (const record of records.slice(2)) second.append(record.typeCode, record.payload);
    await second.close();
    const oneGo = await memoryStorage();
    const reference = await RecordLog.open(PATH, { storage: oneGo, blockSize: 512, fileId: 7n });
    for (const record of records) reference.append(record.typeCode, record.payload);
    await reference.close();
    expect(storage.snapshot(PATH).equals(oneGo.snapshot(PATH))).toBe(true);
  });
});

describe('RecordLog under bad input', () => {
  // covers RSF-004, RSF-064, RSF-065
  it('refuses bad type codes, payloads and indexes with typed errors', async () => {
    const storage = await memoryStorage();
    const log = await RecordLog.open(PATH, { storage });
    const codeOf = (action: () => unknown) => {
      try {
        action();
      } catch (error) {
        return (error as LsfsError).code;
      }
      return 'no error';
    };
    expect(codeOf(() => log.append(-1n, Buffer.alloc(0)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => log.append(2n ** 64n, Buffer.alloc(0)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => log.append(1 as unknown as bigint, Buffer.alloc(0)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => log.append(1n, 'text' as unknown as Buffer))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => log.append(1n, { length: MAX_PAYLOAD_LENGTH + 1 } as unknown as Buffer))).toBe('INVALID_ARGUMENT');
    await expect(log.get(0n)).rejects.toMatchObject({ code: 'INDEX_OUT_OF_RANGE' });
    log.append(1n, Buffer.from('a'));
    await expect(log.get(1n)).rejects.toMatchObject({ code: 'INDEX_OUT_OF_RANGE' });
    await expect(log.get(-1n)).rejects.toMatchObject({ code: 'INDEX_OUT_OF_RANGE' });
    await log.close();
    expect(codeOf(() => log.append(1n, Buffer.alloc(0)))).toBe('CLOSED');
    await expect(log.get(0n)).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('refuses a payload over the limit before writing anything', async () => {
    const storage = await memoryStorage();
    const log = await RecordLog.open(PATH, { storage });
    const huge = new Uint8Array(0);
    Object.defineProperty(huge, 'length', { value: MAX_PAYLOAD_LENGTH + 1 });
    expect(() => log.append(1n, huge)).toThrow(expect.objectContaining({ code: 'RECORD_TOO_LARGE' }));
    expect(log.nextIndex).toBe(0n);
    await log.close();
  });

  it('gives a second writer LOCKED', async () => {
    const storage = await memoryStorage();
    const log = await RecordLog.open(PATH, { storage });
    await expect(RecordLog.open(PATH, { storage })).rejects.toMatchObject({ code: 'LOCKED' });
    await log.close();
    const again = await RecordLog.open(PATH, { storage });
    await again.close();
  });

  it('shares one fdatasync among concurrent syncs (group commit)', async () => {
    const storage = await memoryStorage();
    const log = await RecordLog.open(PATH, { storage });
    const before = storage.syncCount;
    const syncs = Array.from({ length: 16 }, (_, i) => {
      log.append(BigInt(i), Buffer.alloc(200, i));
      return log.sync();
    });
    await Promise.all(syncs);
    expect(storage.syncCount - before).toBeLessThanOrEqual(2);
    await log.close();
  });
});
