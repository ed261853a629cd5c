/**
 * The Kaitai Struct reading of LSFS (spec/lsfs.ksy + spec/kaitai-wrapper.ts) against the reference
 * encoders of src/format: files built with `encodeFileHeader` and successive `encodeRecord` calls
 * must read back as the records that were encoded, and damage must give the spec's codes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fc, test as fcTest } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeBlockHeader } from '../src/format/block-header.js';
import { SliceKind } from '../src/format/constants.js';
import { crc32c, sliceContextCrc } from '../src/format/crc32c.js';
import { encodeFileHeader } from '../src/format/file-header.js';
import { encodeRecord } from '../src/format/layout.js';
import { KaitaiLsfsError, type KaitaiReadResult, loadKaitaiParser, parseKaitaiTree, readLsfsWithKaitai } from '../spec/kaitai-wrapper.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAX_U64 = 2n ** 64n - 1n;
const MAX_RECORD_INDEX = 2n ** 64n - 2n;
const BLOCK_SIZES = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];

beforeAll(() => {
  // `npm test` builds first (pretest); a bare `vitest run` on a fresh clone, or after editing the
  // schema, compiles it here.
  const generated = join(ROOT, 'spec', 'generated', 'javascript', 'Lsfs.js');
  const schema = join(ROOT, 'spec', 'lsfs.ksy');
  if (!existsSync(generated) || statSync(generated).mtimeMs < statSync(schema).mtimeMs) {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-kaitai.mjs')], { cwd: ROOT, stdio: 'pipe' });
  }
  loadKaitaiParser();
});

// ---------------------------------------------------------------------------------------------
// Building files.

interface RecordSpec {
  readonly typeCode: bigint;
  readonly payload: Buffer;
}

/** A piece of the file's layout, as spec §8 places it (modelled here independently of both readers). */
type Segment =
  | { readonly type: 'file-header'; readonly start: number; readonly end: number }
  | { readonly type: 'padding'; readonly start: number; readonly end: number }
  | { readonly type: 'block-header'; readonly start: number; readonly end: number }
  | { readonly type: 'slice'; readonly start: number; readonly end: number; readonly kind: SliceKind; readonly record: number };

interface BuiltFile {
  readonly bytes: Buffer;
  readonly blockSize: number;
  readonly fileId: bigint;
  readonly baseIndex: bigint;
  readonly records: RecordSpec[];
  /** File length after each record. */
  readonly ends: number[];
  readonly segments: Segment[];
}

function buildFile(records: readonly RecordSpec[], options: { blockSize: number; fileId?: bigint; baseIndex?: bigint }): BuiltFile {
  const { blockSize } = options;
  const fileId = options.fileId ?? 0x0123456789abcdefn;
  const baseIndex = options.baseIndex ?? 0n;
  const parts: Buffer[] = [encodeFileHeader({ blockSize, fileId, baseIndex })];
  const segments: Segment[] = [{ type: 'file-header', start: 0, end: 64 }];
  let position = 64;
  const ends: number[] = [];
  records.forEach((record, i) => {
    const bytes = encodeRecord(position, baseIndex + BigInt(i), record.typeCode, record.payload, { blockSize, fileId });
    const modelled = modelLayout(position, record.payload.length, blockSize, i);
    expect(modelled.at(-1)?.end, 'the test layout model agrees with encodeRecord').toBe(position + bytes.length);
    segments.push(...modelled);
    parts.push(bytes);
    position += bytes.length;
    ends.push(position);
  });
  return { bytes: Buffer.concat(parts), blockSize, fileId, baseIndex, records: [...records], ends, segments };
}

