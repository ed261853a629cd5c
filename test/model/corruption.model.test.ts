/**
 * Corruption runs: a log written by appends and syncs, then damage that no crash can cause (spec
 * appendix A, last point) in its synced bytes — one flipped bit, or one 512-byte-aligned sector
 * overwritten with garbage or zeros — and then every way to read it.
 *
 * The expectations are computed from the oracle's layout (spec §8, test/model/oracle.ts): which
 * structure each changed byte lies in, which records are untouched, where the intact structures
 * are. What is asserted, and the spec text it comes from, is said at each check below.
 */
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { BlockReader } from '../../src/engine/block-reader.js';
import type { LsfsRecord, ScanReport } from '../../src/engine/record.js';
import { RecordLog } from '../../src/engine/record-log.js';
import { DAMAGE_CODES, isLsfsError, LsfsError } from '../../src/errors.js';
import { type MemoryStorage, seededRandom } from '../../src/io/memory-storage.js';
import { memoryStorage, patternPayload } from '../support/arbitraries.js';
import { Stats, expectRecord, fcRuns, fcSeed, recordSpecArb, type RecordSpec } from './commands.js';
import { type FileLayout, Oracle, SPEC, type Structure, isSlice, layoutOf, structureAt } from './oracle.js';
import { type KnownBugs, mainTolerance, regressionsOf, toleranceFor } from './regressions.js';

const RUNS = fcRuns(4);
const PATH = '/mem/corrupt.lsfs';
const SECTOR = 512;
const stats = new Stats();
const started = Date.now();

// ---------------------------------------------------------------------------------------------
// Cases

type DamageSpec =
  /** `structural`: the bit lies in a header, trailer, record header or padding, not in payload. */
  | { kind: 'flip'; structural: boolean; pick: number; bit: number }
  | { kind: 'sector'; fill: 'garbage' | 'zeros'; pick: number; seed: number };

interface CorruptionCase {
  readonly blockSize: number;
  readonly baseIndex: bigint;
  readonly fileId: bigint;
  readonly records: readonly RecordSpec[];
  /** Sync after record i? (close() syncs the rest.) */
  readonly syncAfter: readonly boolean[];
  readonly damage: DamageSpec;
}

const damageArb: fc.Arbitrary<DamageSpec> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flip' as const), structural: fc.constant(false), pick: fc.nat(), bit: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flip' as const), structural: fc.constant(true), pick: fc.nat(), bit: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sector' as const), fill: fc.constantFrom('garbage' as const, 'zeros' as const), pick: fc.nat(), seed: fc.integer() }) },
);

const caseArb: fc.Arbitrary<CorruptionCase> = fc
  .oneof({ weight: 4, arbitrary: fc.constant(512) }, { weight: 1, arbitrary: fc.constantFrom(1024, 4096) })
  .chain((blockSize) =>
    fc.record({
      blockSize: fc.constant(blockSize),
      baseIndex: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 2n ** 62n })),
      fileId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      records: fc.array(recordSpecArb(blockSize), { minLength: 1, maxLength: 12 }),
      syncAfter: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
      damage: damageArb,
    }),
  );

function describeCase(c: CorruptionCase): string {
  return `${c.records.length} records (${c.records.map((r) => r.length).join(',')} payload bytes), block ${c.blockSize}, damage ${JSON.stringify(c.damage)}`;
}

// ---------------------------------------------------------------------------------------------
// Damage

/**
 * Byte ranges of the structural bytes: everything except payload bytes and the file header (flips
 * anywhere and sector 0 reach it often enough; damaged, it only makes the whole file unreadable).
 */
function structuralRanges(layout: FileLayout): [number, number][] {
  const ranges: [number, number][] = [];
  for (const s of layout.structures) {
    if (s.kind === 'file-header') continue;
    if (!isSlice(s)) {
      ranges.push([s.start, s.end]);
      continue;
    }
    const startsRecord = s.kind === 'full' || s.kind === 'first';
    // Slice header, plus the record header in a FULL or FIRST slice's data; then the trailer.
    ranges.push([s.start, s.start + SPEC.SLICE_HEADER_SIZE + (startsRecord ? SPEC.RECORD_HEADER_SIZE : 0)]);
    ranges.push([s.end - 4, s.end]);
  }
  return ranges;
}

