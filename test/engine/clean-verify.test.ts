/**
 * The fast verify: a clean check first, the salvage scan only when it finds anything not clean.
 * Its promise is that `verify()` returns exactly what the salvage scan returns (RSF-072), for every
 * file — so these tests run both on the same bytes: clean files of every block size and slicing
 * edge, and files with the damage the fault model allows and some it does not (bit flips, cuts,
 * overwritten sectors, foreign and misplaced blocks, slices and block headers whose checksums were
 * recomputed over wrong bytes). Here the clean check runs inline (the TypeScript sources have no
 * compiled worker script); clean-verify-workers.test.ts runs the worker path on real files.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { parseBlock } from '../../src/engine/block-parser.js';
import { BlockReader, type VerifyOutcome } from '../../src/engine/block-reader.js';
import { CleanRangeChecker } from '../../src/engine/clean-check.js';
import { DAMAGE_CODES, isLsfsError } from '../../src/errors.js';
import { encodeBlockHeader } from '../../src/format/block-header.js';
import { BLOCK_HEADER_SIZE, MAX_RECORD_INDEX, SliceKind } from '../../src/format/constants.js';
import { crc32c, sliceContextCrc } from '../../src/format/crc32c.js';
import { type FileHeader, decodeFileHeader } from '../../src/format/file-header.js';
import { encodeRecord } from '../../src/format/layout.js';
import { seededRandom } from '../../src/io/memory-storage.js';
import { blockSizeArb, patternPayload, recordsArb, type GeneratedRecord } from '../support/arbitraries.js';
import { bufferFile } from '../support/buffer-file.js';
import { buildFile } from '../support/build-file.js';

const RUNS = Number.parseInt(process.env.LSFS_FC_RUNS ?? '', 10) > 0 ? Number.parseInt(process.env.LSFS_FC_RUNS!, 10) : 300;
const U64_MAX = 2n ** 64n - 1n;
const FILE_ID = 0x0123456789abcdefn;

/** The fast verify and the salvage scan of the same bytes; undefined when the file header is damaged (open fails for both). */
async function bothVerifies(bytes: Buffer, place: 'inline' | 'auto' = 'inline'): Promise<{ fast: VerifyOutcome; scan: VerifyOutcome['report'] } | undefined> {
  let reader: BlockReader;
  try {
    reader = await BlockReader.over(bufferFile(bytes), undefined, { salvage: true });
  } catch (error) {
    if (isLsfsError(error) && DAMAGE_CODES.has(error.code)) return undefined;
    throw error;
  }
  return { fast: await reader.verifyWith({ place }), scan: await reader.verifyBySalvageScan() };
}

/** The two agree; the fast path answered exactly for the files the salvage scan finds clean. */
function expectAgreement(result: { fast: VerifyOutcome; scan: VerifyOutcome['report'] }): void {
  expect(result.fast.report).toStrictEqual(result.scan);
  const clean = result.scan.gaps.length === 0 && result.scan.tail === undefined;
  expect(result.fast.checkedBy).toBe(clean ? 'inline' : 'salvage-scan');
}

// ---------------------------------------------------------------------------------------------
// Files and damage

interface FileCase {
  readonly blockSize: number;
  readonly baseIndex: bigint;
  readonly records: readonly GeneratedRecord[];
}

/** Base indexes 0, ordinary, and so high that the last records pass MAX_RECORD_INDEX (INDEX_OVERFLOW). */
function baseIndexArb(recordCount: number): fc.Arbitrary<bigint> {
  return fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 2n ** 62n }), fc.integer({ min: 0, max: 2 }).map((j) => {
    // The last record's index is at most 2^64 − 1 (what a block header can hold), the base at most MAX_RECORD_INDEX.
    const base = U64_MAX + 1n - BigInt(Math.max(1, recordCount)) - BigInt(j);
    return base > MAX_RECORD_INDEX ? MAX_RECORD_INDEX : base;
  }));
}