/** Bytes left in the block at `position`, and the spec §8 placement of a record of `payloadLength` bytes there. */
function modelLayout(position: number, payloadLength: number, blockSize: number, record: number): Segment[] {
  const out: Segment[] = [];
  let at = position;
  let left = at % blockSize === 0 ? 0 : blockSize - (at % blockSize);
  const newBlock = () => {
    if (left > 0) out.push({ type: 'padding', start: at, end: at + left });
    at += left;
    out.push({ type: 'block-header', start: at, end: at + 32 });
    at += 32;
    left = blockSize - 32;
  };
  if (left < 24) newBlock();
  let data = 12 + payloadLength;
  if (data + 12 <= left) {
    out.push({ type: 'slice', start: at, end: at + data + 12, kind: SliceKind.Full, record });
    return out;
  }
  out.push({ type: 'slice', start: at, end: at + left, kind: SliceKind.First, record });
  data -= left - 12;
  at += left;
  left = 0;
  while (data > 0) {
    newBlock();
    const piece = Math.min(data, blockSize - 44);
    data -= piece;
    out.push({ type: 'slice', start: at, end: at + piece + 12, kind: data > 0 ? SliceKind.Middle : SliceKind.Last, record });
    at += piece + 12;
    left -= piece + 12;
  }
  return out;
}

/** Deterministic, non-constant payload bytes. */
function payloadOf(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let x = (seed * 2654435761 + 1) >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

/** Where a payload-size intent lands, given the file length at which the record is appended (spec §8). */
type SizeIntent =
  | { readonly kind: 'absolute'; readonly length: number }
  | { readonly kind: 'fill'; readonly delta: number }
  | { readonly kind: 'span'; readonly blocks: number; readonly delta: number };

function resolveSize(intent: SizeIntent, position: number, blockSize: number): number {
  if (intent.kind === 'absolute') return intent.length;
  let left = position % blockSize === 0 ? 0 : blockSize - (position % blockSize);
  if (left < 24) left = blockSize - 32;
  // A FULL slice fills what is left exactly at payload length left - 24.
  const exactFill = left - 24;
  const extra = intent.kind === 'span' ? intent.blocks * (blockSize - 44) : 0;
  return Math.max(0, exactFill + extra + intent.delta);
}

const sizeIntent: fc.Arbitrary<SizeIntent> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fill' as const), delta: fc.integer({ min: -26, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('span' as const), blocks: fc.integer({ min: 0, max: 3 }), delta: fc.integer({ min: -3, max: 3 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('absolute' as const),
      length: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3000 })),
    }),
  },
);

const typeCode = fc.oneof(fc.constant(0n), fc.constant(MAX_U64), fc.constant(2n ** 53n + 1n), fc.bigInt({ min: 0n, max: MAX_U64 }));
const blockSize = fc.integer({ min: 9, max: 16 }).map((log2) => 2 ** log2);

interface FilePlan {
  readonly blockSize: number;
  readonly fileId: bigint;
  readonly baseIndex: bigint;
  readonly records: { readonly typeCode: bigint; readonly size: SizeIntent }[];
}

const filePlan: fc.Arbitrary<FilePlan> = fc
  .record({
    blockSize,
    fileId: fc.oneof(fc.constant(0n), fc.constant(MAX_U64), fc.bigInt({ min: 0n, max: MAX_U64 })),
    records: fc.array(fc.record({ typeCode, size: sizeIntent }), { minLength: 0, maxLength: 10 }),
  })
  .chain((plan) => {
    const highest = MAX_RECORD_INDEX - BigInt(Math.max(plan.records.length - 1, 0));
    return fc
      .oneof(fc.constant(0n), fc.constant(highest), fc.bigInt({ min: 0n, max: highest }))
      .map((baseIndex) => ({ ...plan, baseIndex }));
  });

function buildFromPlan(plan: FilePlan, seed = 1): BuiltFile {
  // The payload sizes depend on where each record lands, so the file is built record by record.
  const specs: RecordSpec[] = [];
  let position = 64;
  plan.records.forEach((record, i) => {
    const payload = payloadOf(resolveSize(record.size, position, plan.blockSize), seed + i);
    position += encodeRecord(position, plan.baseIndex + BigInt(i), record.typeCode, payload, { blockSize: plan.blockSize, fileId: plan.fileId }).length;
    specs.push({ typeCode: record.typeCode, payload });
  });
  return buildFile(specs, plan);
}

// ---------------------------------------------------------------------------------------------
// Expectations.

function expectRecords(result: { records: KaitaiReadResult['records'] }, file: BuiltFile, count: number): void {
  expect(result.records.length).toBe(count);
  result.records.forEach((record, i) => {
    const expected = file.records[i]!;
    expect(record.index).toBe(file.baseIndex + BigInt(i));
    expect(record.typeCode).toBe(expected.typeCode);
    expect(record.payload.length).toBe(expected.payload.length);
    expect(record.payload.equals(expected.payload)).toBe(true);
  });
}