/** Applies the damage; returns the offsets of the bytes that changed, in order. */
function applyDamage(storage: MemoryStorage, layout: FileLayout, damage: DamageSpec): number[] {
  const before = storage.snapshot(PATH);
  if (damage.kind === 'flip') {
    let byte = damage.pick % before.length;
    if (damage.structural) {
      const ranges = structuralRanges(layout);
      let pick = damage.pick % ranges.reduce((sum, [from, to]) => sum + to - from, 0);
      for (const [from, to] of ranges) {
        if (pick < to - from) {
          byte = from + pick;
          break;
        }
        pick -= to - from;
      }
    }
    storage.flipBit(PATH, byte * 8 + damage.bit);
  } else {
    const after = Buffer.from(before);
    // Sector 0 holds the file header, whose damage makes everything unreadable: 1 in 8 is plenty.
    const sectors = Math.ceil(before.length / SECTOR);
    const sector = sectors === 1 || damage.pick % 8 === 0 ? 0 : 1 + (Math.floor(damage.pick / 8) % (sectors - 1));
    const from = sector * SECTOR;
    const to = Math.min(before.length, from + SECTOR); // never grows the file
    if (damage.fill === 'zeros') after.fill(0, from, to);
    else {
      const random = seededRandom(damage.seed);
      for (let i = from; i < to; i++) after[i] = Math.floor(random() * 256);
    }
    storage.setBytes(PATH, after);
  }
  const after = storage.snapshot(PATH);
  const changed: number[] = [];
  for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) changed.push(i);
  return changed;
}

// ---------------------------------------------------------------------------------------------
// Reading

interface Reading {
  records: LsfsRecord[];
  error: LsfsError | undefined;
  /** True when the error came from BlockReader.open, before any record could be read. */
  failedAtOpen: boolean;
  report: ScanReport;
}

