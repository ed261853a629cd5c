/**
 * A file opened read-only for the reading commands: the engine's {@link BlockReader}, opened in
 * salvage mode so that files with interior damage at the tail — exactly the files `dump --salvage`,
 * `verify` and `inspect` exist for — still open (only a damaged file header stops them).
 */
import { BlockReader, type VerifyReport } from '../engine/block-reader.js';
import type { LsfsRecord, ScanReport } from '../engine/record.js';
import type { ScanMode } from '../engine/scanner.js';
import type { LsfsError } from '../errors.js';
import type { FileHeader } from '../format/file-header.js';
import { NodeStorage } from '../io/node-storage.js';

export interface ReadTarget {
  readonly path: string;
  readonly reader: BlockReader;
  readonly header: FileHeader;
  /** File size when opened: every read of this target stays within it. */
  readonly size: number;
  /** Interior damage at the tail: a writer would refuse this file, and strict reads stop there. */
  readonly refusal: LsfsError | undefined;
}

/** Opens `path` read-only. Throws IO_ERROR, or the damage of the file header. */
export async function openTarget(path: string): Promise<ReadTarget> {
  const reader = await BlockReader.open(new NodeStorage(), path, { salvage: true });
  return { path, reader, header: reader.header, size: reader.size, refusal: reader.openDamage };
}

export async function closeTarget(target: ReadTarget): Promise<void> {
  await target.reader.close();
}

/** The reader, for commands that need the tail found (reverse reads): the open's damage otherwise. */
export function requireReader(target: ReadTarget): BlockReader {
  if (target.refusal !== undefined) throw target.refusal;
  return target.reader;
}

/** Records in index order; gaps and the torn tail land in `report`. */
export async function* scanRecords(target: ReadTarget, mode: ScanMode, report: ScanReport, from?: bigint): AsyncGenerator<LsfsRecord> {
  yield* target.reader.records({ mode, report, ...(from === undefined ? {} : { from }) });
}

/** Reads every byte and checks every checksum. */
export async function verifyTarget(target: ReadTarget, onProgress?: (done: number, total: number) => void): Promise<VerifyReport> {
  return target.reader.verify(onProgress);
}