/** Few records of any size in any block size, or many in small blocks (so that blocks begin with record starts and padding). */
const fileCaseArb: fc.Arbitrary<FileCase> = fc
  .oneof(
    blockSizeArb.map((blockSize) => [blockSize, 16] as const),
    fc.constantFrom(512, 1024).map((blockSize) => [blockSize, 120] as const),
  )
  .chain(([blockSize, maxRecords]) =>
    recordsArb(blockSize, maxRecords).chain((records) => baseIndexArb(records.length).map((baseIndex) => ({ blockSize, baseIndex, records }))),
  );

function fileOf(c: FileCase, fileId = FILE_ID): Buffer {
  return buildFile(c.records, { blockSize: c.blockSize, baseIndex: c.baseIndex, fileId }).bytes;
}

type DamageSpec =
  | { kind: 'flip'; pick: number; bit: number }
  | { kind: 'cut'; pick: number }
  | { kind: 'extend'; length: number; zeros: boolean }
  | { kind: 'sector'; pick: number; zeros: boolean; seed: number }
  | { kind: 'foreign'; pick: number }
  | { kind: 'swap'; pick: number; other: number }
  | { kind: 'reseal'; pick: number; how: 'wrong-offset' | 'no-context' | 'length' | 'reserved' }
  | { kind: 'reindex'; pick: number; delta: number }
  | { kind: 'padding'; pick: number; bit: number }
  | { kind: 'rekind'; pick: number; to: SliceKind }
  | { kind: 'cancel'; pick: number; other: number; bit: number };

const damageArb: fc.Arbitrary<DamageSpec> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), pick: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('cut' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), length: fc.integer({ min: 1, max: 600 }), zeros: fc.boolean() }),
  fc.record({ kind: fc.constant('sector' as const), pick: fc.nat(), zeros: fc.boolean(), seed: fc.integer() }),
  fc.record({ kind: fc.constant('foreign' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), pick: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('reseal' as const), pick: fc.nat(), how: fc.constantFrom('wrong-offset' as const, 'no-context' as const, 'length' as const, 'reserved' as const) }),
  fc.record({ kind: fc.constant('reindex' as const), pick: fc.nat(), delta: fc.constantFrom(-1, 1, 2) }),
  fc.record({ kind: fc.constant('padding' as const), pick: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('rekind' as const), pick: fc.nat(), to: fc.constantFrom(SliceKind.Full, SliceKind.First, SliceKind.Middle, SliceKind.Last) }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat(), other: fc.nat(), bit: fc.nat(31) }),
);

interface SliceAt {
  readonly offset: number;
  readonly kind: SliceKind;
  readonly dataLength: number;
}

/** Every intact slice of an undamaged file, in file order. */
function slicesOf(bytes: Buffer, header: FileHeader): SliceAt[] {
  const slices: SliceAt[] = [];
  for (let block = 0; block * header.blockSize < bytes.length; block++) {
    const parsed = parseBlock(bytes.subarray(block * header.blockSize, (block + 1) * header.blockSize), block, header);
    for (const item of parsed.items) if (item.type === 'slice') slices.push({ offset: item.slice.offset, kind: item.slice.kind, dataLength: item.slice.dataLength });
  }
  return slices;
}

/** Rewrites the slice's trailer: the CRC-32C of its header and data, continuing from `previous`. */
function resealSlice(bytes: Buffer, slice: SliceAt, previous: number): void {
  const end = slice.offset + 8 + slice.dataLength;
  bytes.writeUInt32LE(crc32c(bytes.subarray(slice.offset, end), previous), end);
}

/** Rewrites the slice's header check and trailer as a writer would for `offset` (the right context). */
function resealSliceProperly(bytes: Buffer, slice: SliceAt, fileId: bigint): void {
  const context = sliceContextCrc(fileId, slice.offset);
  bytes.writeUInt16LE(crc32c(bytes.subarray(slice.offset, slice.offset + 6), context) & 0xffff, slice.offset + 6);
  resealSlice(bytes, slice, context);
}