async function read(storage: MemoryStorage, mode: 'strict' | 'salvage'): Promise<Reading> {
  const report: ScanReport = { gaps: [], tail: undefined };
  const records: LsfsRecord[] = [];
  let reader: BlockReader | undefined;
  try {
    reader = await BlockReader.open(storage, PATH);
    for await (const record of reader.records({ mode, report })) records.push(record);
    return { records, error: undefined, failedAtOpen: false, report };
  } catch (error) {
    // RSF-101: whatever the bytes, a reader fails only with one of the codes of §12.
    if (!(error instanceof LsfsError)) throw new Error(`${mode} read crashed: ${String(error)}`, { cause: error });
    return { records, error, failedAtOpen: reader === undefined, report };
  } finally {
    await reader?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// What the spec promises, from the layout

interface Expectations {
  /** The structure holding the first changed byte: the first damage a forward read meets. */
  readonly first: Structure;
  /** Records that end before that structure starts: what a strict read returns before the damage. */
  readonly before: number;
  /**
   * §9: the damage is interior when an intact structure (a block header or a slice, with no changed
   * byte) starts after it; otherwise it is at the tail, like a crash's leftover.
   */
  readonly interior: boolean;
  /**
   * §10 steps 2-3: opening parses only the last block (or the header of the block after the last
   * valid one), so an open fails exactly when the damage is interior and lies in the last block.
   */
  readonly openFails: boolean;
  /** RSF-072: positions of the records a salvage read must return. */
  readonly salvageable: number[];
}

function blockOf(offset: number, blockSize: number): number {
  return Math.floor(offset / blockSize);
}

function expectationsFor(layout: FileLayout, blockSize: number, changed: readonly number[]): Expectations {
  const touched = (from: number, to: number) => changed.some((offset) => offset >= from && offset < to);
  const first = structureAt(layout, changed[0]!);
  const before = layout.records.filter((record) => record.end <= first.start).length;
  const interior = layout.structures.some((s) => s.start > first.start && (s.kind === 'block-header' || isSlice(s)) && !touched(s.start, s.end));
  const lastBlock = blockOf(layout.length - 1, blockSize);
  const openFails = interior && blockOf(first.start, blockSize) === lastBlock;

  // RSF-072 for each slice: it is read if its block's header is intact (block 0's is the file
  // header: damaged, nothing is read), no byte of it changed, and no slice before it in its block
  // has a changed header byte. A slice whose header passed header_check is skipped by data_length;
  // after any other damage the read resumes at the next block boundary. A changed header byte is
  // taken to fail header_check (a 16-bit check; an unlucky collision would show as a failure here).
  const untrustedFrom = new Map<number, number>(); // block -> start of its first slice with a changed header
  const damagedBlocks = new Set<number>();
  for (const s of layout.structures) {
    const block = blockOf(s.start, blockSize);
    if ((s.kind === 'block-header' || s.kind === 'file-header') && touched(s.start, s.end)) damagedBlocks.add(block);
    if (isSlice(s) && touched(s.start, s.start + SPEC.SLICE_HEADER_SIZE) && !untrustedFrom.has(block)) untrustedFrom.set(block, s.start);
  }
  const readable = (s: Structure) => {
    const block = blockOf(s.start, blockSize);
    return !damagedBlocks.has(block) && !touched(s.start, s.end) && s.start < (untrustedFrom.get(block) ?? Infinity);
  };
  const salvageable = layout.records.flatMap((record, i) => (record.structures.filter(isSlice).every(readable) ? [i] : []));
  return { first, before, interior, openFails, salvageable };
}

/**
 * The code a reader gives for damage first found in `structure`, by the check order of RSF-022,
 * RSF-031 and RSF-042: a changed magic is BAD_MAGIC; any other changed byte of a header, slice or
 * trailer fails a checksum first (CHECKSUM_MISMATCH); padding is BAD_PADDING. For the file header
 * the offset is the failing field's: magic 0, version 8, otherwise the CRC at 60.
 */
function expectedDamage(structure: Structure, changed: readonly number[]): { codes: string[]; offset: number } {
  const firstChanged = changed[0]!;
  if (structure.kind === 'file-header') {
    if (firstChanged < 8) return { codes: ['BAD_MAGIC'], offset: 0 };
    if (firstChanged < 10) return { codes: ['UNSUPPORTED_VERSION'], offset: 8 };
    return { codes: ['CHECKSUM_MISMATCH'], offset: 60 };
  }
  if (structure.kind === 'padding') return { codes: ['BAD_PADDING'], offset: structure.start };
  const magicLength = structure.kind === 'block-header' ? 4 : 2;
  const magicChanged = firstChanged < structure.start + magicLength;
  return { codes: [magicChanged ? 'BAD_MAGIC' : 'CHECKSUM_MISMATCH'], offset: structure.start };
}

// ---------------------------------------------------------------------------------------------
// The property

function fail(c: CorruptionCase, changed: readonly number[], message: string): never {
  const shown = changed.length > 8 ? `${changed.slice(0, 4).join(',')}…${changed.at(-1)} (${changed.length})` : changed.join(',');
  throw new Error(`${message}\n  case: ${describeCase(c)}\n  changed bytes: ${shown}`);
}

function inRanges(offset: number, ranges: readonly { offset: number; length: number }[]): boolean {
  return ranges.some((range) => offset >= range.offset && offset < range.offset + range.length);
}

async function checkCase(c: CorruptionCase, tolerate: KnownBugs): Promise<void> {
  stats.sequences++;
  const storage = await memoryStorage();
  const log = await RecordLog.open(PATH, { storage, blockSize: c.blockSize, baseIndex: c.baseIndex, fileId: c.fileId });
  const oracle = new Oracle(c.baseIndex, c.blockSize);
  for (const [i, spec] of c.records.entries()) {
    const record = { typeCode: spec.typeCode, payload: patternPayload(spec.length, spec.seed) };
    log.append(record.typeCode, record.payload);
    oracle.append(record);
    if (c.syncAfter[i] === true) await log.sync();
  }
  // close() syncs what is left, so the whole file is the synced part: all of it may be damaged.
  await log.close();
  const layout = layoutOf(c.records.map((spec) => spec.length), c.blockSize);
  if (storage.snapshot(PATH).length !== layout.length) fail(c, [], `the writer left ${storage.snapshot(PATH).length} bytes, the layout says ${layout.length}`);

  const changed = applyDamage(storage, layout, c.damage);
  if (changed.length === 0) {
    stats.count('damageChangedNothing'); // garbage equal to what was there: nothing to detect
    return;
  }
  const expected = expectationsFor(layout, c.blockSize, changed);
  stats.count(`first damage in ${expected.first.kind}`);
  stats.count(expected.first.kind === 'file-header' ? 'unreadable file' : expected.interior ? 'interior damage' : 'tail damage');
  const endOfRecords = (n: number) => (n === 0 ? SPEC.FILE_HEADER_SIZE : layout.records[n - 1]!.end);
  const sameRecords = (records: readonly LsfsRecord[], what: string) =>
    records.forEach((record) => expectRecord(record, record.index, oracle.at(record.index), `${what} ${describeCase(c)}`));

  // --- Strict read (RSF-071): a prefix of the records, then the damage; never different data.
  const strict = await read(storage, 'strict');
  sameRecords(strict.records, 'strict read');
  strict.records.forEach((record, i) => {
    if (record.index !== c.baseIndex + BigInt(i)) fail(c, changed, `strict read: record ${i} has index ${record.index}: not a prefix`);
  });
  if (expected.first.kind === 'file-header' || expected.interior) {
    // Interior damage (or the file header, which makes the whole file unreadable, §4): the read
    // fails with the code and offset of the structure holding the first changed byte. The offset
    // is that structure's start (§9: "the start of the structure in which it was found"), so it
    // lies at or before the changed byte and inside the same structure — exactly, not within a
    // tolerance: every byte before it is intact, and the first check to fail is in that structure.
    const want = expectedDamage(expected.first, changed);
    const got = strict.error;
    if (got === undefined) fail(c, changed, `strict read: interior damage in ${JSON.stringify(expected.first)} went unreported (tail ${JSON.stringify(strict.report.tail)})`);
    if (tolerate.tornTailCodeForInteriorBlockHeader && got.code === 'TORN_TAIL' && expected.first.kind === 'block-header' && strict.failedAtOpen && got.offset === want.offset) {
      stats.count('KNOWN BUG: TORN_TAIL for a damaged block header');
    } else if (!DAMAGE_CODES.has(got.code) || !want.codes.includes(got.code) || got.offset !== want.offset) {
      fail(c, changed, `strict read: got ${got.code} at ${got.offset}, expected ${want.codes.join('|')} at ${want.offset} (${expected.first.kind} ${expected.first.start}..${expected.first.end})`);
    }
    // §10 step 3 makes the open itself fail when the interior damage lies in the last block, and
    // then no record at all is returned (RSF-071's "records before the first damage" cannot be).
    const openFails = expected.first.kind === 'file-header' || expected.openFails;
    if (strict.failedAtOpen !== openFails) {
      fail(c, changed, `strict read: the open ${strict.failedAtOpen ? 'failed' : 'succeeded'}; §4/§10 say it ${openFails ? 'fails' : 'succeeds'}`);
    }
    const wantRecords = openFails ? 0 : expected.before;
    if (strict.records.length !== wantRecords) fail(c, changed, `strict read: ${strict.records.length} records before the damage, expected ${wantRecords}`);
  } else {
    // Tail damage: no intact structure after it, so it reads as a crash's torn tail: the records
    // before it, then TORN_TAIL at the end of the last whole record (RSF-071, RSF-074) — an
    // offset at or before the first changed byte, and exactly the end of record `before - 1`.
    if (strict.error !== undefined) fail(c, changed, `strict read: tail damage failed the read with ${strict.error.code} at ${strict.error.offset}`);
    const tail = { code: 'TORN_TAIL', offset: endOfRecords(expected.before), length: layout.length - endOfRecords(expected.before) };
    if (JSON.stringify(strict.report.tail) !== JSON.stringify(tail)) fail(c, changed, `strict read: tail ${JSON.stringify(strict.report.tail)}, expected ${JSON.stringify(tail)}`);
    if (strict.records.length !== expected.before) fail(c, changed, `strict read: ${strict.records.length} records before the tail, expected ${expected.before}`);
  }

  // --- Salvage read (RSF-072).
  const salvage = await read(storage, 'salvage');
  sameRecords(salvage.records, 'salvage read');
  if (expected.first.kind === 'file-header' || expected.openFails) {
    // No reader can be opened (§4, §10 step 3), so there is nothing to salvage from.
    if (!salvage.failedAtOpen) fail(c, changed, 'salvage read: the open should have failed as the strict one did');
    stats.count(expected.first.kind === 'file-header' ? 'salvage impossible: file header' : 'salvage impossible: interior damage in the last block');
    return;
  }
  if (salvage.error !== undefined) fail(c, changed, `salvage read failed with ${salvage.error.code} at ${salvage.error.offset}`);
  const returned = new Set(salvage.records.map((record) => record.index));
  for (let i = 1; i < salvage.records.length; i++) {
    if (salvage.records[i]!.index <= salvage.records[i - 1]!.index) fail(c, changed, 'salvage read: records out of order');
  }
  // Every record whose slices are all intact and readable comes back...
  const missing = expected.salvageable.filter((i) => !returned.has(c.baseIndex + BigInt(i)));
  if (missing.length > 0) fail(c, changed, `salvage read: records at positions ${missing.join(',')} are intact but missing; gaps ${JSON.stringify(salvage.report.gaps)}`);
  stats.count('records salvaged', salvage.records.length);
  stats.count('records lost to damage', oracle.count - salvage.records.length);
  if (salvage.records.length > expected.salvageable.length) stats.count('salvage returned more than promised');
  // ...and every other byte range is a gap (or the tail): each changed byte, and the start of
  // every record not returned. No gap covers a record that was returned.
  const holes = [...salvage.report.gaps, ...(salvage.report.tail === undefined ? [] : [salvage.report.tail])];
  const uncovered = changed.filter((offset) => !inRanges(offset, holes));
  if (uncovered.length > 0) fail(c, changed, `salvage read: changed bytes ${uncovered.slice(0, 4).join(',')} lie in no gap: ${JSON.stringify(holes)}`);
  layout.records.forEach((record, i) => {
    const isReturned = returned.has(c.baseIndex + BigInt(i));
    if (isReturned === inRanges(record.start, holes)) {
      fail(c, changed, `salvage read: record ${i} at ${record.start} is ${isReturned ? 'returned but inside' : 'missing but outside'} the gaps ${JSON.stringify(holes)}`);
    }
  });

  // --- Lookups and the backward iteration: they may fail on damage, never return different data.
  const reader = await BlockReader.open(storage, PATH);
  try {
    for (let i = 0; i < oracle.count; i++) {
      const index = c.baseIndex + BigInt(i);
      try {
        expectRecord(await reader.get(index), index, oracle.at(index), `get(${index}) ${describeCase(c)}`);
        stats.count('lookups answered');
      } catch (error) {
        if (!isLsfsError(error)) throw error;
        stats.count('lookups refused');
      }
    }
    try {
      for await (const record of reader.recordsBackward()) expectRecord(record, record.index, oracle.at(record.index), `recordsBackward ${describeCase(c)}`);
    } catch (error) {
      if (!isLsfsError(error)) throw error;
    }
  } finally {
    await reader.close();
  }
}

const property = (tolerate: KnownBugs) => fc.asyncProperty(caseArb, (c) => checkCase(c, tolerate));

afterAll(() => {
  console.log(stats.format(`corruption (${RUNS} runs)`, Date.now() - started, 'damaged files'));
});

describe('corruption of synced bytes: bit flips and overwritten sectors', () => {
  it(`is detected and never returns different data, over ${RUNS} random cases`, async () => {
    await fc.assert(property(mainTolerance()), { numRuns: RUNS, ...fcSeed() });
  });

  for (const regression of regressionsOf('corruption')) {
    (regression.kind === 'open-bug' ? it.fails : it)(`regression (${regression.kind}) seed ${regression.seed}: ${regression.note}`, async () => {
      await fc.assert(property(toleranceFor(regression)), { seed: regression.seed, path: regression.path, endOnFailure: true });
    });
  }
});