function readError(bytes: Uint8Array): KaitaiLsfsError {
  try {
    readLsfsWithKaitai(bytes);
  } catch (error) {
    if (error instanceof KaitaiLsfsError) return error;
    throw error;
  }
  throw new Error('expected the read to fail');
}

function expectDamage(bytes: Uint8Array, code: string, offset: number): KaitaiLsfsError {
  const error = readError(bytes);
  expect({ code: error.code, offset: error.offset }).toEqual({ code, offset });
  return error;
}

/** Records that end at or before `offset`, and the end of the last of them (64 when none). */
function wholeRecordsBefore(file: BuiltFile, offset: number): { count: number; end: number } {
  let count = 0;
  while (count < file.ends.length && file.ends[count]! <= offset) count++;
  return { count, end: count === 0 ? 64 : file.ends[count - 1]! };
}

// ---------------------------------------------------------------------------------------------
// Damage helpers: change fields and re-seal the checksums, so that the check after them fires.

function resealFileHeader(bytes: Buffer): void {
  bytes.writeUInt32LE(crc32c(bytes.subarray(0, 60)), 60);
}

function resealSlice(bytes: Buffer, at: number, fileId: bigint): void {
  const context = sliceContextCrc(fileId, at);
  const dataLength = bytes.readUInt16LE(at + 4);
  bytes.writeUInt16LE(crc32c(bytes.subarray(at, at + 6), context) & 0xffff, at + 6);
  bytes.writeUInt32LE(crc32c(bytes.subarray(at, at + 8 + dataLength), context), at + 8 + dataLength);
}

function slices(file: BuiltFile): Extract<Segment, { type: 'slice' }>[] {
  return file.segments.filter((segment): segment is Extract<Segment, { type: 'slice' }> => segment.type === 'slice');
}

// ---------------------------------------------------------------------------------------------

