/**
 * Expected outcomes of reader cases, computed by the reference engine on an in-memory disk:
 * the strict and salvage forward reads (BlockReader.records), open from the tail (BlockReader.open),
 * lookups (BlockReader.get), and `from` (the full read, filtered, as PROTOCOL.md §4.2 defines it).
 *
 * The engine is also checked against itself on the way — its seeking iterators against the full
 * read, open-info and lookups against the strict read for files without interior damage, the
 * public reader against a bare scan — and every disagreement is returned as an observation, for a
 * person to judge against the spec (the generator prints them; none is expected).
 */
import { BlockReader, type LsfsRecord, type ScanReport } from '../../src/index.js';
import { DAMAGE_CODES, isLsfsError, type LsfsError } from '../../src/errors.js';
import { BlockSource } from '../../src/engine/block-source.js';
import { Scanner, type ScanMode } from '../../src/engine/scanner.js';
import { MemoryStorage } from '../../src/io/memory-storage.js';
import { fileIdHex, sha256Hex, U64_MAX } from './bytes.js';
import type { Correction } from './spec.js';
import type { DamageJson, FromJson, LookupJson, OpenInfoJson, ReadJson, ReaderExpected, RecordJson } from './types.js';

const PATH = '/vectors/case.lsfs';
export const HEX_LIMIT = 4096;

export interface ReaderRequests {
  /** Indexes to look up; default: around the file's first and last records. */
  readonly lookups?: readonly bigint[];
  /** `from` values for strict and salvage reads; default: a few around the records. */
  readonly from?: readonly { readonly from: bigint; readonly mode: ScanMode }[];
}

export interface Computed {
  readonly expected: ReaderExpected;
  /** Places where the engine disagrees with itself: each needs a person's judgement. */
  readonly observations: string[];
  /** The corrections applied: where the engine disagrees with the spec. */
  readonly corrected: string[];
}

export function recordJson(record: { index: bigint; typeCode: bigint; payload: Uint8Array }): RecordJson {
  const json: RecordJson = {
    index: record.index.toString(),
    type: record.typeCode.toString(),
    length: record.payload.length,
    sha256: sha256Hex(record.payload),
  };
  if (record.payload.length <= HEX_LIMIT) json.hex = Buffer.from(record.payload).toString('hex');
  return json;
}

function damageJson(error: LsfsError): DamageJson {
  return { code: error.code, offset: DAMAGE_CODES.has(error.code) ? (error.offset ?? null) : null };
}

function isDamage(error: unknown): error is LsfsError {
  return isLsfsError(error) && DAMAGE_CODES.has(error.code);
}

interface FullRead {
  records: LsfsRecord[];
  /** The expectation (corrected where the engine is known to disagree with the spec). */
  json: ReadJson;
}

async function publicRead(reader: BlockReader, mode: ScanMode, from?: bigint): Promise<FullRead> {
  const report: ScanReport = { gaps: [], tail: undefined };
  const records: LsfsRecord[] = [];
  let error: DamageJson | null = null;
  try {
    for await (const record of reader.records({ mode, report, ...(from === undefined ? {} : { from }) })) records.push(record);
  } catch (caught) {
    if (mode !== 'strict' || !isDamage(caught)) throw caught;
    error = damageJson(caught);
  }
  return { records, json: toReadJson(records, report, mode, error) };
}

async function bareScan(storage: MemoryStorage, reader: BlockReader, mode: ScanMode): Promise<ReadJson> {
  const file = await storage.open(PATH, 'read');
  try {
    const scanner = new Scanner(new BlockSource(file, reader.header, await file.size()), { mode });
    const records: LsfsRecord[] = [];
    let error: DamageJson | null = null;
    try {
      for await (const record of scanner.records()) records.push(record);
    } catch (caught) {
      if (mode !== 'strict' || !isDamage(caught)) throw caught;
      error = damageJson(caught);
    }
    return toReadJson(records, scanner.report, mode, error);
  } finally {
    await file.close();
  }
}

