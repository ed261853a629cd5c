/**
 * The limits of spec §2 and the rules a reader applies to intact slices (§7), on files crafted
 * slice by slice: which code and offset a reader reports when a slice breaks one or several
 * rules (RSF-052), the payload and index limits (RSF-002, RSF-003), and that nothing is allocated
 * by a length read from the file before it is checked (RSF-005).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BlockReader } from '../../src/engine/block-reader.js';
import { RecordLog } from '../../src/engine/record-log.js';
import type { LsfsRecord, ScanReport } from '../../src/engine/record.js';
import { encodeBlockHeader } from '../../src/format/block-header.js';
import { crc32c } from '../../src/format/crc32c.js';
import { encodeFileHeader } from '../../src/format/file-header.js';
import { MAX_PAYLOAD_LENGTH, MAX_RECORD_INDEX, SliceKind } from '../../src/format/constants.js';
import { sealSlice } from '../../src/format/slice.js';
import type { Storage } from '../../src/io/storage.js';
import { memoryStorage, patternPayload } from '../support/arbitraries.js';
import { bufferFile } from '../support/buffer-file.js';

const BLOCK = 512;
const FILE_ID = 0x5eedn;

interface CraftedSlice {
  readonly kind: SliceKind;
  /** The slice's data: for a FULL or FIRST slice, the record header first (see {@link recordData}). */
  readonly data: Buffer;
}

interface CraftedBlock {
  /** The block header's `first_index` (blocks k ≥ 1). */
  readonly firstIndex?: bigint;
  readonly slices: readonly CraftedSlice[];
}

/** Record data of `dataLength` bytes: a record header claiming `payloadLength`, then payload bytes. */
function recordData(payloadLength: number, dataLength = 12 + payloadLength, typeCode = 7n): Buffer {
  const data = Buffer.alloc(dataLength);
  if (dataLength >= 12) {
    data.writeBigUInt64LE(typeCode, 0);
    data.writeUInt32LE(payloadLength, 8);
    patternPayload(dataLength - 12, payloadLength & 0xff).copy(data, 12);
  } else {
    patternPayload(dataLength, 1).copy(data);
  }
  return data;
}

/** Continuation data (MIDDLE and LAST slices): no record header. */
const more = (length: number): Buffer => patternPayload(length, 3);

/** Data bytes of a slice that fills the rest of a block from `offsetInBlock`. */
const fillFrom = (offsetInBlock: number): number => BLOCK - offsetInBlock - 12;

/**
 * The bytes of a file built slice by slice, every slice sealed (its checksums right for its
 * place), whatever the rules it breaks. The file ends right after the last slice.
 */
function craft(blocks: readonly CraftedBlock[], baseIndex = 0n): { bytes: Buffer; offsets: number[][] } {
  const bytes = Buffer.alloc(blocks.length * BLOCK);
  encodeFileHeader({ blockSize: BLOCK, fileId: FILE_ID, baseIndex: baseIndex > MAX_RECORD_INDEX ? 0n : baseIndex }).copy(bytes);
  if (baseIndex > MAX_RECORD_INDEX) {
    // A writer refuses such a base index; a reader must still cope with it (RSF-022).
    bytes.writeBigUInt64LE(baseIndex, 24);
    bytes.writeUInt32LE(crc32c(bytes.subarray(0, 60)), 60);
  }
  let end = 64;
  const offsets: number[][] = [];
  blocks.forEach((block, k) => {
    let at = k === 0 ? 64 : k * BLOCK;
    if (k > 0) {
      encodeBlockHeader({ fileId: FILE_ID, blockNumber: k, firstIndex: block.firstIndex ?? 0n }, bytes, at);
      at += 32;
    }
    const here: number[] = [];
    for (const slice of block.slices) {
      slice.data.copy(bytes, at + 8);
      here.push(at);
      at += sealSlice(bytes, at, slice.kind, slice.data.length, FILE_ID, at);
    }
    offsets.push(here);
    end = at;
  });
  return { bytes: bytes.subarray(0, end), offsets };
}

interface Reading {
  records: LsfsRecord[];
  error: { code: string; offset: number | undefined } | undefined;
  report: ScanReport;
}

/** A strict or salvage read of `bytes` from the first record (the open tolerates interior damage, RSF-083). */
async function read(bytes: Buffer, mode: 'strict' | 'salvage' = 'strict'): Promise<Reading> {
  const storage = { open: async () => bufferFile(bytes, 'crafted.lsfs') } as unknown as Storage;
  const report: ScanReport = { gaps: [], tail: undefined };
  const records: LsfsRecord[] = [];
  try {
    const reader = await BlockReader.open(storage, 'crafted.lsfs', { salvage: true });
    for await (const record of reader.records({ mode, report })) records.push(record);
    return { records, error: undefined, report };
  } catch (error) {
    const { code, offset } = error as { code: string; offset: number | undefined };
    return { records, error: { code, offset }, report };
  }
}

