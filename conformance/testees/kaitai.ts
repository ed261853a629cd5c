#!/usr/bin/env node
/**
 * The Kaitai testee: the second, independent reader of spec/kaitai-wrapper.ts (the parser generated
 * from spec/lsfs.ksy, plus the wrapper's CRC, sequence and tail checks) behind the protocol of
 * conformance/PROTOCOL.md, profile `reader`. Run it as `node dist/conformance/testees/kaitai.js`.
 *
 * The wrapper does one thing: a strict forward read of a whole file, which stops at the first
 * damage. Every operation is built on that read:
 *
 * - `read` strict: the wrapper's answer. Backward: reversed. `from`: filtered.
 * - `read` salvage: for a file whose strict read meets no interior damage, salvage gives the same
 *   records and tail and no gap (RSF-072 rule 3), so the strict answer is the salvage answer. Past
 *   interior damage the wrapper cannot go on (it has no resynchronisation), so the testee answers
 *   `UNSUPPORTED_OP` and such cases are listed in conformance/known-failures/kaitai.json.
 * - `lookup`: the record of that index from the strict read; `INDEX_OUT_OF_RANGE` when the read
 *   ends before it. Exact for files without interior damage (the only files whose lookups the
 *   protocol fixes); with interior damage the strict read's error is returned.
 * - `open-info`: the header fields, the last record and the tail of the strict read. Exact for files
 *   without interior damage; with interior damage the strict read's error is returned, although an
 *   O(1) open from the tail (spec §10) only finds damage near the tail: a known failure.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { KaitaiLsfsError, type KaitaiReadResult, type KaitaiRecord, loadKaitaiParser, readLsfsWithKaitai } from '../../spec/kaitai-wrapper.js';
import { fileIdString, recordJson, type OpenInfoResult, type ReadResult, type RecordJson } from '../lib/protocol.js';
import { type ReadRequest, TesteeError, type TesteeImplementation, serve } from '../lib/testee-server.js';

export const IMPLEMENTATION = 'lsfs-kaitai (spec/lsfs.ksy + spec/kaitai-wrapper.ts) 0.1.0';

/** The file header occupies bytes 0..63: damage there is an unreadable file header (RSF-022). */
const FILE_HEADER_SIZE = 64;

type Outcome =
  | { kind: 'read'; result: KaitaiReadResult }
  | { kind: 'header'; error: KaitaiLsfsError }
  | { kind: 'interior'; error: KaitaiLsfsError; records: KaitaiRecord[] };

async function bytesOf(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new TesteeError('IO_ERROR', null, `${path}: ${(error as Error).message}`);
  }
}

/** The wrapper's strict read of the whole file. */
async function strictRead(path: string): Promise<Outcome> {
  const bytes = await bytesOf(path);
  try {
    return { kind: 'read', result: readLsfsWithKaitai(bytes) };
  } catch (error) {
    if (!(error instanceof KaitaiLsfsError)) throw error;
    if (error.offset < FILE_HEADER_SIZE && error.records.length === 0) return { kind: 'header', error };
    return { kind: 'interior', error, records: error.records };
  }
}

function toJson(record: KaitaiRecord): RecordJson {
  return recordJson(record.index, record.typeCode, record.payload);
}

export async function read(request: ReadRequest): Promise<ReadResult> {
  const outcome = await strictRead(request.path);
  if (outcome.kind === 'header') {
    return { records: [], tail: null, gaps: [], error: { code: outcome.error.code, offset: outcome.error.offset } };
  }
  if (outcome.kind === 'interior' && request.mode === 'salvage') {
    throw new TesteeError(
      'UNSUPPORTED_OP',
      null,
      `salvage past interior damage (${outcome.error.code} at ${outcome.error.offset}) is beyond the Kaitai wrapper: it stops at the first damage`,
    );
  }
  let records = outcome.kind === 'read' ? outcome.result.records : outcome.records;
  if (request.from !== undefined) {
    const from = request.from;
    records = records.filter((record) => record.index >= from);
  }
  if (request.direction === 'backward') records = [...records].reverse();
  const tail = outcome.kind === 'read' ? outcome.result.tail : undefined;
  return {
    records: records.map(toJson),
    tail: tail === undefined ? null : { code: tail.code, offset: tail.offset },
    gaps: [],
    error: outcome.kind === 'interior' ? { code: outcome.error.code, offset: outcome.error.offset } : null,
  };
}

function damageError(error: KaitaiLsfsError): TesteeError {
  return new TesteeError(error.code, error.offset, error.message);
}

export async function lookup(path: string, index: bigint): Promise<{ record: RecordJson }> {
  const outcome = await strictRead(path);
  if (outcome.kind === 'header') throw damageError(outcome.error);
  const records = outcome.kind === 'read' ? outcome.result.records : outcome.records;
  const found = records.find((record) => record.index === index);
  if (found !== undefined) return { record: toJson(found) };
  if (outcome.kind === 'interior') throw damageError(outcome.error);
  throw new TesteeError('INDEX_OUT_OF_RANGE', null, `no record ${index} in the strict read of ${path}`);
}

export async function openInfo(path: string): Promise<OpenInfoResult> {
  const outcome = await strictRead(path);
  if (outcome.kind !== 'read') throw damageError(outcome.error);
  const { result } = outcome;
  const last = result.records.at(-1);
  return {
    blockSize: result.blockSize,
    fileId: fileIdString(result.fileId),
    baseIndex: result.baseIndex.toString(),
    firstIndex: last === undefined ? null : result.baseIndex.toString(),
    lastIndex: last === undefined ? null : last.index.toString(),
    tail: result.tail === undefined ? null : { code: result.tail.code, offset: result.tail.offset },
  };
}

export const kaitaiTestee: TesteeImplementation = {
  implementation: IMPLEMENTATION,
  profiles: ['reader'],
  read,
  lookup,
  openInfo,
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Fail at start-up, not on the first request, when `npm run build` has not generated the parser.
  try {
    loadKaitaiParser();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  await serve(kaitaiTestee);
}