function toReadJson(records: readonly LsfsRecord[], report: ScanReport, mode: ScanMode, error: DamageJson | null): ReadJson {
  return {
    records: records.map(recordJson),
    tail: report.tail === undefined ? null : { code: 'TORN_TAIL', offset: report.tail.offset },
    gaps: mode === 'salvage' ? report.gaps.map((gap) => ({ code: gap.code, offset: gap.offset, length: gap.length })) : [],
    error,
  };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export async function computeReaderExpected(bytes: Buffer, requests: ReaderRequests = {}, corrections: readonly Correction[] = []): Promise<Computed> {
  const storage = new MemoryStorage();
  storage.setBytes(PATH, bytes);
  const observations: string[] = [];
  const corrected: string[] = [];
  const correct = <T>(field: Correction['field'], value: T): T => {
    let result = value;
    for (const correction of corrections.filter((candidate) => candidate.field === field)) {
      if (!correction.engineGives(result)) observations.push(`the engine's ${field} is no longer the known wrong value ${JSON.stringify(result)}: check the correction (${correction.why})`);
      const fixed = correction.spec(result) as T;
      corrected.push(`${field}: ${correction.why}`);
      result = fixed;
    }
    return result;
  };
  const observe = (what: string, expected: unknown, engine: unknown): void => {
    if (!same(expected, engine)) observations.push(`${what}: expected ${JSON.stringify(expected)}, engine gives ${JSON.stringify(engine)}`);
  };

  let reader: BlockReader;
  try {
    reader = await BlockReader.open(storage, PATH, { salvage: true });
  } catch (caught) {
    if (!isDamage(caught)) throw caught;
    // RSF-022: an unreadable file header; every operation reports it (PROTOCOL.md §4.2–§4.4).
    const error = damageJson(caught);
    const read: ReadJson = { records: [], tail: null, gaps: [], error };
    if (corrections.length > 0) throw new Error('corrections of a file with an unreadable header');
    return {
      expected: {
        strict: read,
        salvage: read,
        openInfo: { error },
        lookups: (requests.lookups ?? [0n]).map((index) => ({ index: index.toString(), error })),
      },
      observations,
      corrected,
    };
  }

  try {
    const strict = await publicRead(reader, 'strict');
    const salvage = await publicRead(reader, 'salvage');
    observe('strict read vs bare scan', await bareScan(storage, reader, 'strict'), strict.json);
    observe('salvage read vs bare scan', await bareScan(storage, reader, 'salvage'), salvage.json);
    strict.json = correct('strict', strict.json);
    salvage.json = correct('salvage', salvage.json);
    const clean = strict.json.error === null;
    const expected: ReaderExpected = { strict: strict.json, salvage: salvage.json, openInfo: correct('openInfo', await openInfo(storage)) };
    const correctedFields = new Set(corrections.map((correction) => correction.field));

    if (clean) {
      if (correctedFields.size > 0) throw new Error('corrections are for files with interior damage');
      // RSF-091: backward is the strict read reversed (PROTOCOL.md §4.2).
      const backward: ReadJson = { ...strict.json, records: [...strict.json.records].reverse() };
      expected.backward = backward;
      observe('backward read', backward.records, await engineBackward(storage));
      // PROTOCOL.md §4.4: without interior damage, open-info agrees with the strict read.
      const last = strict.records.at(-1);
      if (!('error' in expected.openInfo)) {
        observe('open-info lastIndex vs strict read', last?.index.toString() ?? null, expected.openInfo.lastIndex);
        observe('open-info tail vs strict read', strict.json.tail, expected.openInfo.tail);
      } else {
        observations.push(`open-info fails (${JSON.stringify(expected.openInfo.error)}) on a file whose strict read has no error`);
      }
      const indexes = requests.lookups ?? defaultLookups(reader.header.baseIndex, strict.records);
      expected.lookups = [];
      for (const index of indexes) {
        const found = await lookup(storage, index);
        const record = strict.records.find((candidate) => candidate.index === index);
        const want: LookupJson = record === undefined ? { index: index.toString(), error: { code: 'INDEX_OUT_OF_RANGE', offset: null } } : { index: index.toString(), record: recordJson(record) };
        observe(`lookup ${index}`, want, found);
        expected.lookups.push(want);
      }
    } else if ('error' in expected.openInfo && !correctedFields.has('openInfo')) {
      // RSF-083: the open found interior damage, so the last index is unknown and lookups are
      // INDEX_OUT_OF_RANGE. PROTOCOL.md 4.3 leaves lookups in damaged files out of the vectors, so
      // this is only checked here, not written.
      for (const index of [...new Set([reader.header.baseIndex, ...strict.records.slice(-1).map((record) => record.index)])]) {
        const want: LookupJson = { index: index.toString(), error: { code: 'INDEX_OUT_OF_RANGE', offset: null } };
        observe(`lookup ${index} after an open that found interior damage (RSF-083)`, want, await lookupAfterDamagedOpen(storage, index));
      }
    } else if (requests.lookups !== undefined) {
      throw new Error('lookups on a file with interior damage that open does not see are not fixed by the protocol');
    }

    const fromRequests = requests.from ?? defaultFrom(reader.header.baseIndex, recordsOf(strict.json), recordsOf(salvage.json), clean, salvage.json.gaps.length > 0);
    if (fromRequests.length > 0) expected.from = [];
    for (const { from, mode } of fromRequests) {
      const full = mode === 'strict' ? strict : salvage;
      const want: FromJson = { from: from.toString(), mode, records: full.json.records.filter((record) => BigInt(record.index) >= from) };
      expected.from!.push(want);
      const engine = await publicRead(reader, mode, from);
      if (!correctedFields.has(mode)) observe(`${mode} read from ${from}`, { ...full.json, records: want.records }, engine.json);
    }
    return { expected, observations, corrected };
  } finally {
    await reader.close();
  }
}

async function openInfo(storage: MemoryStorage): Promise<OpenInfoJson> {
  let reader: BlockReader;
  try {
    reader = await BlockReader.open(storage, PATH);
  } catch (caught) {
    if (!isDamage(caught)) throw caught;
    return { error: damageJson(caught) };
  }
  try {
    const { header, tail } = reader;
    return {
      blockSize: header.blockSize,
      fileId: fileIdHex(header.fileId),
      baseIndex: header.baseIndex.toString(),
      firstIndex: reader.firstIndex?.toString() ?? null,
      lastIndex: reader.lastIndex?.toString() ?? null,
      tail: tail === undefined ? null : { code: 'TORN_TAIL', offset: tail.offset },
    };
  } finally {
    await reader.close();
  }
}

async function lookup(storage: MemoryStorage, index: bigint): Promise<LookupJson> {
  try {
    const reader = await BlockReader.open(storage, PATH);
    try {
      return { index: index.toString(), record: recordJson(await reader.get(index)) };
    } finally {
      await reader.close();
    }
  } catch (caught) {
    if (!isLsfsError(caught)) throw caught;
    return { index: index.toString(), error: damageJson(caught) };
  }
}

async function lookupAfterDamagedOpen(storage: MemoryStorage, index: bigint): Promise<LookupJson> {
  const reader = await BlockReader.open(storage, PATH, { salvage: true });
  try {
    return { index: index.toString(), record: recordJson(await reader.get(index)) };
  } catch (caught) {
    if (!isLsfsError(caught)) throw caught;
    return { index: index.toString(), error: damageJson(caught) };
  } finally {
    await reader.close();
  }
}

async function engineBackward(storage: MemoryStorage): Promise<RecordJson[] | string> {
  try {
    const reader = await BlockReader.open(storage, PATH);
    try {
      const records: RecordJson[] = [];
      for await (const record of reader.recordsBackward()) records.push(recordJson(record));
      return records;
    } finally {
      await reader.close();
    }
  } catch (caught) {
    if (!isLsfsError(caught)) throw caught;
    return `${caught.code} at ${caught.offset}`;
  }
}

/** Indexes of a read's records, for choosing `from` values. */
function recordsOf(read: ReadJson): { index: bigint }[] {
  return read.records.map((record) => ({ index: BigInt(record.index) }));
}

function defaultLookups(base: bigint, records: readonly LsfsRecord[]): bigint[] {
  const wanted: bigint[] = [];
  if (base > 0n) wanted.push(base - 1n);
  wanted.push(base);
  if (records.length > 0) {
    wanted.push(records[Math.floor(records.length / 2)]!.index);
    const last = records.at(-1)!.index;
    wanted.push(last);
    if (last < U64_MAX) wanted.push(last + 1n);
  }
  return [...new Set(wanted)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function defaultFrom(base: bigint, strict: readonly { index: bigint }[], salvage: readonly { index: bigint }[], clean: boolean, gaps: boolean): { from: bigint; mode: ScanMode }[] {
  const requests: { from: bigint; mode: ScanMode }[] = [];
  const around = (records: readonly { index: bigint }[], mode: ScanMode): void => {
    if (records.length === 0) return;
    const last = records.at(-1)!.index;
    if (records.length <= 24) {
      if (base > 0n) requests.push({ from: 0n, mode });
      if (records.length > 2) requests.push({ from: records[Math.floor(records.length / 2)]!.index, mode });
    }
    requests.push({ from: last, mode });
    if (last < U64_MAX) requests.push({ from: last + 1n, mode });
  };
  if (clean) around(strict, 'strict');
  if (gaps) {
    around(salvage, 'salvage');
    // From an index the salvage read lost: the read starts at the next record it returns.
    const lost = salvage.findIndex((record, i) => i > 0 && record.index !== salvage[i - 1]!.index + 1n);
    if (lost > 0) requests.push({ from: salvage[lost - 1]!.index + 1n, mode: 'salvage' });
  }
  const seen = new Set<string>();
  return requests.filter(({ from, mode }) => !seen.has(`${mode} ${from}`) && seen.add(`${mode} ${from}`) !== undefined);
}