const indexes = (reading: Reading) => reading.records.map((record) => record.index);

describe('the rules of an intact slice, in the order of RSF-052', () => {
  // covers RSF-052
  const good = { kind: SliceKind.Full, data: recordData(20) };

  it('within a block, a FULL or FIRST slice: data_length ≥ 12, then the payload limit, then the slice length', async () => {
    // The bad slice comes second, at 108, after record 0 (a FULL slice of 44 bytes).
    const cases: [string, CraftedSlice, string][] = [
      ['a FULL slice too short for a record header', { kind: SliceKind.Full, data: recordData(0, 8) }, 'BAD_SLICE'],
      // Both the payload limit and the FULL length rule fail: the payload limit comes first.
      ['a FULL slice over the payload limit, whose length does not match either', { kind: SliceKind.Full, data: recordData(MAX_PAYLOAD_LENGTH + 1, 40) }, 'RECORD_TOO_LARGE'],
      ['a FULL slice whose length is not 12 + payload_length', { kind: SliceKind.Full, data: recordData(30, 40) }, 'BAD_SLICE'],
      // Both the payload limit and "a FIRST slice fills the block" fail: the payload limit comes first.
      ['a FIRST slice over the payload limit that does not fill its block', { kind: SliceKind.First, data: recordData(MAX_PAYLOAD_LENGTH + 1, 40) }, 'RECORD_TOO_LARGE'],
      ['a FIRST slice that does not fill its block', { kind: SliceKind.First, data: recordData(5000, 40) }, 'BAD_SLICE'],
      ['a FIRST slice that fills its block but holds its whole record', { kind: SliceKind.First, data: recordData(fillFrom(108) - 12) }, 'BAD_SLICE'],
    ];
    for (const [what, slice, code] of cases) {
      // Record 2 follows in the same block, or in the next one when the bad slice fills the block.
      const fills = 108 + slice.data.length + 12 === BLOCK;
      const blocks: CraftedBlock[] = fills ? [{ slices: [good, slice] }, { firstIndex: 2n, slices: [good] }] : [{ slices: [good, slice, good] }];
      const { bytes, offsets } = craft(blocks);
      expect(offsets[0]![1]).toBe(108);
      const strict = await read(bytes);
      expect(strict.error, what).toEqual({ code, offset: 108 });
      expect(indexes(strict), what).toEqual([0n]);
      // The slice is intact, so its damage is exactly the slice, and it still used up index 1 (RSF-073).
      const salvage = await read(bytes, 'salvage');
      expect(indexes(salvage), what).toEqual([0n, 2n]);
      expect(salvage.report.gaps, what).toEqual([expect.objectContaining({ code, offset: 108, length: slice.data.length + 12 })]);
    }
  });

  it('within a block, a MIDDLE or LAST slice: first in its block, a MIDDLE fills it, a LAST holds a byte', async () => {
    const first = { kind: SliceKind.First, data: recordData(2000, fillFrom(64)) };
    const cases: [string, CraftedBlock, number][] = [
      ['a MIDDLE slice that does not fill its block', { firstIndex: 0n, slices: [{ kind: SliceKind.Middle, data: more(100) }] }, 0],
      ['an empty LAST slice', { firstIndex: 0n, slices: [{ kind: SliceKind.Last, data: more(0) }] }, 0],
    ];
    for (const [what, block, slice] of cases) {
      const { bytes, offsets } = craft([{ slices: [first] }, block]);
      expect((await read(bytes)).error, what).toEqual({ code: 'BAD_SLICE', offset: offsets[1]![slice] });
    }
    const notFirst = craft([{ slices: [good, { kind: SliceKind.Last, data: more(10) }, good] }]);
    expect((await read(notFirst.bytes)).error).toEqual({ code: 'BAD_SLICE', offset: notFirst.offsets[0]![1] });
  });

  it('the rules within a block come before the rules across blocks', async () => {
    const first = { kind: SliceKind.First, data: recordData(2000, fillFrom(64)) };
    // Record 0 is in progress: a FULL slice breaks "no record in progress" (BAD_SLICE), and the
    // payload limit (RECORD_TOO_LARGE) too. The within-block rule is reported.
    const both = craft([{ slices: [first] }, { firstIndex: 0n, slices: [{ kind: SliceKind.Full, data: recordData(MAX_PAYLOAD_LENGTH + 1, 30) }] }]);
    expect((await read(both.bytes)).error).toEqual({ code: 'RECORD_TOO_LARGE', offset: both.offsets[1]![0] });
    const onlyAcross = craft([{ slices: [first] }, { firstIndex: 0n, slices: [{ kind: SliceKind.Full, data: recordData(18) }] }]);
    expect((await read(onlyAcross.bytes)).error).toEqual({ code: 'BAD_SLICE', offset: onlyAcross.offsets[1]![0] });
  });

  it('across blocks, a FULL or FIRST slice: no record in progress before the index limit', async () => {
    const first = { kind: SliceKind.First, data: recordData(2000, fillFrom(64)) };
    // Record MAX_RECORD_INDEX is in progress, so the next record start both breaks the sequence and
    // would have index 2^64 − 1: BAD_SLICE, the first of the two.
    const both = craft([{ slices: [first] }, { firstIndex: MAX_RECORD_INDEX, slices: [{ kind: SliceKind.Full, data: recordData(18) }] }], MAX_RECORD_INDEX);
    expect((await read(both.bytes)).error).toEqual({ code: 'BAD_SLICE', offset: both.offsets[1]![0] });
  });

  it('across blocks, a MIDDLE or LAST slice: a record in progress, a MIDDLE leaves some of it, a LAST ends it exactly', async () => {
    const middleData = fillFrom(32);
    const first = (payloadLength: number) => ({ kind: SliceKind.First, data: recordData(payloadLength, fillFrom(64)) });
    const firstData = fillFrom(64);
    const cases: [string, CraftedBlock[]][] = [
      ['a LAST slice that continues no record', [{ slices: [good, { kind: SliceKind.Full, data: recordData(fillFrom(108) - 12) }] }, { firstIndex: 1n, slices: [{ kind: SliceKind.Last, data: more(10) }] }]],
      ['a MIDDLE slice that completes its record', [{ slices: [first(firstData - 12 + middleData)] }, { firstIndex: 0n, slices: [{ kind: SliceKind.Middle, data: more(middleData) }] }]],
      ['a LAST slice short of its record', [{ slices: [first(firstData - 12 + 50)] }, { firstIndex: 0n, slices: [{ kind: SliceKind.Last, data: more(40) }] }]],
      ['a LAST slice past its record', [{ slices: [first(firstData - 12 + 50)] }, { firstIndex: 0n, slices: [{ kind: SliceKind.Last, data: more(60) }] }]],
    ];
    for (const [what, blocks] of cases) {
      const { bytes, offsets } = craft(blocks);
      expect((await read(bytes)).error, what).toEqual({ code: 'BAD_SLICE', offset: offsets[1]![0] });
    }
    // The same record with a LAST slice that ends it exactly is read whole.
    const whole = craft([{ slices: [first(firstData - 12 + 50)] }, { firstIndex: 0n, slices: [{ kind: SliceKind.Last, data: more(50) }] }]);
    const reading = await read(whole.bytes);
    expect(reading.error).toBeUndefined();
    expect(reading.records.map((record) => record.payload.length)).toEqual([firstData - 12 + 50]);
  });
});

