import { describe, expect, it } from 'vitest';
import { test as propTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { RecordLog } from '../../src/engine/record-log.js';
import { BlockReader } from '../../src/engine/block-reader.js';
import { MemoryStorage } from '../../src/io/memory-storage.js';
import { LsfsError } from '../../src/errors.js';
import { MAX_PAYLOAD_LENGTH } from '../../src/format/constants.js';
import { decodeFileHeader } from '../../src/format/file-header.js';
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
  // covers RSF-091: forward from the first and from any index, backward from the newest, by index.
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

  // covers RSF-060: the same records give the same bytes, however the appends were split.
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

  // covers RSF-004
  it('refuses a payload over the limit before writing anything', async () => {
    const storage = await memoryStorage();
    const log = await RecordLog.open(PATH, { storage });
    const huge = new Uint8Array(0);
    Object.defineProperty(huge, 'length', { value: MAX_PAYLOAD_LENGTH + 1 });
    expect(() => log.append(1n, huge)).toThrow(expect.objectContaining({ code: 'RECORD_TOO_LARGE' }));
    expect(log.nextIndex).toBe(0n);
    await log.close();
  });

  // covers RSF-065
  it('gives a second writer LOCKED', async () => {
    const storage = await memoryStorage();
    const log = await RecordLog.open(PATH, { storage });
    await expect(RecordLog.open(PATH, { storage })).rejects.toMatchObject({ code: 'LOCKED' });
    await log.close();
    const again = await RecordLog.open(PATH, { storage });
    await again.close();
  });

  // covers RSF-064
  it('shares one fdatasync among concurrent syncs (group commit), and a resolved sync survives a crash', async () => {
    const storage = await memoryStorage();
    const log = await RecordLog.open(PATH, { storage });
    const before = storage.syncCount;
    const syncs = Array.from({ length: 16 }, (_, i) => {
      log.append(BigInt(i), Buffer.alloc(200, i));
      return log.sync();
    });
    await Promise.all(syncs);
    expect(storage.syncCount - before).toBeLessThanOrEqual(2);
    // Every record appended before a resolved sync is durable: a crash that keeps nothing unsynced keeps them.
    storage.crash(() => 0);
    const reopened = await RecordLog.open(PATH, { storage, create: false });
    expect(reopened.recovery.truncated).toBeUndefined();
    const survived = await collect(reopened.records());
    expect(survived.map((record) => record.payload)).toEqual(Array.from({ length: 16 }, (_, i) => Buffer.alloc(200, i)));
    await reopened.close();
  });
});

describe('creating a file', () => {
  // covers RSF-021
  it('gives each new file a random 64-bit file id, unless the caller supplies one', async () => {
    const storage = await memoryStorage();
    const ids: bigint[] = [];
    for (let i = 0; i < 32; i++) {
      const log = await RecordLog.open(`/mem/id-${i}.lsfs`, { storage });
      ids.push(log.header.fileId);
      expect(decodeFileHeader(storage.snapshot(`/mem/id-${i}.lsfs`))).toMatchObject({ fileId: log.header.fileId });
      await log.close();
    }
    expect(new Set(ids).size).toBe(ids.length);
    // Every one of the 64 bits is set in some id: the ids are 64 random bits, not a counter, a
    // clock or 32 random bits (for 32 random ids a bit stays 0 in all with probability 2^-32).
    expect(ids.reduce((bits, id) => bits | id, 0n)).toBe(2n ** 64n - 1n);
    // A file created again at the same path gets another id.
    await storage.remove('/mem/id-0.lsfs');
    const again = await RecordLog.open('/mem/id-0.lsfs', { storage });
    expect(again.header.fileId).not.toBe(ids[0]);
    await again.close();
    // A supplied id (as test vectors need) is used as given.
    const fixed = await RecordLog.open('/mem/fixed.lsfs', { storage, fileId: 0xfeedfacecafebeefn });
    expect(fixed.header.fileId).toBe(0xfeedfacecafebeefn);
    await fixed.close();
    expect(decodeFileHeader(storage.snapshot('/mem/fixed.lsfs'))).toMatchObject({ fileId: 0xfeedfacecafebeefn });
  });

  // covers RSF-001
  it('refuses a block size that is not a power of two from 512 to 65536, creating nothing', async () => {
    const storage = await memoryStorage();
    for (const blockSize of [256, 511, 513, 768, 1000, 4095, 131072]) {
      await expect(RecordLog.open('/mem/bad.lsfs', { storage, blockSize })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await storage.exists('/mem/bad.lsfs')).toBe(false);
    }
    for (let log2 = 9; log2 <= 16; log2++) {
      const log = await RecordLog.open(`/mem/ok-${log2}.lsfs`, { storage, blockSize: 2 ** log2 });
      log.append(1n, patternPayload(2 ** log2, log2));
      await log.close();
      const reopened = await RecordLog.open(`/mem/ok-${log2}.lsfs`, { storage });
      expect(reopened.header.blockSize).toBe(2 ** log2);
      expect((await reopened.get(0n)).payload.equals(patternPayload(2 ** log2, log2))).toBe(true);
      await reopened.close();
    }
  });

  // covers RSF-023
  it('puts the whole file header at the path in one atomic creation, never a partial one', async () => {
    const memory = await memoryStorage();
    const calls: string[] = [];
    let created: Buffer | undefined;
    const recording = new Proxy(memory, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${String(name)} ${String(args[0])}${name === 'open' ? ` ${String(args[1])}` : ''}`);
          if (name === 'createAtomically') created = Buffer.from(args[1] as Uint8Array);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    // Left open: the crash below kills its handles, as a power loss would.
    await RecordLog.open(PATH, { storage: recording, blockSize: 1024, fileId: 3n, baseIndex: 10n });
    // Nothing opens the path for writing before it exists with its whole header.
    const creation = calls.indexOf(`createAtomically ${PATH}`);
    expect(creation).toBeGreaterThanOrEqual(0);
    expect(calls.slice(0, creation).filter((call) => call.startsWith(`open ${PATH}`))).toEqual([]);
    expect(created!.length).toBe(64);
    expect(decodeFileHeader(created!)).toEqual({ blockSize: 1024, fileId: 3n, baseIndex: 10n });
    // The creation is durable at once, name and all: a crash right after it leaves the header.
    memory.crash(() => 0);
    expect(memory.snapshot(PATH).equals(created!)).toBe(true);
    const reopened = await RecordLog.open(PATH, { storage: memory, create: false });
    expect(reopened.nextIndex).toBe(10n);
    expect(reopened.recovery.truncated).toBeUndefined();
    await reopened.close();
  });
});
