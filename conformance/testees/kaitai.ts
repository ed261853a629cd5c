#!/usr/bin/env node
/**
 * The Kaitai testee: the second, independent reader of spec/kaitai-wrapper.ts (the parser generated
 * from spec/lsfs.ksy, plus the wrapper's CRC, sequence and tail checks) behind the protocol of
 * conformance/PROTOCOL.md, profile `reader`. Run it as `node dist/conformance/testees/kaitai.js`.
 *
 * - `read`: the wrapper's forward read of the whole file, strict (RSF-071) or salvage (RSF-072).
 *   Backward: the forward answer with its records reversed; `from`: filtered (PROTOCOL.md §4.2
 *   defines both so).
 * - `open-info`: the wrapper's open from the tail (spec §10), which parses only the blocks §10
 *   names and fails with the interior damage it meets there.
 * - `lookup`: the open from the tail first (its damage, and `INDEX_OUT_OF_RANGE` outside
 *   `base_index` to the last index), then the record from a strict forward read. That read is a
 *   full scan, not the O(log n) search of §11: the protocol fixes lookups only for files without
 *   interior damage, where both find the same record; with interior damage before the record,
 *   the strict read's error is returned.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import {
  KaitaiLsfsError,
  type KaitaiOpenResult,
  type KaitaiReadResult,
  type KaitaiRecord,
  loadKaitaiParser,
  openLsfsWithKaitai,
  readLsfsWithKaitai,
} from '../../spec/kaitai-wrapper.js';
import { fileIdString, recordJson, type OpenInfoResult, type ReadResult, type RecordJson } from '../lib/protocol.js';
import { type ReadRequest, TesteeError, type TesteeImplementation, serve } from '../lib/testee-server.js';

export const IMPLEMENTATION = 'lsfs-kaitai (spec/lsfs.ksy + spec/kaitai-wrapper.ts) 0.2.0';

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

/** The wrapper's forward read of the whole file; only a strict read ends in interior damage. */
async function forwardRead(path: string, mode: 'strict' | 'salvage'): Promise<Outcome> {
  const bytes = await bytesOf(path);
  try {
    return { kind: 'read', result: readLsfsWithKaitai(bytes, { mode }) };
  } catch (error) {
    if (!(error instanceof KaitaiLsfsError)) throw error;
    if (error.inFileHeader) return { kind: 'header', error };
    return { kind: 'interior', error, records: error.records };
  }
}

function toJson(record: KaitaiRecord): RecordJson {
  return recordJson(record.index, record.typeCode, record.payload);
}

export async function read(request: ReadRequest): Promise<ReadResult> {
  const mode = request.mode === 'salvage' ? 'salvage' : 'strict';
  const outcome = await forwardRead(request.path, mode);
  if (outcome.kind === 'header') {
    return { records: [], tail: null, gaps: [], error: { code: outcome.error.code, offset: outcome.error.offset } };
  }
  let records = outcome.kind === 'read' ? outcome.result.records : outcome.records;
  if (request.from !== undefined) {
    const from = request.from;
    records = records.filter((record) => record.index >= from);
  }
  if (request.direction === 'backward') records = [...records].reverse();
  const tail = outcome.kind === 'read' ? outcome.result.tail : undefined;
  const gaps = outcome.kind === 'read' && mode === 'salvage' ? outcome.result.gaps : [];
  return {
    records: records.map(toJson),
    tail: tail === undefined ? null : { code: tail.code, offset: tail.offset },
    gaps: gaps.map((gap) => ({ code: gap.code, offset: gap.offset, length: gap.length })),
    error: outcome.kind === 'interior' ? { code: outcome.error.code, offset: outcome.error.offset } : null,
  };
}

function damageError(error: KaitaiLsfsError): TesteeError {
  return new TesteeError(error.code, error.offset, error.message);
}

/** The wrapper's open from the tail; its failures as the protocol's errors. */
async function openFromTail(path: string): Promise<KaitaiOpenResult> {
  const bytes = await bytesOf(path);
  try {
    return openLsfsWithKaitai(bytes);
  } catch (error) {
    if (error instanceof KaitaiLsfsError) throw damageError(error);
    throw error;
  }
}

export async function lookup(path: string, index: bigint): Promise<{ record: RecordJson }> {
  const opened = await openFromTail(path);
  if (opened.lastIndex === undefined || index < opened.baseIndex || index > opened.lastIndex) {
    throw new TesteeError('INDEX_OUT_OF_RANGE', null, `no record ${index} in ${path} (records ${opened.lastIndex === undefined ? 'none' : `${opened.baseIndex} to ${opened.lastIndex}`})`);
  }
  const outcome = await forwardRead(path, 'strict');
  if (outcome.kind === 'header') throw damageError(outcome.error);
  const records = outcome.kind === 'read' ? outcome.result.records : outcome.records;
  const found = records.find((record) => record.index === index);
  if (found !== undefined) return { record: toJson(found) };
  if (outcome.kind === 'interior') throw damageError(outcome.error);
  throw new TesteeError('INDEX_OUT_OF_RANGE', null, `no record ${index} in the strict read of ${path}`);
}

export async function openInfo(path: string): Promise<OpenInfoResult> {
  const opened = await openFromTail(path);
  return {
    blockSize: opened.blockSize,
    fileId: fileIdString(opened.fileId),
    baseIndex: opened.baseIndex.toString(),
    firstIndex: opened.lastIndex === undefined ? null : opened.baseIndex.toString(),
    lastIndex: opened.lastIndex === undefined ? null : opened.lastIndex.toString(),
    tail: opened.tail === undefined ? null : { code: opened.tail.code, offset: opened.tail.offset },
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