describe('the payload limit (RSF-002)', () => {
  // covers RSF-002
  it('a reader refuses a record header claiming more than MAX_PAYLOAD_LENGTH bytes, and not one claiming exactly that', async () => {
    for (const payloadLength of [MAX_PAYLOAD_LENGTH + 1, 2 ** 32 - 1]) {
      const { bytes, offsets } = craft([{ slices: [{ kind: SliceKind.First, data: recordData(payloadLength, fillFrom(64)) }] }]);
      expect((await read(bytes)).error).toEqual({ code: 'RECORD_TOO_LARGE', offset: offsets[0]![0] });
    }
    // 2^30 is allowed: the file merely ends before the record does, a torn tail and no error.
    const { bytes } = craft([{ slices: [{ kind: SliceKind.Full, data: recordData(5) }, { kind: SliceKind.First, data: recordData(MAX_PAYLOAD_LENGTH, fillFrom(93)) }] }]);
    const reading = await read(bytes);
    expect(reading.error).toBeUndefined();
    expect(indexes(reading)).toEqual([0n]);
    expect(reading.report.tail).toMatchObject({ code: 'TORN_TAIL', offset: 93 });
  });

  it('a writer refuses a longer payload, writing nothing', async () => {
    const storage = await memoryStorage();
    const log = await RecordLog.open('/mem/limit.lsfs', { storage });
    const huge = new Uint8Array(0);
    Object.defineProperty(huge, 'length', { value: MAX_PAYLOAD_LENGTH + 1 });
    expect(() => log.append(1n, huge)).toThrow(expect.objectContaining({ code: 'RECORD_TOO_LARGE' }));
    await log.close();
    expect(storage.snapshot('/mem/limit.lsfs').length).toBe(64);
  });
});

