/**
 * The Kaitai Struct reading of LSFS (spec/lsfs.ksy + spec/kaitai-wrapper.ts) against the reference
 * encoders of src/format: files built with `encodeFileHeader` and successive `encodeRecord` calls
 * must read back as the records that were encoded, and damage must give the spec's codes, in
 * strict and salvage reads and in the open from the tail. The wrapper is also checked against the
 * reference engine (src/engine) on randomly damaged files: the two independent readers must agree.
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
import { BlockReader } from '../src/engine/block-reader.js';
import type { ScanReport } from '../src/engine/record.js';
import type { LsfsError } from '../src/errors.js';
import { KaitaiLsfsError, type KaitaiReadResult, loadKaitaiParser, openLsfsWithKaitai, parseKaitaiTree, readLsfsWithKaitai } from '../spec/kaitai-wrapper.js';
import { MEMORY_DIR, memoryStorage } from './support/arbitraries.js';

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

/**
 * The file most damage cases start from (block size 512, base index 10), laid out as:
 *   block 0: FULL r10 at 64 (54 bytes), FULL r11 at 118 (384 bytes), padding 502..511
 *   block 1: header (first_index 12), FIRST r12 at 544 (fills the block)
 *   block 2: header (first_index 12), MIDDLE r12 at 1056 (fills the block)
 *   block 3: header (first_index 12), LAST r12 at 1568 (52 bytes), FULL r13 at 1620, FULL r14 at 1664; the file ends at 1708
 */
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
    expect(result).toEqual({ fileId: 7n, blockSize: 4096, baseIndex: 5n, records: [], gaps: [], kaitaiParse: 'whole-file' });
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
    // ... or exceeds MAX_PAYLOAD_LENGTH (RECORD_TOO_LARGE); at MAX_PAYLOAD_LENGTH, far beyond the
    // file, it is still only a FULL slice that does not hold its record (BAD_SLICE, point 3 below).
    for (const [length, code] of [[2 ** 30 + 1, 'RECORD_TOO_LARGE'], [2 ** 30, 'BAD_SLICE']] as const) {
      const tooLarge = Buffer.from(file.bytes);
      tooLarge.writeUInt32LE(length, firstSlice.start + 8 + 8);
      resealSlice(tooLarge, firstSlice.start, file.fileId);
      expectDamage(tooLarge, code, firstSlice.start);
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

// ---------------------------------------------------------------------------------------------
// The points where the wrapper used to disagree with the spec (1 to 5), salvage reads, and the open
// from the tail.

/** A copy of `bytes` with the slice at `at` edited (kind, record header, ...) and its checksums sealed again. */
function editSlice(bytes: Buffer, at: number, fileId: bigint, edit: (bytes: Buffer) => void): Buffer {
  const copy = Buffer.from(bytes);
  edit(copy);
  resealSlice(copy, at, fileId);
  return copy;
}

function withBlockHeader(file: BuiltFile, blockNumber: number, firstIndex: bigint): Buffer {
  const bytes = Buffer.from(file.bytes);
  encodeBlockHeader({ fileId: file.fileId, blockNumber, firstIndex }).copy(bytes, blockNumber * file.blockSize);
  return bytes;
}

function salvage(bytes: Uint8Array): KaitaiReadResult {
  return readLsfsWithKaitai(bytes, { mode: 'salvage' });
}

function openError(bytes: Uint8Array): KaitaiLsfsError {
  try {
    openLsfsWithKaitai(bytes);
  } catch (error) {
    if (error instanceof KaitaiLsfsError) return error;
    throw error;
  }
  throw new Error('expected the open to fail');
}

const gapsOf = (result: KaitaiReadResult) => result.gaps.map(({ code, offset, length }) => ({ code, offset, length }));
const indexesOf = (records: readonly { index: bigint }[]) => records.map((record) => record.index);

describe('sample layout', () => {
  it('is the layout the cases below assume', () => {
    const file = sample();
    expect(slices(file).map((slice) => [slice.start, slice.end, slice.kind])).toEqual([
      [64, 118, SliceKind.Full],
      [118, 502, SliceKind.Full],
      [544, 1024, SliceKind.First],
      [1056, 1536, SliceKind.Middle],
      [1568, 1620, SliceKind.Last],
      [1620, 1664, SliceKind.Full],
      [1664, 1708, SliceKind.Full],
    ]);
    expect(file.bytes.readBigUInt64LE(1536 + 24)).toBe(12n);
  });
});

describe('RSF-052: the rules within a block come before the record sequence (point 1)', () => {
  it('reports a FULL slice claiming 2^30 + 1 bytes while a record is in progress as RECORD_TOO_LARGE, not BAD_SLICE', () => {
    const file = sample();
    // The MIDDLE slice of r12 at 1056 becomes a FULL slice whose record header claims 2^30 + 1 bytes.
    const bytes = editSlice(file.bytes, 1056, file.fileId, (b) => {
      b[1056 + 2] = SliceKind.Full;
      b.writeUInt32LE(2 ** 30 + 1, 1056 + 8 + 8);
    });
    const error = expectDamage(bytes, 'RECORD_TOO_LARGE', 1056);
    expect(indexesOf(error.records)).toEqual([10n, 11n]);
  });

  it('does the same for a FIRST slice, and applies the sequence rule to a FULL slice that passes the rules within its block', () => {
    const file = sample();
    const first = editSlice(file.bytes, 1056, file.fileId, (b) => {
      b[1056 + 2] = SliceKind.First;
      b.writeUInt32LE(2 ** 30 + 1, 1056 + 8 + 8);
    });
    expectDamage(first, 'RECORD_TOO_LARGE', 1056);
    // A FULL slice that holds its record exactly, while r12 is in progress: only the sequence fails.
    const full = editSlice(file.bytes, 1056, file.fileId, (b) => {
      b[1056 + 2] = SliceKind.Full;
      b.writeUInt32LE(468 - 12, 1056 + 8 + 8);
    });
    expectDamage(full, 'BAD_SLICE', 1056);
  });

  it('in a salvage read, loses the record in progress from its FIRST slice with the code of the damage that interrupted it', () => {
    const file = sample();
    const bytes = editSlice(file.bytes, 1056, file.fileId, (b) => {
      b[1056 + 2] = SliceKind.Full;
      b.writeUInt32LE(2 ** 30 + 1, 1056 + 8 + 8);
    });
    const result = salvage(bytes);
    // r12 is lost from 544; block 3's LAST slice (1568..1620) then continues no record: the same gap.
    expect(gapsOf(result)).toEqual([{ code: 'RECORD_TOO_LARGE', offset: 544, length: 1620 - 544 }]);
    expect(indexesOf(result.records)).toEqual([10n, 11n, 13n, 14n]);
    expect(result.tail).toBeUndefined();
  });
});

describe('RSF-032: the first_index of a block that begins with an orphan MIDDLE or LAST slice (point 2)', () => {
  /**
   * Block size 512, base 0: r0 FULL at 64 (54 bytes), r1 FIRST at 118 filling block 0, then block 1
   * (first_index 1): r1's LAST at 544 (12 + 20 bytes), r2 FULL, r3 FULL. r1's FIRST slice is then
   * turned into a FULL slice that holds a record of its own: block 0 ends with two whole records,
   * and block 1 begins with a LAST slice that continues no record.
   */
  const orphanLast = () => {
    const file = buildFromPlan({
      blockSize: 512,
      fileId: 0x5151n,
      baseIndex: 0n,
      records: [
        { typeCode: 1n, size: { kind: 'absolute', length: 30 } },
        { typeCode: 2n, size: { kind: 'span', blocks: 0, delta: 20 } },
        { typeCode: 3n, size: { kind: 'absolute', length: 5 } },
        { typeCode: 4n, size: { kind: 'absolute', length: 7 } },
      ],
    });
    expect(slices(file).map((slice) => [slice.start, slice.end, slice.kind])).toEqual([
      [64, 118, SliceKind.Full],
      [118, 512, SliceKind.First],
      [544, 576, SliceKind.Last],
      [576, 605, SliceKind.Full],
      [605, 636, SliceKind.Full],
    ]);
    const bytes = editSlice(file.bytes, 118, file.fileId, (b) => {
      b[118 + 2] = SliceKind.Full;
      b.writeUInt32LE(382 - 12, 118 + 8 + 8);
    });
    return { file, bytes };
  };

  it('expects the index before the next record: block 1 saying 1 is accepted and its LAST slice is BAD_SLICE', () => {
    const { bytes } = orphanLast();
    expect(bytes.readBigUInt64LE(512 + 24)).toBe(1n);
    const error = expectDamage(bytes, 'BAD_SLICE', 544);
    expect(indexesOf(error.records)).toEqual([0n, 1n]);
    expect(error.records[1]!.payload.length).toBe(370);
  });

  it('reports a block that says the next record instead as INDEX_OUT_OF_ORDER at its start', () => {
    const { file, bytes } = orphanLast();
    encodeBlockHeader({ fileId: file.fileId, blockNumber: 1, firstIndex: 2n }).copy(bytes, 512);
    const error = expectDamage(bytes, 'INDEX_OUT_OF_ORDER', 512);
    expect(indexesOf(error.records)).toEqual([0n, 1n]);
  });

  it('numbers the records after the orphan slice from first_index + 1 (RSF-073) in a salvage read', () => {
    const { bytes } = orphanLast();
    const result = salvage(bytes);
    expect(gapsOf(result)).toEqual([{ code: 'BAD_SLICE', offset: 544, length: 32 }]);
    expect(indexesOf(result.records)).toEqual([0n, 1n, 2n, 3n]);
    expect(result.records.map((record) => record.typeCode)).toEqual([1n, 2n, 3n, 4n]);
    expect(result.tail).toBeUndefined();
    // The block that claims the next record is lost whole.
    const claimsNext = Buffer.from(bytes);
    encodeBlockHeader({ fileId: 0x5151n, blockNumber: 1, firstIndex: 2n }).copy(claimsNext, 512);
    const lost = salvage(claimsNext);
    expect(gapsOf(lost)).toEqual([{ code: 'INDEX_OUT_OF_ORDER', offset: 512, length: 636 - 512 }]);
    expect(indexesOf(lost.records)).toEqual([0n, 1n]);
    expect(lost.tail).toBeUndefined();
  });

  it('treats an orphan MIDDLE slice the same way', () => {
    // sample(): r12's FIRST slice at 544 becomes a FULL slice of its own; block 2 begins with r12's
    // MIDDLE slice and says first_index 12, the index before the next record (13).
    const file = sample();
    const bytes = editSlice(file.bytes, 544, file.fileId, (b) => {
      b[544 + 2] = SliceKind.Full;
      b.writeUInt32LE(468 - 12, 544 + 8 + 8);
    });
    expectDamage(bytes, 'BAD_SLICE', 1056);
    encodeBlockHeader({ fileId: file.fileId, blockNumber: 2, firstIndex: 13n }).copy(bytes, 1024);
    expectDamage(bytes, 'INDEX_OUT_OF_ORDER', 1024);
  });
});

describe('RSF-051, RSF-052: RECORD_TOO_LARGE only above MAX_PAYLOAD_LENGTH (point 3)', () => {
  it('reports a FULL slice whose payload_length exceeds the rest of the file as BAD_SLICE', () => {
    const file = sample();
    for (const length of [2 ** 30, 5000, 2000]) {
      const bytes = editSlice(file.bytes, 1620, file.fileId, (b) => b.writeUInt32LE(length, 1620 + 8 + 8));
      const error = expectDamage(bytes, 'BAD_SLICE', 1620);
      expect(indexesOf(error.records)).toEqual([10n, 11n, 12n]);
    }
    const tooLarge = editSlice(file.bytes, 1620, file.fileId, (b) => b.writeUInt32LE(2 ** 30 + 1, 1620 + 8 + 8));
    expectDamage(tooLarge, 'RECORD_TOO_LARGE', 1620);
  });

  it('checks a FIRST slice whose record needs more than the file holds slice by slice (RSF-051)', () => {
    const file = sample();
    const bytes = editSlice(file.bytes, 544, file.fileId, (b) => b.writeUInt32LE(2 ** 30, 544 + 8 + 8));
    // The MIDDLE slice leaves some of it to come; the LAST slice does not end it.
    const error = expectDamage(bytes, 'BAD_SLICE', 1568);
    expect(indexesOf(error.records)).toEqual([10n, 11n]);
    // Cut before that LAST slice, the record is only cut off: a torn tail.
    const cut = readLsfsWithKaitai(bytes.subarray(0, 1536));
    expect(cut.tail).toEqual({ code: 'TORN_TAIL', offset: 502 });
    expect(indexesOf(cut.records)).toEqual([10n, 11n]);
  });
});

describe('RSF-042 checks 1 and 7: a slice cut off by the end of the file is TORN_TAIL (point 4)', () => {
  it('reports it as TORN_TAIL at the slice when an intact structure follows (interior)', () => {
    const file = sample();
    // r13's FULL slice at 1620 claims 88 data bytes (header check sealed again): it would end at
    // 1720, past the file's end (1708) but within its block; r14's intact slice at 1664 lies inside it.
    const bytes = Buffer.from(file.bytes);
    bytes.writeUInt16LE(88, 1620 + 4);
    bytes.writeUInt16LE(crc32c(bytes.subarray(1620, 1626), sliceContextCrc(file.fileId, 1620)) & 0xffff, 1620 + 6);
    const error = expectDamage(bytes, 'TORN_TAIL', 1620);
    expect(indexesOf(error.records)).toEqual([10n, 11n, 12n]);
    // Salvage loses it up to the end of the file: a gap, not the torn tail.
    const result = salvage(bytes);
    expect(gapsOf(result)).toEqual([{ code: 'TORN_TAIL', offset: 1620, length: 1708 - 1620 }]);
    expect(result.tail).toBeUndefined();
    // Check 6 comes first: a length past the block's end is BAD_SLICE, whether or not the file ends first.
    bytes.writeUInt16LE(2048 - 1620, 1620 + 4);
    bytes.writeUInt16LE(crc32c(bytes.subarray(1620, 1626), sliceContextCrc(file.fileId, 1620)) & 0xffff, 1620 + 6);
    expectDamage(bytes, 'BAD_SLICE', 1620);
  });

  it('reports the file ending inside a slice header as TORN_TAIL (check 1) and, at the tail, as the torn tail', () => {
    const file = sample();
    for (const length of [1664 + 5, 1664 + 8, 1664 + 30, 1707]) {
      const result = readLsfsWithKaitai(file.bytes.subarray(0, length));
      expect(result.tail).toEqual({ code: 'TORN_TAIL', offset: 1664 });
      expect(salvage(file.bytes.subarray(0, length))).toMatchObject({ gaps: [], tail: { code: 'TORN_TAIL', offset: 1664 } });
    }
  });
});

describe('RSF-032, RSF-073: block 0 beginning with a MIDDLE or LAST slice (point 5)', () => {
  const lastAt64 = () => {
    const file = sample();
    return { file, bytes: editSlice(file.bytes, 64, file.fileId, (b) => (b[64 + 2] = SliceKind.Last)) };
  };

  it('is BAD_SLICE at 64, never INDEX_OUT_OF_ORDER', () => {
    const { bytes } = lastAt64();
    const error = expectDamage(bytes, 'BAD_SLICE', 64);
    expect(error.records).toEqual([]);
    expect(error.inFileHeader).toBe(false);
  });

  it('numbers the next record base_index + 1', () => {
    const { bytes } = lastAt64();
    const result = salvage(bytes);
    expect(gapsOf(result)).toEqual([{ code: 'BAD_SLICE', offset: 64, length: 54 }]);
    expect(indexesOf(result.records)).toEqual([11n, 12n, 13n, 14n]);
    expect(result.records.map((record) => record.typeCode)).toEqual([2n, 3n, 4n, 5n]);
  });

  it('does the same for a MIDDLE slice, and fails the open when block 0 is the last block (§10 step 3)', () => {
    // One block: r0's FULL slice at 64 turned LAST, or MIDDLE (which does not fill the block:
    // BAD_SLICE within its block, at 64 too); r1 and r2 follow.
    const file = buildFromPlan({
      blockSize: 4096,
      fileId: 77n,
      baseIndex: 100n,
      records: [1, 2, 3].map((n) => ({ typeCode: BigInt(n), size: { kind: 'absolute' as const, length: 10 * n } })),
    });
    const asLast = editSlice(file.bytes, 64, file.fileId, (b) => (b[64 + 2] = SliceKind.Last));
    expectDamage(asLast, 'BAD_SLICE', 64);
    expect(indexesOf(salvage(asLast).records)).toEqual([101n, 102n]);
    expect({ code: openError(asLast).code, offset: openError(asLast).offset }).toEqual({ code: 'BAD_SLICE', offset: 64 });
    const asMiddle = editSlice(file.bytes, 64, file.fileId, (b) => (b[64 + 2] = SliceKind.Middle));
    expectDamage(asMiddle, 'BAD_SLICE', 64);
    expect(indexesOf(salvage(asMiddle).records)).toEqual([101n, 102n]);
    // A MIDDLE slice that fills block 0 passes the rules within its block: the sequence rule fails it.
    const spanning = buildFromPlan({ blockSize: 512, fileId: 78n, baseIndex: 0n, records: [{ typeCode: 1n, size: { kind: 'span', blocks: 0, delta: 10 } }] });
    const middle = editSlice(spanning.bytes, 64, spanning.fileId, (b) => (b[64 + 2] = SliceKind.Middle));
    expectDamage(middle, 'BAD_SLICE', 64);
  });
});

describe('salvage reads (RSF-072)', () => {
  it('gives the strict answer and no gap for a clean file or one whose only damage is at the tail', () => {
    const file = sample();
    for (const bytes of [file.bytes, file.bytes.subarray(0, 1700), file.bytes.subarray(0, 1540)]) {
      const strict = readLsfsWithKaitai(bytes);
      expect(salvage(bytes)).toEqual(strict);
    }
  });

  it('skips a damaged slice exactly when its header passed checks 1 to 6, and to the block end otherwise', () => {
    const file = sample();
    const payloadFlip = Buffer.from(file.bytes);
    payloadFlip[64 + 30] ^= 1; // r10's data: slice_crc fails, its length is trusted
    const skipped = salvage(payloadFlip);
    expect(gapsOf(skipped)).toEqual([{ code: 'CHECKSUM_MISMATCH', offset: 64, length: 54 }]);
    expect(indexesOf(skipped.records)).toEqual([11n, 12n, 13n, 14n]);
    const magicFlip = Buffer.from(file.bytes);
    magicFlip[64] ^= 1; // the rest of block 0 is lost
    const lost = salvage(magicFlip);
    expect(gapsOf(lost)).toEqual([{ code: 'BAD_MAGIC', offset: 64, length: 512 - 64 }]);
    expect(indexesOf(lost.records)).toEqual([12n, 13n, 14n]);
  });

  it('loses a block with a damaged header, and the record in progress from its FIRST slice', () => {
    const file = sample();
    const bytes = Buffer.from(file.bytes);
    bytes[1024 + 20] ^= 1; // block 2's header checksum fails: r12 is lost from 544
    const result = salvage(bytes);
    // Block 3 then begins with r12's LAST slice, which continues no record: the same gap.
    expect(gapsOf(result)).toEqual([{ code: 'CHECKSUM_MISMATCH', offset: 544, length: 1620 - 544 }]);
    expect(indexesOf(result.records)).toEqual([10n, 11n, 13n, 14n]);
  });

  it('after a gap, trusts a block whose first_index is above the last record returned, and loses one that is not (rule 4)', () => {
    const file = sample();
    const bytes = withBlockHeader(file, 3, 20n);
    bytes[1024 + 20] ^= 1;
    const higher = salvage(bytes);
    expect(indexesOf(higher.records)).toEqual([10n, 11n, 21n, 22n]);
    const equal = withBlockHeader(file, 3, 11n);
    equal[1024 + 20] ^= 1;
    const lost = salvage(equal);
    expect(gapsOf(lost)).toEqual([{ code: 'CHECKSUM_MISMATCH', offset: 544, length: 1708 - 544 }]);
    expect(indexesOf(lost.records)).toEqual([10n, 11n]);
  });

  it('stops at damage that is at the tail: the torn tail starts after the last record or gap', () => {
    const file = sample();
    const bytes = Buffer.from(file.bytes.subarray(0, 1700));
    bytes[64 + 30] ^= 1;
    const result = salvage(bytes);
    expect(gapsOf(result)).toEqual([{ code: 'CHECKSUM_MISMATCH', offset: 64, length: 54 }]);
    expect(indexesOf(result.records)).toEqual([11n, 12n, 13n]);
    expect(result.tail).toEqual({ code: 'TORN_TAIL', offset: 1664 });
  });

  it('reports a bad file header as the error of the read, in salvage mode too', () => {
    const bytes = Buffer.from(sample().bytes);
    bytes[0] ^= 1;
    let error: unknown;
    try {
      salvage(bytes);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(KaitaiLsfsError);
    expect(error).toMatchObject({ code: 'BAD_MAGIC', offset: 0, inFileHeader: true });
  });
});

describe('the open from the tail (spec §10)', () => {
  it('finds the last index and the end of the log, parsing only the last block and, as it begins with a LAST slice, the one before (step 3)', () => {
    const file = sample();
    const opened = openLsfsWithKaitai(file.bytes);
    expect(opened).toMatchObject({ fileId: file.fileId, blockSize: 512, baseIndex: 10n, lastIndex: 14n, end: 1708 });
    expect(opened.tail).toBeUndefined();
    expect(opened.blocksParsed).toEqual([3, 2]);
    // A tail block that begins with a FULL slice: only that block.
    const fullFirst = buildFromPlan({ blockSize: 512, fileId: 1n, baseIndex: 0n, records: [{ typeCode: 1n, size: { kind: 'fill', delta: -10 } }, { typeCode: 2n, size: { kind: 'absolute', length: 3 } }] });
    expect(openLsfsWithKaitai(fullFirst.bytes)).toMatchObject({ lastIndex: 1n, blocksParsed: [1] });
  });

  it('walks back over the blocks of a record cut off at the tail (step 5)', () => {
    const file = sample();
    const opened = openLsfsWithKaitai(file.bytes.subarray(0, 1536 + 10));
    expect(opened).toMatchObject({ lastIndex: 11n, end: 502, tail: { code: 'TORN_TAIL', offset: 502 } });
    expect(opened.blocksParsed).toEqual([2, 1, 0]);
    expect(openLsfsWithKaitai(file.bytes.subarray(0, 64))).toMatchObject({ lastIndex: undefined, end: 64 });
    expect(openLsfsWithKaitai(file.bytes.subarray(0, 100))).toMatchObject({ lastIndex: undefined, end: 64, tail: { code: 'TORN_TAIL', offset: 64 } });
  });

  it('does not see interior damage far from the tail', () => {
    const file = sample();
    const bytes = Buffer.from(file.bytes);
    bytes[64 + 30] ^= 1;
    expect(openLsfsWithKaitai(bytes)).toMatchObject({ lastIndex: 14n, end: 1708 });
    expectDamage(bytes, 'CHECKSUM_MISMATCH', 64);
  });

  it('fails with interior damage in the tail block, and reads the header of the next block (steps 2 and 4)', () => {
    const file = sample();
    const bytes = Buffer.from(file.bytes);
    bytes[1620 + 20] ^= 1;
    expect(openError(bytes)).toMatchObject({ code: 'CHECKSUM_MISMATCH', offset: 1620 });
    // Damage in the file's last slice is at the tail: the torn tail.
    const last = Buffer.from(file.bytes);
    last[1664 + 20] ^= 1;
    expect(openLsfsWithKaitai(last)).toMatchObject({ lastIndex: 13n, tail: { code: 'TORN_TAIL', offset: 1664 } });
    // Block 3's header is damaged: block 2 is the last whose header passes; block 3's slices are intact.
    const header = Buffer.from(file.bytes);
    header[1536 + 1] ^= 1;
    expect(openError(header)).toMatchObject({ code: 'BAD_MAGIC', offset: 1536 });
  });

  it('checks that a tail block beginning with a MIDDLE or LAST slice continues the block before it (step 3)', () => {
    const file = sample();
    const bytes = withBlockHeader(file, 3, 11n);
    expect(openError(bytes)).toMatchObject({ code: 'BAD_SLICE', offset: 1568 });
    expectDamage(bytes, 'INDEX_OUT_OF_ORDER', 1536);
  });

  it('reports a record index above MAX_RECORD_INDEX as INDEX_OVERFLOW', () => {
    const fileId = 9n;
    const parts = [encodeFileHeader({ blockSize: 4096, fileId, baseIndex: MAX_RECORD_INDEX })];
    let position = 64;
    for (let i = 0n; i < 3n; i++) {
      const bytes = encodeRecord(position, MAX_RECORD_INDEX + i, 1n, payloadOf(10, 1), { blockSize: 4096, fileId });
      parts.push(bytes);
      position += bytes.length;
    }
    expect(openError(Buffer.concat(parts))).toMatchObject({ code: 'INDEX_OVERFLOW', offset: 64 + 34 });
  });
});

describe('agreement with the reference engine (src/)', () => {
  const PATH = `${MEMORY_DIR}/cross.lsfs`;

  /** The engine's strict and salvage reads and open of `bytes`, in the wrapper's terms. */
  async function engineView(bytes: Buffer) {
    const storage = await memoryStorage();
    await storage.createAtomically(PATH, bytes);
    const reads: Record<'strict' | 'salvage', unknown> = { strict: undefined, salvage: undefined };
    for (const mode of ['strict', 'salvage'] as const) {
      let reader: BlockReader;
      try {
        reader = await BlockReader.open(storage, PATH, { salvage: true });
      } catch (error) {
        reads[mode] = { error: [(error as LsfsError).code, (error as LsfsError).offset] };
        continue;
      }
      const report: ScanReport = { gaps: [], tail: undefined };
      const records: bigint[] = [];
      let error: [string, number | undefined] | undefined;
      try {
        for await (const record of reader.records({ mode, report })) records.push(record.index);
      } catch (caught) {
        error = [(caught as LsfsError).code, (caught as LsfsError).offset];
      }
      await reader.close();
      reads[mode] = { records, gaps: report.gaps.map(({ code, offset, length }) => ({ code, offset, length })), tail: report.tail?.offset, error };
    }
    let open: unknown;
    try {
      const reader = await BlockReader.open(storage, PATH);
      open = { lastIndex: reader.lastIndex, tail: reader.tail?.offset };
      await reader.close();
    } catch (error) {
      open = { error: [(error as LsfsError).code, (error as LsfsError).offset] };
    }
    return { ...reads, open };
  }

  function kaitaiView(bytes: Buffer) {
    const reads: Record<'strict' | 'salvage', unknown> = { strict: undefined, salvage: undefined };
    for (const mode of ['strict', 'salvage'] as const) {
      try {
        const result = readLsfsWithKaitai(bytes, { mode });
        reads[mode] = { records: indexesOf(result.records), gaps: gapsOf(result), tail: result.tail?.offset, error: undefined };
      } catch (error) {
        if (!(error instanceof KaitaiLsfsError)) throw error;
        reads[mode] = error.inFileHeader ? { error: [error.code, error.offset] } : { records: indexesOf(error.records), gaps: [], tail: undefined, error: [error.code, error.offset] };
      }
    }
    let open: unknown;
    try {
      const opened = openLsfsWithKaitai(bytes);
      open = { lastIndex: opened.lastIndex, tail: opened.tail?.offset };
    } catch (error) {
      if (!(error instanceof KaitaiLsfsError)) throw error;
      open = { error: [error.code, error.offset] };
    }
    return { ...reads, open };
  }

  /** A change to a built file: bytes overwritten, or a slice's kind or record length changed and its checksums sealed again. */
  const mutation = fc.oneof(
    fc.record({ type: fc.constant('byte' as const), where: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ type: fc.constant('kind' as const), slice: fc.nat(), kind: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ type: fc.constant('length' as const), slice: fc.nat(), delta: fc.integer({ min: -40, max: 40 }) }),
    fc.record({ type: fc.constant('first-index' as const), block: fc.nat(), delta: fc.integer({ min: -2, max: 2 }) }),
  );

  fcTest.prop(
    [filePlan.filter((plan) => plan.records.length > 0 && plan.blockSize <= 2048), fc.array(mutation, { minLength: 0, maxLength: 3 }), fc.double({ min: 0, max: 1, noNaN: true })],
    { numRuns: 300 },
  )('reads, salvages and opens damaged files exactly as the engine does', async (plan, mutations, keep) => {
    const file = buildFromPlan(plan);
    const all = slices(file);
    let bytes = Buffer.from(file.bytes);
    for (const change of mutations) {
      if (change.type === 'byte') {
        bytes[change.where % bytes.length] = change.value;
      } else if (change.type === 'first-index') {
        const blocks = Math.ceil(bytes.length / file.blockSize);
        if (blocks < 2) continue;
        const at = (1 + (change.block % (blocks - 1))) * file.blockSize;
        const firstIndex = bytes.readBigUInt64LE(at + 24) + BigInt(change.delta);
        if (firstIndex < 0n || firstIndex > MAX_U64) continue;
        encodeBlockHeader({ fileId: file.fileId, blockNumber: at / file.blockSize, firstIndex }).copy(bytes, at);
      } else {
        const slice = all[change.slice % all.length]!;
        // An earlier change may have made the slice's data_length point past the file: leave it.
        if (slice.start + 12 + bytes.readUInt16LE(slice.start + 4) > bytes.length) continue;
        bytes = editSlice(bytes, slice.start, file.fileId, (b) => {
          if (change.type === 'kind') b[slice.start + 2] = change.kind;
          else if (slice.kind === SliceKind.Full || slice.kind === SliceKind.First) b.writeUInt32LE(Math.max(0, b.readUInt32LE(slice.start + 16) + change.delta), slice.start + 16);
        });
      }
    }
    const cut = bytes.subarray(0, 64 + Math.ceil(keep * (bytes.length - 64)));
    expect(kaitaiView(cut)).toEqual(await engineView(cut));
  });
});
