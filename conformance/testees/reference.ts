#!/usr/bin/env node
/**
 * The reference testee: the engine of src/ (BlockReader, BlockWriter on NodeStorage) behind the
 * protocol of conformance/PROTOCOL.md, profiles `reader`, `writer` and `raft-log` (LsfsRaftLog on
 * NodeStorage, see raft-sessions.ts). It is the runner's default target:
 * `node dist/conformance/testees/reference.js`.
 *
 * - `read` opens with `{ salvage: true }` (so that interior damage near the tail does not hide the
 *   records before it) and reads forward from block 0. Backward strict reads of files without
 *   interior damage use the engine's backward iterator; `from` on strict reads without interior
 *   damage uses the engine's seeking iterator (spec §11); otherwise both are the full forward read,
 *   reversed or filtered, which is what the protocol defines them to be.
 * - `lookup` and `open-info` open normally: from the tail, in O(1) (spec §10), then binary search.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BlockReader, BlockWriter, MAX_PAYLOAD_LENGTH, NodeStorage, isLsfsError, type LsfsError, type LsfsRecord, type ScanReport } from '../../src/index.js';
import { DAMAGE_CODES } from '../../src/errors.js';
import { fileIdString, recordJson, type OpenInfoResult, type ReadResult, type RecordJson } from '../lib/protocol.js';
import { type ReadRequest, TesteeError, type TesteeImplementation, type WriteRequest, serve } from '../lib/testee-server.js';
import { RaftSessions } from './raft-sessions.js';

export const IMPLEMENTATION = 'lsfs-reference (TypeScript engine) 0.1.0';

const storage = new NodeStorage();

function toJson(record: LsfsRecord): RecordJson {
  return recordJson(record.index, record.typeCode, record.payload);
}

function isDamage(error: unknown): error is LsfsError {
  return isLsfsError(error) && DAMAGE_CODES.has(error.code);
}

/** An engine error as the protocol's error object. */
export function toTesteeError(error: unknown): TesteeError | undefined {
  // An operating-system failure outside the engine (the rename of `write`): IO_ERROR.
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string') return new TesteeError('IO_ERROR', null, error.message);
  if (!isLsfsError(error)) return undefined;
  const offset = DAMAGE_CODES.has(error.code) ? (error.offset ?? null) : null;
  return new TesteeError(error.code, offset, error.message);
}

/** Opens for reading; an unreadable file header comes back as the damage it is. */
async function openForRead(path: string, salvage: boolean): Promise<BlockReader> {
  return BlockReader.open(storage, path, { salvage });
}

async function forwardRead(reader: BlockReader, mode: 'strict' | 'salvage'): Promise<{ records: LsfsRecord[]; report: ScanReport; error: LsfsError | undefined }> {
  const report: ScanReport = { gaps: [], tail: undefined };
  const records: LsfsRecord[] = [];
  try {
    for await (const record of reader.records({ mode, report })) records.push(record);
  } catch (error) {
    if (mode === 'strict' && isDamage(error)) return { records, report, error };
    throw error;
  }
  return { records, report, error: undefined };
}

export async function read(request: ReadRequest): Promise<ReadResult> {
  let reader: BlockReader;
  try {
    reader = await openForRead(request.path, true);
  } catch (error) {
    // Only the file header can fail a salvage open: no records, in either mode (PROTOCOL.md §4.2).
    if (!isDamage(error)) throw error;
    return { records: [], tail: null, gaps: [], error: { code: error.code, offset: error.offset ?? null } };
  }
  try {
    const { records: forward, report, error } = await forwardRead(reader, request.mode);
    let records = forward;
    const clean = request.mode === 'strict' && error === undefined && reader.openDamage === undefined;
    if (request.direction === 'backward') {
      records = [];
      if (clean) for await (const record of reader.recordsBackward()) records.push(record);
      else records = [...forward].reverse();
    } else if (request.from !== undefined) {
      const from = request.from;
      if (clean) {
        records = [];
        for await (const record of reader.records({ mode: 'strict', from })) records.push(record);
      } else {
        records = forward.filter((record) => record.index >= from);
      }
    }
    return {
      records: records.map(toJson),
      tail: report.tail === undefined ? null : { code: report.tail.code, offset: report.tail.offset },
      gaps: request.mode === 'salvage' ? report.gaps.map((gap) => ({ code: gap.code, offset: gap.offset, length: gap.length })) : [],
      error: error === undefined ? null : { code: error.code, offset: error.offset ?? null },
    };
  } finally {
    await reader.close();
  }
}

export async function lookup(path: string, index: bigint): Promise<{ record: RecordJson }> {
  const reader = await openForRead(path, false);
  try {
    return { record: toJson(await reader.get(index)) };
  } finally {
    await reader.close();
  }
}

export async function openInfo(path: string): Promise<OpenInfoResult> {
  const reader = await openForRead(path, false);
  try {
    const { header, tail } = reader;
    return {
      blockSize: header.blockSize,
      fileId: fileIdString(header.fileId),
      baseIndex: header.baseIndex.toString(),
      firstIndex: reader.firstIndex?.toString() ?? null,
      lastIndex: reader.lastIndex?.toString() ?? null,
      tail: tail === undefined ? null : { code: tail.code, offset: tail.offset },
    };
  } finally {
    await reader.close();
  }
}

/**
 * A payload too large for the format, without allocating it: the engine refuses it by its length
 * alone (RSF-004), before reading a byte, which is what the `repeat` form of the protocol tests.
 */
class OversizedPayload extends Uint8Array {
  constructor(private readonly claimedLength: number) {
    super(0);
  }

  override get length(): number {
    return this.claimedLength;
  }
}

function payloadOf(payload: { hex: Buffer } | { byte: number; length: number }): Uint8Array {
  if ('hex' in payload) return payload.hex;
  if (payload.length > MAX_PAYLOAD_LENGTH) return new OversizedPayload(payload.length);
  return Buffer.alloc(payload.length, payload.byte);
}

export async function write(request: WriteRequest): Promise<{ size: number }> {
  // The protocol replaces an existing file, while the engine creates only new ones: write under a
  // temporary name beside it, then rename. A refused request (INVALID_ARGUMENT) creates nothing
  // and leaves an existing file alone.
  const temporary = join(dirname(request.path), `.${basename(request.path)}.reference-testee-${randomBytes(6).toString('hex')}`);
  const writer = await BlockWriter.create(storage, temporary, {
    blockSize: request.blockSize,
    baseIndex: request.baseIndex,
    ...(request.fileId === undefined ? {} : { fileId: request.fileId }),
  });
  let failure: TesteeError | undefined;
  let closed = false;
  try {
    for (const [position, operation] of request.operations.entries()) {
      try {
        if (operation.kind === 'sync') await writer.sync();
        else writer.append(operation.typeCode, payloadOf(operation.payload));
      } catch (error) {
        if (!isLsfsError(error)) throw error;
        // Writer refusals concern no place in the file: offset null (PROTOCOL.md §4.5).
        failure = new TesteeError(error.code, null, error.message, position);
        break;
      }
    }
    await writer.close();
    closed = true;
    await rename(temporary, request.path);
  } catch (error) {
    if (!closed) await writer.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  if (failure !== undefined) throw failure;
  return { size: writer.length };
}

export const referenceTestee: TesteeImplementation = {
  implementation: IMPLEMENTATION,
  profiles: ['reader', 'writer', 'raft-log'],
  read,
  lookup,
  openInfo,
  write,
  raft: new RaftSessions(),
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await serve(referenceTestee, toTesteeError);
}