describe('the index limit (RSF-003)', () => {
  // covers RSF-003, RSF-004
  it('a file whose base index is MAX_RECORD_INDEX holds exactly one record', async () => {
    const storage = await memoryStorage();
    const log = await RecordLog.open('/mem/last.lsfs', { storage, blockSize: BLOCK, baseIndex: MAX_RECORD_INDEX });
    expect(log.append(1n, Buffer.from('last'))).toBe(MAX_RECORD_INDEX);
    expect(() => log.append(1n, Buffer.from('one too many'))).toThrow(expect.objectContaining({ code: 'INDEX_OVERFLOW' }));
    expect(() => log.appendMany([{ typeCode: 1n, payload: Buffer.alloc(0) }])).toThrow(expect.objectContaining({ code: 'INDEX_OVERFLOW' }));
    expect(log.nextIndex).toBe(MAX_RECORD_INDEX + 1n);
    await log.close();
    const reopened = await RecordLog.open('/mem/last.lsfs', { storage });
    const records: LsfsRecord[] = [];
    for await (const record of reopened.records()) records.push(record);
    expect(records.map((record) => [record.index, record.payload.toString()])).toEqual([[MAX_RECORD_INDEX, 'last']]);
    await reopened.close();
    // Nor can a file be created whose first record would be past the limit.
    await expect(RecordLog.open('/mem/none.lsfs', { storage, baseIndex: MAX_RECORD_INDEX + 1n })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await storage.exists('/mem/none.lsfs')).toBe(false);
  });

  it('a reader refuses a record whose index would pass MAX_RECORD_INDEX with INDEX_OVERFLOW', async () => {
    const two = craft([{ slices: [{ kind: SliceKind.Full, data: recordData(3) }, { kind: SliceKind.Full, data: recordData(4) }] }], MAX_RECORD_INDEX);
    const reading = await read(two.bytes);
    expect(indexes(reading)).toEqual([MAX_RECORD_INDEX]);
    expect(reading.error).toEqual({ code: 'INDEX_OVERFLOW', offset: two.offsets[0]![1] });
    // A file whose base index is 2^64 − 1 is readable, but can hold no record.
    const none = craft([{ slices: [{ kind: SliceKind.Full, data: recordData(3) }] }], MAX_RECORD_INDEX + 1n);
    const empty = await read(none.bytes);
    expect(empty.records).toEqual([]);
    expect(empty.error).toEqual({ code: 'INDEX_OVERFLOW', offset: 64 });
  });
});

describe('allocation by lengths read from the file (RSF-005)', () => {
  // covers RSF-005
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** The sizes of every Buffer allocated while `run` runs. */
  async function allocations(run: () => Promise<unknown>): Promise<number[]> {
    const sizes: number[] = [];
    for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
      const original = Buffer[name].bind(Buffer) as (size: number, ...rest: unknown[]) => Buffer;
      vi.spyOn(Buffer, name).mockImplementation(((size: number, ...rest: unknown[]) => {
        sizes.push(size);
        return original(size, ...rest);
      }) as never);
    }
    try {
      await run();
    } finally {
      vi.restoreAllMocks();
    }
    return sizes;
  }

  it('allocates nothing for a payload the file cannot hold, or one over the limit', async () => {
    const cases = [
      craft([{ slices: [{ kind: SliceKind.First, data: recordData(MAX_PAYLOAD_LENGTH, fillFrom(64)) }] }]).bytes,
      craft([{ slices: [{ kind: SliceKind.First, data: recordData(MAX_PAYLOAD_LENGTH + 1, fillFrom(64)) }] }]).bytes,
      craft([{ slices: [{ kind: SliceKind.Full, data: recordData(2 ** 32 - 1, 40) }] }]).bytes,
      // A record of 100 000 bytes whose FIRST slice is all the file holds.
      craft([{ slices: [{ kind: SliceKind.First, data: recordData(100_000, fillFrom(64)) }] }]).bytes,
    ];
    for (const bytes of cases) {
      const sizes = await allocations(async () => {
        await read(bytes, 'strict');
        await read(bytes, 'salvage');
      });
      expect(Math.max(0, ...sizes), `largest allocation reading a ${bytes.length}-byte file`).toBeLessThan(64 * 1024);
    }
    // The spy sees payload allocations: a whole record of the same length is allocated for.
    const whole = await memoryStorage();
    const log = await RecordLog.open('/mem/whole.lsfs', { storage: whole, blockSize: BLOCK });
    log.append(7n, patternPayload(100_000, 1));
    await log.close();
    const bytes = whole.snapshot('/mem/whole.lsfs');
    const sizes = await allocations(() => read(bytes));
    expect(sizes).toContain(100_000);
  });
});