/** The damaged copy of `bytes`; the same bytes when the damage does not apply to this file. */
function damaged(bytes: Buffer, c: FileCase, damage: DamageSpec): Buffer {
  const out = Buffer.from(bytes);
  const header = decodeFileHeader(bytes.subarray(0, 64)) as FileHeader;
  const body = Math.max(1, bytes.length - 64);
  const blocks = Math.ceil(bytes.length / c.blockSize);
  const slices = slicesOf(bytes, header);
  switch (damage.kind) {
    case 'flip':
      out[64 + (damage.pick % body)]! ^= 1 << damage.bit;
      return out;
    case 'cut':
      return out.subarray(0, 64 + (damage.pick % body));
    case 'extend': {
      const tail = Buffer.alloc(damage.length, damage.zeros ? 0 : 0xa5);
      return Buffer.concat([out, tail]);
    }
    case 'sector': {
      const from = 512 * (damage.pick % Math.ceil(bytes.length / 512)) || 64;
      const random = seededRandom(damage.seed);
      for (let i = from; i < Math.min(out.length, from + 512); i++) out[i] = damage.zeros ? 0 : Math.floor(random() * 256);
      return out;
    }
    case 'foreign': {
      if (blocks < 2) return out;
      const block = 1 + (damage.pick % (blocks - 1));
      const foreign = fileOf(c, FILE_ID ^ 0xffffn);
      foreign.copy(out, block * c.blockSize, block * c.blockSize, Math.min(out.length, (block + 1) * c.blockSize));
      return out;
    }
    case 'swap': {
      if (blocks < 3) return out;
      const a = 1 + (damage.pick % (blocks - 2));
      const b = 1 + ((a + (damage.other % (blocks - 2))) % (blocks - 2)) || 1;
      const saved = Buffer.from(out.subarray(a * c.blockSize, (a + 1) * c.blockSize));
      out.copy(out, a * c.blockSize, b * c.blockSize, (b + 1) * c.blockSize);
      saved.copy(out, b * c.blockSize);
      return out;
    }
    case 'reseal': {
      const slice = slices[damage.pick % Math.max(1, slices.length)];
      if (slice === undefined) return out;
      if (damage.how === 'reserved') {
        // The reserved byte set, checksums right (RSF-042 check 5: UNSUPPORTED_FEATURE).
        out[slice.offset + 3] = 1 + (damage.pick % 255);
        resealSliceProperly(out, slice, header.fileId);
        return out;
      }
      if (damage.how === 'length') {
        // A record header that lies about the payload length, with every checksum right for it:
        // only the slice sequence (RSF-050) can tell.
        if (slice.kind !== SliceKind.Full && slice.kind !== SliceKind.First) return out;
        const at = slice.offset + 8 + 8;
        out.writeUInt32LE((out.readUInt32LE(at) + (damage.pick % 2 === 0 ? 1 : -1 + 2 ** 32)) % 2 ** 32, at);
        resealSliceProperly(out, slice, header.fileId);
        return out;
      }
      // A data byte changed and the trailer recomputed over the wrong bytes: without the context,
      // or with the context of another offset (a slice moved from elsewhere).
      if (slice.dataLength > 0) out[slice.offset + 8 + (damage.pick % slice.dataLength)]! ^= 0x40;
      resealSlice(out, slice, damage.how === 'no-context' ? 0 : sliceContextCrc(header.fileId, slice.offset + c.blockSize));
      return out;
    }
    case 'reindex': {
      // A block header with a wrong first_index and a right checksum: only RSF-032 can tell.
      if (blocks < 2) return out;
      // Half the time a block that begins with a record start: a continuation is caught by the slice sequence too.
      const starting = slices.filter((slice) => slice.offset % c.blockSize === BLOCK_HEADER_SIZE && (slice.kind === SliceKind.Full || slice.kind === SliceKind.First));
      const block = damage.pick % 2 === 0 && starting.length > 0 ? Math.floor(starting[damage.pick % starting.length]!.offset / c.blockSize) : 1 + (damage.pick % (blocks - 1));
      const at = block * c.blockSize;
      if (out.length - at < BLOCK_HEADER_SIZE) return out;
      const firstIndex = (out.readBigUInt64LE(at + 24) + BigInt(damage.delta) + 2n ** 64n) % 2n ** 64n;
      encodeBlockHeader({ fileId: header.fileId, blockNumber: block, firstIndex }, out, at);
      return out;
    }
    case 'rekind': {
      // A slice of another kind, with every checksum right for it: only the slice rules (RSF-043) can tell.
      const slice = slices[damage.pick % Math.max(1, slices.length)];
      if (slice === undefined || slice.kind === damage.to) return out;
      out[slice.offset + 2] = damage.to;
      resealSliceProperly(out, slice, header.fileId);
      return out;
    }
    case 'padding': {
      // A bit in the zero padding at a block's end (RSF-062).
      const padded = slices.filter((slice, i) => {
        const end = slice.offset + slice.dataLength + 12;
        const left = c.blockSize - (end % c.blockSize);
        return left < c.blockSize && left < 24 && slices[i + 1] !== undefined && slices[i + 1]!.offset > end;
      });
      const slice = padded[damage.pick % Math.max(1, padded.length)];
      if (slice === undefined) return out;
      const end = slice.offset + slice.dataLength + 12;
      const left = c.blockSize - (end % c.blockSize);
      out[end + (damage.pick % left)]! ^= 1 << damage.bit;
      return out;
    }
    case 'cancel': {
      // The same bit flipped in two slices' trailers: a check that folds all CRCs into one
      // comparison would see nothing (bench/experiments/combined-crc-verify.ts was rejected for it).
      if (slices.length < 2) return out;
      const a = slices[damage.pick % slices.length]!;
      const b = slices[(damage.pick + 1 + (damage.other % (slices.length - 1))) % slices.length]!;
      for (const slice of [a, b]) {
        const at = slice.offset + 8 + slice.dataLength;
        out.writeUInt32LE((out.readUInt32LE(at) ^ (1 << damage.bit)) >>> 0, at);
      }
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------------

describe('fast verify agrees with the salvage scan', () => {
  // covers RSF-011, RSF-072
  it('RSF-011 RSF-072: on clean files of every block size and slicing edge, the clean check answers, and equally', async () => {
    await fc.assert(
      fc.asyncProperty(fileCaseArb, async (c) => {
        const result = (await bothVerifies(fileOf(c)))!;
        expectAgreement(result);
        const overflows = c.records.length > 0 && c.baseIndex + BigInt(c.records.length - 1) > MAX_RECORD_INDEX;
        if (!overflows) expect(result.fast.checkedBy).toBe('inline');
      }),
      { numRuns: RUNS },
    );
  });

  // covers RSF-011, RSF-031, RSF-032, RSF-042, RSF-050, RSF-062, RSF-070, RSF-072
  it('RSF-011 RSF-031 RSF-032 RSF-042 RSF-050 RSF-072: on damaged files (flips, cuts, sectors, foreign blocks, resealed slices), equally', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fileCaseArb, damageArb, async (c, damage) => {
        const bytes = damaged(fileOf(c), c, damage);
        const result = await bothVerifies(bytes);
        if (result === undefined) return;
        expectAgreement(result);
        const key = `${damage.kind}:${result.fast.checkedBy}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }),
      { numRuns: RUNS * 2 },
    );
    // The run reached the fallback for every kind of damage (each must find something sometimes).
    for (const kind of ['flip', 'cut', 'extend', 'sector', 'foreign', 'swap', 'reseal', 'reindex', 'padding', 'rekind', 'cancel']) expect(seen.get(`${kind}:salvage-scan`) ?? 0, kind).toBeGreaterThan(0);
  });

  // covers RSF-032, RSF-062
  it('RSF-032 RSF-062: a wrong first_index with a right checksum, and a non-zero padding byte, are caught', async () => {
    // Empty payloads in 512-byte blocks: 24-byte FULL slices, 20 to a block, 16 bytes of padding in block 0.
    const c: FileCase = { blockSize: 512, baseIndex: 0n, records: Array.from({ length: 100 }, (_, i) => ({ typeCode: BigInt(i), payload: Buffer.alloc(0) })) };
    const bytes = fileOf(c);
    const starting = slicesOf(bytes, decodeFileHeader(bytes.subarray(0, 64)) as FileHeader).filter((slice) => slice.offset % 512 === BLOCK_HEADER_SIZE);
    expect(starting.map((slice) => slice.kind)).toEqual(Array(5).fill(SliceKind.Full));
    for (const [pick, delta] of [[0, 1], [1, -1], [2, 2], [3, 1], [4, -1]] as const) {
      const result = (await bothVerifies(damaged(bytes, c, { kind: 'reindex', pick: pick * 2, delta })))!;
      expect(result.scan.gaps.map((gap) => gap.code), `block ${pick + 1}`).toContain('INDEX_OUT_OF_ORDER');
      expectAgreement(result);
    }
    const padded = Buffer.from(bytes);
    padded[511] = 0x80;
    const result = (await bothVerifies(padded))!;
    expect(result.scan.gaps.map((gap) => gap.code)).toEqual(['BAD_PADDING']);
    expectAgreement(result);
  });

  // covers RSF-011, RSF-042
  it('RSF-011 RSF-042: a slice whose CRC was recomputed over the wrong bytes is caught', async () => {
    const c: FileCase = { blockSize: 512, baseIndex: 0n, records: Array.from({ length: 20 }, (_, i) => ({ typeCode: 1n, payload: patternPayload(40 + i * 37, i) })) };
    const bytes = fileOf(c);
    for (const how of ['wrong-offset', 'no-context'] as const) {
      for (let pick = 0; pick < 30; pick += 7) {
        const result = (await bothVerifies(damaged(bytes, c, { kind: 'reseal', pick, how })))!;
        expect(result.fast.checkedBy, `${how} ${pick}`).toBe('salvage-scan');
        expect(result.fast.report).toStrictEqual(result.scan);
        expect(result.scan.gaps.length + (result.scan.tail === undefined ? 0 : 1)).toBeGreaterThan(0);
      }
    }
  });

  // covers RSF-011
  it('RSF-011: two slices with the same trailer bit flipped do not cancel out', async () => {
    const c: FileCase = { blockSize: 4096, baseIndex: 0n, records: Array.from({ length: 40 }, (_, i) => ({ typeCode: 2n, payload: patternPayload(256, i) })) };
    const result = (await bothVerifies(damaged(fileOf(c), c, { kind: 'cancel', pick: 3, other: 4, bit: 5 })))!;
    expect(result.fast.checkedBy).toBe('salvage-scan');
    expect(result.scan.gaps.map((gap) => gap.code)).toEqual(['CHECKSUM_MISMATCH', 'CHECKSUM_MISMATCH']);
    expect(result.fast.report).toStrictEqual(result.scan);
  });

  it('verify() runs the salvage scan only when the clean check finds something', async () => {
    const c: FileCase = { blockSize: 1024, baseIndex: 5n, records: Array.from({ length: 30 }, (_, i) => ({ typeCode: 3n, payload: patternPayload(100 + i * 50, i) })) };
    const clean = fileOf(c);
    const cleanReader = await BlockReader.over(bufferFile(clean), undefined, { salvage: true });
    const cleanSpy = vi.spyOn(cleanReader, 'verifyBySalvageScan');
    const cleanReport = await cleanReader.verify();
    expect(cleanSpy).not.toHaveBeenCalled();
    expect(cleanReport).toStrictEqual({ gaps: [], tail: undefined, records: 30, firstIndex: 5n, lastIndex: 34n, bytes: clean.length });

    const bad = damaged(clean, c, { kind: 'flip', pick: clean.length - 200, bit: 3 });
    const badReader = await BlockReader.over(bufferFile(bad), undefined, { salvage: true });
    const badSpy = vi.spyOn(badReader, 'verifyBySalvageScan');
    const progress: number[] = [];
    const badReport = await badReader.verify((done) => progress.push(done));
    expect(badSpy).toHaveBeenCalledTimes(1);
    expect(badReport.gaps.length + (badReport.tail === undefined ? 0 : 1)).toBe(1);
    expect(progress.at(-1)).toBe(bad.length);
  });

  it('reports progress and ends with the whole file', async () => {
    const records = Array.from({ length: 9000 }, (_, i) => ({ typeCode: 1n, payload: patternPayload(256, i) }));
    const bytes = buildFile(records, { blockSize: 4096 }).bytes;
    const reader = await BlockReader.over(bufferFile(bytes), undefined, { salvage: true });
    const calls: Array<[number, number]> = [];
    const outcome = await reader.verifyWith({ place: 'inline', onProgress: (done, total) => calls.push([done, total]) });
    expect(outcome.checkedBy).toBe('inline');
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.at(-1)).toEqual([bytes.length, bytes.length]);
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThan(calls[i - 1]![0]);
  });
});

describe('clean check', () => {
  // covers RSF-041: the slice context's high half (offsets past 4 GiB) is part of every checksum.
  it('RSF-041: checks a range past 4 GiB, where the context has a non-zero high half', () => {
    const blockSize = 4096;
    const firstBlock = 2 ** 33 / blockSize + 3;
    const start = firstBlock * blockSize;
    const parts = [encodeBlockHeader({ fileId: FILE_ID, blockNumber: firstBlock, firstIndex: 1000n })];
    let position = start + BLOCK_HEADER_SIZE;
    for (let i = 0; i < 40; i++) {
      const encoded = encodeRecord(position, 1000n + BigInt(i), 9n, patternPayload(300, i), { blockSize, fileId: FILE_ID });
      parts.push(encoded);
      position += encoded.length;
    }
    const bytes = Buffer.concat(parts);
    const geometry = { blockSize, fileId: FILE_ID, baseIndex: 0n, fileSize: start + bytes.length };
    const checker = new CleanRangeChecker(geometry, firstBlock);
    expect(checker.checkBlocks(bytes, bytes.length, firstBlock)).toBe(true);
    expect(checker.summary()).toMatchObject({ firstBlock, startFirstIndex: 1000n, recordStarts: 40, nextIndex: 1040n, pendingIndex: undefined, lastRecordEnd: start + bytes.length });
    // The same bytes one block further on: every context differs, so nothing is clean.
    const moved = Buffer.from(bytes);
    encodeBlockHeader({ fileId: FILE_ID, blockNumber: firstBlock + 1, firstIndex: 1000n }, moved, 0);
    const elsewhere = new CleanRangeChecker({ ...geometry, fileSize: geometry.fileSize + blockSize }, firstBlock + 1);
    expect(elsewhere.checkBlocks(moved, moved.length, firstBlock + 1)).toBe(false);
  });

  it('a short read (fewer bytes than the view holds) is not clean', () => {
    const bytes = buildFile([{ typeCode: 1n, payload: patternPayload(3000, 1) }], { blockSize: 512 }).bytes;
    const geometry = { blockSize: 512, fileId: FILE_ID, baseIndex: 0n, fileSize: bytes.length };
    expect(new CleanRangeChecker(geometry, 0).checkBlocks(bytes, bytes.length, 0)).toBe(true);
    expect(new CleanRangeChecker(geometry, 0).checkBlocks(bytes, bytes.length - 1, 0)).toBe(false);
    expect(new CleanRangeChecker({ ...geometry, fileSize: bytes.length + 10 }, 0).checkBlocks(bytes, bytes.length, 0)).toBe(false);
  });
});
