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
  /** True when the error came from BlockReader.open (only a damaged file header does that, §4). */
  failedAtOpen: boolean;
  report: ScanReport;
}

async function read(storage: MemoryStorage, mode: 'strict' | 'salvage'): Promise<Reading> {
  const report: ScanReport = { gaps: [], tail: undefined };
  const records: LsfsRecord[] = [];
  let reader: BlockReader | undefined;
  try {
    // RSF-083: a reader opens a file whose tail block has interior damage for strict and salvage
    // reads (only the last index stays unknown); a writer would refuse it.
    reader = await BlockReader.open(storage, PATH, { salvage: true });
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
   * §10: opening parses the last block (steps 2, 4: the header of the block after the last valid
   * one counts as its damage), and the block before it when the last begins with a MIDDLE or LAST
   * slice (step 3). With one damaged block, an open fails exactly when the damage is interior and
   * lies in the last block, or in the one before it when step 3 reads that one.
   */
  readonly openFails: boolean;
  /** True when the open fails by §10 step 3: the damage lies in the block before the last. */
  readonly failsByContinuationCheck: boolean;
  /** The first slice of the last block (step 3 names it in one reading). */
  readonly lastBlockFirstSlice: Structure | undefined;
  /** RSF-072: what a salvage read returns (when a reader can be opened at all). */
  readonly salvage: SalvageExpectation;
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
  const lastBlockFirstSlice = layout.structures.find((s) => isSlice(s) && blockOf(s.start, blockSize) === lastBlock);
  const lastBlockContinues = lastBlockFirstSlice?.kind === 'middle' || lastBlockFirstSlice?.kind === 'last';
  const failsByContinuationCheck = interior && lastBlockContinues && blockOf(first.start, blockSize) === lastBlock - 1;
  const openFails = (interior && blockOf(first.start, blockSize) === lastBlock) || failsByContinuationCheck;

  const salvage = interior ? salvageOf(layout, blockSize, changed) : { returned: layout.records.slice(0, before).map((_, i) => i), gaps: [] };
  return { first, before, interior, openFails, failsByContinuationCheck, lastBlockFirstSlice, salvage };
}

interface SalvageExpectation {
  /** Positions of the records returned. */
  readonly returned: number[];
  readonly gaps: { code: string; offset: number; length: number }[];
}

/**
 * RSF-072 played over the layout, for interior damage (tail damage reads as in a strict read, with
 * no gap). The scan meets the structures in file order:
 * - a changed block header or padding loses the rest of its block (RSF-031, RSF-062 damage runs
 *   to the block's end), and so does a slice with a changed header byte (failures 1-6 of RSF-042:
 *   its header cannot be trusted; taken to fail header_check, a 16-bit check: an unlucky collision
 *   would show up here as a failure);
 * - a slice with changed bytes only after its header loses itself (failure 8: skip by data_length);
 * - a record with any lost slice is lost whole: from its FIRST slice (in progress when the damage
 *   was found), through its MIDDLE and LAST slices (continuing no record: BAD_SLICE, lost whole).
 * Every other record comes back (all slices intact, index known by RSF-073). A gap runs from the
 * first lost byte after a returned record to the end of the last lost range before the next one,
 * with the code of the damage that opened it.
 */
function salvageOf(layout: FileLayout, blockSize: number, changed: readonly number[]): SalvageExpectation {
  const touched = (from: number, to: number) => changed.some((offset) => offset >= from && offset < to);
  const blockEnd = (offset: number) => Math.min((blockOf(offset, blockSize) + 1) * blockSize, layout.length);
  const lostRecords = new Set<number>();
  const lost: { start: number; end: number; code?: string }[] = [];
  let skipUntil = 0;
  for (const s of layout.structures) {
    if (s.kind === 'file-header') continue; // damaged, nothing can be read (checked before)
    if (s.start < skipUntil) {
      if (isSlice(s)) lostRecords.add(s.record);
      continue;
    }
    if (!touched(s.start, s.end)) continue;
    const code = expectedDamage(s, changed.filter((offset) => offset >= s.start && offset < s.end)).alternatives[0]!.code;
    if (isSlice(s)) lostRecords.add(s.record);
    if (isSlice(s) && !touched(s.start, s.start + SPEC.SLICE_HEADER_SIZE)) {
      lost.push({ start: s.start, end: s.end, code });
    } else {
      skipUntil = blockEnd(s.start);
      lost.push({ start: s.start, end: skipUntil, code });
    }
  }
  for (const record of lostRecords) for (const slice of layout.records[record]!.structures.filter(isSlice)) lost.push({ start: slice.start, end: slice.end });
  lost.sort((a, b) => a.start - b.start);
  const returned = layout.records.flatMap((_, i) => (lostRecords.has(i) ? [] : [i]));
  // Group the lost ranges by the returned record that follows them: one gap per group.
  const gaps: SalvageExpectation['gaps'] = [];
  let group: typeof lost = [];
  const close = () => {
    if (group.length === 0) return;
    const offset = group[0]!.start;
    const end = Math.max(...group.map((range) => range.end));
    gaps.push({ code: group.find((range) => range.code !== undefined)!.code!, offset, length: end - offset });
    group = [];
  };
  let next = 0;
  for (const i of returned) {
    const start = layout.records[i]!.start;
    while (next < lost.length && lost[next]!.start < start) group.push(lost[next++]!);
    close();
  }
  group.push(...lost.slice(next));
  close();
  return { returned, gaps };
}

/**
 * The code a reader gives for damage first found in `structure`, by the check order of RSF-022,
 * RSF-031 and RSF-042: a changed magic is BAD_MAGIC; any other changed byte of a header, slice or
 * trailer fails a checksum first (CHECKSUM_MISMATCH); padding is BAD_PADDING. For the file header
 * the offset is the failing field's: magic 0, version 8, otherwise the CRC at 60.
 */
function expectedDamage(structure: Structure, changed: readonly number[]): { alternatives: { code: string; offset: number }[] } {
  const one = (code: string, offset: number) => ({ alternatives: [{ code, offset }] });
  const firstChanged = changed[0]!;
  if (structure.kind === 'file-header') {
    if (firstChanged < 8) return one('BAD_MAGIC', 0);
    if (firstChanged < 10) return one('UNSUPPORTED_VERSION', 8);
    return one('CHECKSUM_MISMATCH', 60);
  }
  if (structure.kind === 'padding') return one('BAD_PADDING', structure.start);
  const magicLength = structure.kind === 'block-header' ? 4 : 2;
  const magicChanged = firstChanged < structure.start + magicLength;
  return one(magicChanged ? 'BAD_MAGIC' : 'CHECKSUM_MISMATCH', structure.start);
}

// ---------------------------------------------------------------------------------------------
// The property

function fail(c: CorruptionCase, changed: readonly number[], message: string): never {
  const shown = changed.length > 8 ? `${changed.slice(0, 4).join(',')}…${changed.at(-1)} (${changed.length})` : changed.join(',');
  throw new Error(`${message}\n  case: ${describeCase(c)}\n  changed bytes: ${shown}`);
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
    if (expected.failsByContinuationCheck) {
      // §10 step 3 reads either way: "[block k-1] MUST be free of damage ...; otherwise the first
      // slice of block k is BAD_SLICE". The engine reports block k-1's own damage (as step 5 does
      // for the blocks it visits); the literal text says BAD_SLICE at block k's first slice. Both
      // are accepted until the spec says which (reported).
      want.alternatives.push({ code: 'BAD_SLICE', offset: expected.lastBlockFirstSlice!.start });
      stats.count('open refused by the continuation check (§10 step 3)');
    }
    const got = strict.error;
    if (got === undefined) fail(c, changed, `strict read: interior damage in ${JSON.stringify(expected.first)} went unreported (tail ${JSON.stringify(strict.report.tail)})`);
    if (tolerate.tornTailCodeForInteriorBlockHeader && got.code === 'TORN_TAIL' && expected.first.kind === 'block-header' && strict.failedAtOpen && got.offset === expected.first.start) {
      stats.count('KNOWN BUG: TORN_TAIL for a damaged block header');
    } else if (!DAMAGE_CODES.has(got.code) || !want.alternatives.some((one) => one.code === got.code && one.offset === got.offset)) {
      const wanted = want.alternatives.map((one) => `${one.code} at ${one.offset}`).join(' or ');
      fail(c, changed, `strict read: got ${got.code} at ${got.offset}, expected ${wanted} (${expected.first.kind} ${expected.first.start}..${expected.first.end})`);
    }
    // A damaged file header makes the file unreadable (§4); any other interior damage still lets a
    // reader return the records before it (RSF-071, RSF-083).
    const openFails = expected.first.kind === 'file-header';
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
  if (expected.first.kind === 'file-header') {
    // No reader can be opened (§4): nothing to salvage from.
    if (!salvage.failedAtOpen) fail(c, changed, 'salvage read: the open should have failed as the strict one did');
    stats.count('salvage impossible: file header');
    return;
  }
  if (salvage.error !== undefined) fail(c, changed, `salvage read failed with ${salvage.error.code} at ${salvage.error.offset}`);
  // Exactly the records RSF-072 says (every record with all slices intact, no other), then exactly
  // its gaps; the torn tail only for tail damage, at the same place as in the strict read.
  const want = expected.salvage;
  const got = salvage.records.map((record) => Number(record.index - c.baseIndex));
  if (got.join(',') !== want.returned.join(',')) {
    fail(c, changed, `salvage read: returned records at positions [${got.join(',')}], expected [${want.returned.join(',')}]; gaps ${JSON.stringify(salvage.report.gaps)}`);
  }
  const gaps = salvage.report.gaps.map(({ code, offset, length }) => ({ code, offset, length }));
  if (JSON.stringify(gaps) !== JSON.stringify(want.gaps)) fail(c, changed, `salvage read: gaps ${JSON.stringify(gaps)}, expected ${JSON.stringify(want.gaps)}`);
  const tail = expected.interior ? undefined : { code: 'TORN_TAIL', offset: endOfRecords(expected.before), length: layout.length - endOfRecords(expected.before) };
  if (JSON.stringify(salvage.report.tail) !== JSON.stringify(tail)) fail(c, changed, `salvage read: tail ${JSON.stringify(salvage.report.tail)}, expected ${JSON.stringify(tail)}`);
  stats.count('records salvaged', salvage.records.length);
  stats.count('records lost to damage', oracle.count - salvage.records.length);
  stats.count(`salvage gaps: ${gaps.length}`);

  // --- Lookups and the backward iteration: they may fail on damage, never return different data.
  const reader = await BlockReader.open(storage, PATH, { salvage: true });
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
