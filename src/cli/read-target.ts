/**
 * A file opened read-only for the reading commands. The engine's {@link BlockReader} is used where
 * it can open the file; it refuses files whose tail block holds interior damage (spec §10 step 3),
 * yet those are exactly the files `dump --salvage`, `verify` and `inspect` exist for. Then a
 * {@link Scanner} reads the blocks directly, which needs only an intact file header.
 */
import { BlockReader, readFileHeader, type VerifyReport } from '../engine/block-reader.js';
import { BlockSource } from '../engine/block-source.js';
import type { LsfsRecord, ScanReport } from '../engine/record.js';
import { type ScanMode, Scanner } from '../engine/scanner.js';
import { DAMAGE_CODES, LsfsError, isLsfsError } from '../errors.js';
import type { FileHeader } from '../format/file-header.js';
import { NodeStorage } from '../io/node-storage.js';
import type { StorageFile } from '../io/storage.js';

/** Blocks per read in full scans, as BlockReader uses: large sequential reads. */
const READ_AHEAD_BLOCKS = 256;

export interface ReadTarget {
  readonly path: string;
  readonly file: StorageFile;
  readonly header: FileHeader;
  /** File size when opened: every read of this target stays within it. */
  readonly size: number;
  /** The engine's reader, or undefined when it refused the file for damage. */
  readonly reader: BlockReader | undefined;
  /** Why the reader refused the file. */
  readonly refusal: LsfsError | undefined;
}

/** Opens `path` read-only. Throws IO_ERROR, or the damage of the file header. */
export async function openTarget(path: string): Promise<ReadTarget> {
  const file = await new NodeStorage().open(path, 'read');
  try {
    const header = await readFileHeader(file);
    const size = await file.size();
    try {
      return { path, file, header, size, reader: await BlockReader.over(file, size), refusal: undefined };
    } catch (error) {
      if (!isLsfsError(error) || !DAMAGE_CODES.has(error.code)) throw error;
      return { path, file, header, size, reader: undefined, refusal: error };
    }
  } catch (error) {
    await file.close().catch(() => undefined);
    throw error;
  }
}

/** Closes the file (the reader shares its handle, so this closes it too). */
export async function closeTarget(target: ReadTarget): Promise<void> {
  await target.file.close();
}

/** The engine's reader; for commands that cannot do without it, the damage that made it refuse. */
export function requireReader(target: ReadTarget): BlockReader {
  if (target.reader !== undefined) return target.reader;
  throw target.refusal ?? new LsfsError('IO_ERROR', `${target.path} could not be opened for reading`);
}

/** A scan of the whole file from block 0 that does not depend on BlockReader's tail search. */
export function directScan(target: ReadTarget, mode: ScanMode, from?: bigint): Scanner {
  const source = new BlockSource(target.file, target.header, target.size);
  return new Scanner(source, { mode, readAheadBlocks: READ_AHEAD_BLOCKS, ...(from === undefined ? {} : { fromIndex: from }) });
}

/** Records in index order; gaps and the torn tail land in `report`. */
export async function* scanRecords(target: ReadTarget, mode: ScanMode, report: ScanReport, from?: bigint): AsyncGenerator<LsfsRecord> {
  // Salvage always scans directly: BlockReader's binary search for `from` stops at a damaged block header.
  if (target.reader !== undefined && mode === 'strict') {
    yield* target.reader.records({ mode, report, ...(from === undefined ? {} : { from }) });
    // A `from` past the last record returns before scanning; the tail found at open still holds.
    report.tail ??= target.reader.tail;
    return;
  }
  const scanner = directScan(target, mode, from);
  try {
    yield* scanner.records();
  } finally {
    report.gaps.push(...scanner.report.gaps);
    report.tail = scanner.report.tail;
  }
}

/** Reads every byte and checks every checksum: BlockReader.verify, or the same salvage scan directly. */
export async function verifyTarget(target: ReadTarget, onProgress?: (done: number, total: number) => void): Promise<VerifyReport> {
  if (target.reader !== undefined) return target.reader.verify(onProgress);
  const report: ScanReport = { gaps: [], tail: undefined };
  let records = 0;
  let firstIndex: bigint | undefined;
  let lastIndex: bigint | undefined;
  for await (const record of scanRecords(target, 'salvage', report)) {
    records++;
    firstIndex ??= record.index;
    lastIndex = record.index;
    onProgress?.(record.offset, target.size);
  }
  onProgress?.(target.size, target.size);
  return { ...report, records, firstIndex, lastIndex, bytes: target.size };
}