describe('the Kaitai schema and wrapper read what the reference encoders write', () => {
  it('reads a file with no records', () => {
    const file = buildFile([], { blockSize: 4096, fileId: 7n, baseIndex: 5n });
    const result = readLsfsWithKaitai(file.bytes);
    expect(result).toEqual({ fileId: 7n, blockSize: 4096, baseIndex: 5n, records: [], kaitaiParse: 'whole-file' });
  });

  it.each(BLOCK_SIZES)('reads records at every slicing edge with block size %i', (size) => {
    // Fill exactly, leave 23 and 24 bytes, cut into FIRST/LAST with a 1-byte LAST, span several blocks.
    const intents: SizeIntent[] = [
      { kind: 'absolute', length: 0 },
      { kind: 'fill', delta: 0 },
      { kind: 'fill', delta: -23 },
      { kind: 'fill', delta: -24 },
      { kind: 'fill', delta: 1 },
      { kind: 'span', blocks: 1, delta: 0 },
      { kind: 'span', blocks: 1, delta: 1 },
      { kind: 'span', blocks: 2, delta: -1 },
      { kind: 'absolute', length: 0 },
      { kind: 'fill', delta: -1 },
      { kind: 'absolute', length: 1 },
    ];
    const plan: FilePlan = { blockSize: size, fileId: 0xfeedfacecafebeefn, baseIndex: 1000n, records: intents.map((intent, i) => ({ typeCode: BigInt(i) * 0x1111111111111111n, size: intent })) };
    const file = buildFromPlan(plan);
    const kinds = new Set(slices(file).map((slice) => slice.kind));
    expect(kinds).toEqual(new Set([SliceKind.Full, SliceKind.First, SliceKind.Middle, SliceKind.Last]));
    expect(file.segments.some((segment) => segment.type === 'padding')).toBe(true);
    const result = readLsfsWithKaitai(file.bytes);
    expect(result.tail).toBeUndefined();
    expect(result.kaitaiParse).toBe('whole-file');
    expect(result.blockSize).toBe(size);
    expectRecords(result, file, file.records.length);
  });

  fcTest.prop([filePlan], { numRuns: 150 })('reads random record sequences back exactly', (plan) => {
    const file = buildFromPlan(plan);
    const result = readLsfsWithKaitai(file.bytes);
    expect(result.fileId).toBe(plan.fileId);
    expect(result.blockSize).toBe(plan.blockSize);
    expect(result.baseIndex).toBe(plan.baseIndex);
    expect(result.tail).toBeUndefined();
    expect(result.kaitaiParse).toBe('whole-file');
    expectRecords(result, file, plan.records.length);
  });

  it('keeps 64-bit values exact: type code 2^64-1, the last index, file id 2^64-1', () => {
    const records = [0, 1, 2].map((i) => ({ typeCode: MAX_U64 - BigInt(i), payload: payloadOf(600, i) }));
    const file = buildFile(records, { blockSize: 512, fileId: MAX_U64, baseIndex: MAX_RECORD_INDEX - 2n });
    const result = readLsfsWithKaitai(file.bytes);
    expect(result.fileId).toBe(MAX_U64);
    expect(result.records.map((record) => record.index)).toEqual([MAX_RECORD_INDEX - 2n, MAX_RECORD_INDEX - 1n, MAX_RECORD_INDEX]);
    expectRecords(result, file, 3);
  });

  it('parses a clean file into the blocks, slices and padding of the layout with the top-level type', () => {
    const file = buildFromPlan({
      blockSize: 512,
      fileId: 3n,
      baseIndex: 0n,
      records: [
        { typeCode: 1n, size: { kind: 'fill', delta: -10 } },
        { typeCode: 2n, size: { kind: 'span', blocks: 2, delta: 5 } },
        { typeCode: 3n, size: { kind: 'absolute', length: 7 } },
      ],
    });
    const tree = parseKaitaiTree(file.bytes);
    expect(tree.fileHeader.blockSizeLog2).toBe(9);
    expect(tree.blockSize).toBe(512);
    expect(tree.blocks.length).toBe(Math.ceil(file.bytes.length / 512));
    expect(tree.blocks[0]!.header).toBeUndefined();
    tree.blocks.slice(1).forEach((block, i) => expect(block.header?.blockNumber).toBe(i + 1));
    const kinds = tree.blocks.flatMap((block) => (block.data.slices ?? []).map((slice) => slice.header.kind));
    expect(kinds).toEqual(slices(file).map((slice) => slice.kind));
    const padding = file.segments.filter((segment) => segment.type === 'padding');
    expect(tree.blocks.map((block) => block.data.padding.length).filter((length) => length > 0)).toEqual(padding.map((segment) => segment.end - segment.start));
  });
});

