/**
 * `lsfs write`: appends records read as JSON Lines from stdin, creating the file if needed. Input
 * is streamed line by line, so stdin of any length needs memory for one line and the write buffer.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { readFileHeader } from '../engine/block-reader.js';
import type { Recovery } from '../engine/block-writer.js';
import { RecordLog } from '../engine/record-log.js';
import { LsfsError, isLsfsError } from '../errors.js';
import type { FileHeader } from '../format/file-header.js';
import { NodeStorage } from '../io/node-storage.js';
import type { Storage } from '../io/storage.js';
import { EXIT_OK } from './exit.js';
import { parseInputLine } from './json-lines.js';
import type { LineOutput } from './line-output.js';
import { formatFileId } from './option-values.js';

export interface WriteOptions {
  readonly blockSize?: number;
  readonly baseIndex?: bigint;
  readonly fileId?: bigint;
}

export const WRITE_HELP = `
Reads JSON Lines from stdin, one record per line: {"type":"<u64 decimal>","hex":"<payload hex>"}.
A line {"sync":true} makes the records before it durable; blank lines are skipped.
Creates FILE if it does not exist; otherwise appends (a torn tail left by a crash is cut off
first, with a warning on stderr). --block-size, --base-index and --file-id only shape a new file:
given for an existing file they must match it (INVALID_ARGUMENT otherwise).

A bad line stops the command with INVALID_ARGUMENT naming the line; the records before it are
synced and kept, nothing after it is written.
On success prints one JSON line: {"appended":N,"firstIndex":"...","lastIndex":"...","size":BYTES}
where firstIndex/lastIndex are the indexes of the records appended by this run (null if none)
and size is the file's length.`;

/**
 * Bytes appended between waits for the writes to reach the OS: bounds memory when stdin outruns
 * the disk. Kept below BlockWriter's own 1 MiB background-flush threshold on purpose: that one
 * compares with the bytes already written, so while a write is in flight every further append
 * starts another write of just itself (a write per record).
 */
const FLUSH_EVERY_BYTES = 256 << 10;

export async function writeCommand(path: string, options: WriteOptions, input: Readable, out: LineOutput): Promise<number> {
  const storage = new NodeStorage();
  await checkExistingFile(storage, path, options);
  // Nothing is read back here: no cache of recent records.
  const log = await RecordLog.open(path, { storage, cacheRecords: 0, ...options });
  let summary: string;
  try {
    warnRecovery(log.recovery);
    const firstAppended = log.nextIndex;
    await appendLines(log, input);
    await log.sync();
    summary = summaryLine(log, firstAppended);
  } finally {
    await log.close();
  }
  await out.write(summary);
  await out.flush();
  return EXIT_OK;
}

/**
 * Checked read-only before opening for writing: a writer's open already cuts a torn tail, and a
 * command that fails on its arguments should not have changed the file.
 */
async function checkExistingFile(storage: Storage, path: string, options: WriteOptions): Promise<void> {
  if (!(await storage.exists(path))) return;
  const file = await storage.open(path, 'read');
  try {
    checkHeaderMatches(await readFileHeader(file), options);
  } finally {
    await file.close();
  }
}

function checkHeaderMatches(header: FileHeader, options: WriteOptions): void {
  const conflicts: string[] = [];
  if (options.blockSize !== undefined && options.blockSize !== header.blockSize) conflicts.push(`--block-size ${options.blockSize} (file: ${header.blockSize})`);
  if (options.baseIndex !== undefined && options.baseIndex !== header.baseIndex) conflicts.push(`--base-index ${options.baseIndex} (file: ${header.baseIndex})`);
  if (options.fileId !== undefined && options.fileId !== header.fileId) conflicts.push(`--file-id ${formatFileId(options.fileId)} (file: ${formatFileId(header.fileId)})`);
  if (conflicts.length > 0) throw new LsfsError('INVALID_ARGUMENT', `the existing file does not match ${conflicts.join(', ')}`);
}

function warnRecovery(recovery: Recovery): void {
  const torn = recovery.truncated;
  if (torn !== undefined) process.stderr.write(`lsfs: warning: TORN_TAIL: cut ${torn.length} bytes at offset ${torn.offset}\n`);
}

async function appendLines(log: RecordLog, input: Readable): Promise<void> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  let flushedAt = log.length;
  try {
    for await (const text of lines) {
      lineNumber++;
      await applyLine(log, text, lineNumber);
      if (log.length - flushedAt >= FLUSH_EVERY_BYTES) {
        await log.flush();
        flushedAt = log.length;
      }
    }
  } finally {
    lines.close();
  }
}

/** Appends or syncs for one line. On a bad line, syncs what came before, then throws. */
async function applyLine(log: RecordLog, text: string, lineNumber: number): Promise<void> {
  try {
    const line = parseInputLine(text, lineNumber);
    if (line?.kind === 'sync') await log.sync();
    else if (line?.kind === 'record') appendRecord(log, line.typeCode, line.payload, lineNumber);
  } catch (error) {
    // After an I/O failure the writer refuses to sync again; any other failure is the line's.
    if (!isLsfsError(error, 'IO_ERROR')) await log.sync();
    throw error;
  }
}

function appendRecord(log: RecordLog, typeCode: bigint, payload: Buffer, lineNumber: number): void {
  try {
    log.append(typeCode, payload);
  } catch (error) {
    // The engine's message does not know about stdin lines; keep its code, add the line.
    if (isLsfsError(error) && error.code !== 'IO_ERROR') throw new LsfsError(error.code, `stdin line ${lineNumber}: ${error.message}`, { cause: error });
    throw error;
  }
}

function summaryLine(log: RecordLog, firstAppended: bigint): string {
  const appended = log.nextIndex - firstAppended;
  const range = appended === 0n ? { firstIndex: null, lastIndex: null } : { firstIndex: String(firstAppended), lastIndex: String(log.nextIndex - 1n) };
  return `${JSON.stringify({ appended: Number(appended), ...range, size: log.length })}\n`;
}