describe('damage', () => {
  const sample = () =>
    buildFromPlan({
      blockSize: 512,
      fileId: 0xabcdefn,
      baseIndex: 10n,
      records: [
        { typeCode: 1n, size: { kind: 'absolute', length: 30 } },
        { typeCode: 2n, size: { kind: 'fill', delta: -10 } }, // leaves padding
        { typeCode: 3n, size: { kind: 'span', blocks: 1, delta: 40 } }, // FIRST, MIDDLE, LAST
        { typeCode: 4n, size: { kind: 'absolute', length: 20 } },
        { typeCode: 5n, size: { kind: 'absolute', length: 20 } },
      ],
    });

  it('reports a file shorter than its header as TRUNCATED_HEADER', () => {
    expectDamage(sample().bytes.subarray(0, 63), 'TRUNCATED_HEADER', 0);
    expectDamage(Buffer.alloc(0), 'TRUNCATED_HEADER', 0);
  });

  it('checks the file header in the order of RSF-022', () => {
    const file = sample();
    const badMagic = Buffer.from(file.bytes);
    badMagic[3] = 0x66;
    expectDamage(badMagic, 'BAD_MAGIC', 0);
    const badVersion = Buffer.from(file.bytes);
    badVersion.writeUInt16LE(2, 8); // checked before the checksum
    expectDamage(badVersion, 'UNSUPPORTED_VERSION', 8);
    const badCrcAndSize = Buffer.from(file.bytes);
    badCrcAndSize[10] = 17; // checksum first
    expectDamage(badCrcAndSize, 'CHECKSUM_MISMATCH', 60);
    for (const [at, value, code] of [
      [10, 8, 'BAD_BLOCK_SIZE'],
      [10, 17, 'BAD_BLOCK_SIZE'],
      [11, 1, 'UNSUPPORTED_FEATURE'],
      [12, 1, 'UNSUPPORTED_FEATURE'],
      [15, 0x80, 'UNSUPPORTED_FEATURE'],
      [40, 1, 'UNSUPPORTED_FEATURE'],
    ] as const) {
      const bytes = Buffer.from(file.bytes);
      bytes[at] = value;
      resealFileHeader(bytes);
      expectDamage(bytes, code, at === 15 ? 12 : at === 40 ? 32 : at);
    }
  });

  it('checks block headers in the order of RSF-031 and first_index by RSF-032', () => {
    const file = sample();
    const block1 = 512;
    const header = file.bytes.subarray(block1, block1 + 32);
    const firstIndex = header.readBigUInt64LE(24);
    const cases: [Buffer, string][] = [
      [encodeBlockHeader({ fileId: file.fileId + 1n, blockNumber: 1, firstIndex }), 'FOREIGN_BLOCK'],
      [encodeBlockHeader({ fileId: file.fileId, blockNumber: 2, firstIndex }), 'MISPLACED_BLOCK'],
      [encodeBlockHeader({ fileId: file.fileId, blockNumber: 1, firstIndex: firstIndex + 1n }), 'INDEX_OUT_OF_ORDER'],
    ];
    for (const [replacement, code] of cases) {
      const bytes = Buffer.from(file.bytes);
      replacement.copy(bytes, block1);
      const error = expectDamage(bytes, code, block1);
      expect(error.records.length).toBe(wholeRecordsBefore(file, block1).count);
    }
    const badMagic = Buffer.from(file.bytes);
    badMagic[block1 + 1] ^= 0xff;
    expectDamage(badMagic, 'BAD_MAGIC', block1);
    const badCrc = Buffer.from(file.bytes);
    badCrc[block1 + 30] ^= 0x01;
    expectDamage(badCrc, 'CHECKSUM_MISMATCH', block1);
  });

  it('checks slices in the order of RSF-042', () => {
    const file = sample();
    const [first] = slices(file);
    const at = first!.start;
    const withField = (offset: number, value: number, reseal: boolean) => {
      const bytes = Buffer.from(file.bytes);
      bytes[at + offset] = value;
      if (reseal) resealSlice(bytes, at, file.fileId);
      return bytes;
    };
    expectDamage(withField(0, 0x54, false), 'BAD_MAGIC', at);
    expectDamage(withField(2, 9, false), 'CHECKSUM_MISMATCH', at); // header_check before kind
    expectDamage(withField(2, 9, true), 'BAD_SLICE', at);
    expectDamage(withField(2, 0, true), 'BAD_SLICE', at);
    expectDamage(withField(3, 1, true), 'UNSUPPORTED_FEATURE', at);
    const overrun = Buffer.from(file.bytes);
    overrun.writeUInt16LE(600, at + 4);
    overrun.writeUInt16LE(crc32c(overrun.subarray(at, at + 6), sliceContextCrc(file.fileId, at)) & 0xffff, at + 6);
    expectDamage(overrun, 'BAD_SLICE', at);
    expectDamage(withField(20, file.bytes[at + 20]! ^ 0x10, false), 'CHECKSUM_MISMATCH', at);
  });

  it('checks the slice sequence and record lengths (RSF-043, RSF-050, RSF-051)', () => {
    const file = sample();
    const all = slices(file);
    const middle = all.find((slice) => slice.kind === SliceKind.Middle)!;
    const firstSlice = all[0]!;
    // A MIDDLE slice turned LAST does not end its record.
    const middleAsLast = Buffer.from(file.bytes);
    middleAsLast[middle.start + 2] = SliceKind.Last;
    resealSlice(middleAsLast, middle.start, file.fileId);
    expectDamage(middleAsLast, 'BAD_SLICE', middle.start);
    // A FULL slice turned MIDDLE continues no record.
    const fullAsMiddle = Buffer.from(file.bytes);
    fullAsMiddle[firstSlice.start + 2] = SliceKind.Middle;
    resealSlice(fullAsMiddle, firstSlice.start, file.fileId);
    expectDamage(fullAsMiddle, 'BAD_SLICE', firstSlice.start);
    // A record header whose payload length disagrees with the FULL slice.
    const wrongLength = Buffer.from(file.bytes);
    wrongLength.writeUInt32LE(29, firstSlice.start + 8 + 8);
    resealSlice(wrongLength, firstSlice.start, file.fileId);
    expectDamage(wrongLength, 'BAD_SLICE', firstSlice.start);
    // ... or exceeds MAX_PAYLOAD_LENGTH, or the file.
    for (const length of [2 ** 30 + 1, 2 ** 30]) {
      const tooLarge = Buffer.from(file.bytes);
      tooLarge.writeUInt32LE(length, firstSlice.start + 8 + 8);
      resealSlice(tooLarge, firstSlice.start, file.fileId);
      expectDamage(tooLarge, 'RECORD_TOO_LARGE', firstSlice.start);
    }
  });

  it('reports non-zero padding as BAD_PADDING', () => {
    const file = sample();
    const padding = file.segments.find((segment) => segment.type === 'padding')!;
    const bytes = Buffer.from(file.bytes);
    bytes[padding.end - 1] = 1;
    const error = expectDamage(bytes, 'BAD_PADDING', padding.start);
    expect(error.records.length).toBe(wholeRecordsBefore(file, padding.start).count);
  });

  it('reports a record index beyond MAX_RECORD_INDEX as INDEX_OVERFLOW', () => {
    const fileId = 9n;
    const parts = [encodeFileHeader({ blockSize: 4096, fileId, baseIndex: MAX_RECORD_INDEX })];
    let position = 64;
    for (let i = 0n; i < 3n; i++) {
      // In one block no header carries the index, so the encoder accepts indexes past the limit.
      const bytes = encodeRecord(position, MAX_RECORD_INDEX + i, 1n, payloadOf(10, 1), { blockSize: 4096, fileId });
      parts.push(bytes);
      position += bytes.length;
    }
    const error = expectDamage(Buffer.concat(parts), 'INDEX_OVERFLOW', 64 + 34);
    expect(error.records.map((record) => record.index)).toEqual([MAX_RECORD_INDEX]);
  });

  it('returns the records before a torn tail, which starts where the last whole record ends', () => {
    const file = sample();
    const lastRecordStart = file.ends[3]!;
    const result = readLsfsWithKaitai(file.bytes.subarray(0, lastRecordStart + 10));
    expect(result.tail).toEqual({ code: 'TORN_TAIL', offset: lastRecordStart });
    expectRecords(result, file, 4);
    // A record cut off after its FIRST and MIDDLE slices, at a block boundary.
    const middle = slices(file).find((slice) => slice.kind === SliceKind.Middle)!;
    const cut = readLsfsWithKaitai(file.bytes.subarray(0, middle.end));
    expect(middle.end % 512).toBe(0);
    expect(cut.tail).toEqual({ code: 'TORN_TAIL', offset: file.ends[1] });
    expectRecords(cut, file, 2);
    // A bit flip in the file's last slice is indistinguishable from a torn tail.
    const flipped = Buffer.from(file.bytes);
    flipped[flipped.length - 5] ^= 0x40;
    const flippedResult = readLsfsWithKaitai(flipped);
    expect(flippedResult.tail).toEqual({ code: 'TORN_TAIL', offset: file.ends[3] });
    expectRecords(flippedResult, file, 4);
  });

  fcTest.prop([filePlan.filter((plan) => plan.records.length > 0), fc.nat(), fc.integer({ min: 0, max: 7 })], { numRuns: 300 })(
    'detects every single-bit flip with the code and offset of the structure it hits',
    (plan, where, bit) => {
      const file = buildFromPlan(plan);
      const at = where % file.bytes.length;
      const bytes = Buffer.from(file.bytes);
      bytes[at] ^= 1 << bit;
      const segment = file.segments.find((candidate) => candidate.start <= at && at < candidate.end)!;
      const lastSlice = slices(file).at(-1)!;
      if (segment === lastSlice) {
        // Nothing intact follows: a tail, as a crash would leave it (spec §9).
        const result = readLsfsWithKaitai(bytes);
        expect(result.tail).toEqual({ code: 'TORN_TAIL', offset: wholeRecordsBefore(file, segment.start).end });
        expectRecords(result, file, wholeRecordsBefore(file, segment.start).count);
        return;
      }
      const error = readError(bytes);
      const within = at - segment.start;
      switch (segment.type) {
        case 'file-header':
          expect(error.code).toBe(within < 8 ? 'BAD_MAGIC' : within < 10 ? 'UNSUPPORTED_VERSION' : 'CHECKSUM_MISMATCH');
          expect(error.offset).toBe(within < 8 ? 0 : within < 10 ? 8 : 60);
          return;
        case 'block-header':
          expect(error.code).toBe(within < 4 ? 'BAD_MAGIC' : 'CHECKSUM_MISMATCH');
          break;
        case 'padding':
          expect(error.code).toBe('BAD_PADDING');
          break;
        case 'slice':
          if (within < 2) expect(error.code).toBe('BAD_MAGIC');
          else if (within < 6) expect(['CHECKSUM_MISMATCH', 'BAD_SLICE', 'UNSUPPORTED_FEATURE']).toContain(error.code);
          else expect(error.code).toBe('CHECKSUM_MISMATCH');
          break;
      }
      expect(error.offset).toBe(segment.start);
      expectRecords(error, file, wholeRecordsBefore(file, segment.start).count);
    },
  );

  fcTest.prop([filePlan.filter((plan) => plan.records.length > 0), fc.double({ min: 0, max: 1, noNaN: true })], { numRuns: 200 })(
    'reads a file cut at any length as its whole records plus a torn tail',
    (plan, fraction) => {
      const file = buildFromPlan(plan);
      const length = 64 + Math.floor(fraction * (file.bytes.length - 64));
      const result = readLsfsWithKaitai(file.bytes.subarray(0, length));
      const { count, end } = wholeRecordsBefore(file, length);
      expectRecords(result, file, count);
      expect(result.tail).toEqual(end < length ? { code: 'TORN_TAIL', offset: end } : undefined);
    },
  );

  fcTest.prop(
    [filePlan.filter((plan) => plan.records.length > 0), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), fc.integer()],
    { numRuns: 200 },
  )('reads a crash-torn end (zeros or garbage from a 512-byte boundary, appendix A) as a torn tail', (plan, keep, tearAt, zeros, seed) => {
    const file = buildFromPlan(plan);
    const length = 64 + Math.floor(keep * (file.bytes.length - 64));
    const firstSector = 512;
    const lastSector = Math.floor((length - 1) / 512) * 512;
    if (lastSector < firstSector) return;
    const sectors = (lastSector - firstSector) / 512 + 1;
    const tear = firstSector + Math.min(Math.floor(tearAt * sectors), sectors - 1) * 512;
    const bytes = Buffer.from(file.bytes.subarray(0, length));
    if (zeros) bytes.fill(0, tear);
    else payloadOf(length - tear, seed).copy(bytes, tear);
    let firstChange = tear;
    while (firstChange < length && bytes[firstChange] === file.bytes[firstChange]) firstChange++;
    const result = readLsfsWithKaitai(bytes);
    const { count, end } = wholeRecordsBefore(file, firstChange);
    expectRecords(result, file, count);
    expect(result.tail).toEqual(end < length ? { code: 'TORN_TAIL', offset: end } : undefined);
  });
});

describe('any input (RSF-101)', () => {
  fcTest.prop(
    [
      filePlan.filter((plan) => plan.records.length > 0),
      fc.array(fc.record({ where: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
    ],
    { numRuns: 300 },
  )('reads a mangled file as records or a spec error, never anything else', (plan, changes, keep) => {
    const file = buildFromPlan(plan);
    const bytes = Buffer.from(file.bytes.subarray(0, Math.max(1, Math.ceil(keep * file.bytes.length))));
    for (const { where, value } of changes) bytes[where % bytes.length] = value;
    let result: KaitaiReadResult;
    try {
      result = readLsfsWithKaitai(bytes);
    } catch (error) {
      expect(error).toBeInstanceOf(KaitaiLsfsError);
      return;
    }
    // Whatever reads as records is a prefix of what was written (no change can forge a checksum here).
    expectRecords(result, file, result.records.length);
  });
});
