/**
 * `lsfs dump`: every record as a JSON line, read-only. Forward reads follow spec RSF-071 (strict:
 * records before interior damage, then the error) or RSF-072 (salvage: gaps on stderr).
 */
import type { LsfsRecord, ScanReport, TornTail } from '../engine/record.js';
import { LsfsError } from '../errors.js';
import { EXIT_DAMAGE, EXIT_OK } from './exit.js';
import { recordLinePieces } from './json-lines.js';
import { LineOutput } from './line-output.js';
import { closeTarget, openTarget, requireReader, scanRecords, type ReadTarget } from './read-target.js';

export interface DumpOptions {
  readonly reverse?: boolean;
  readonly from?: bigint;
  readonly salvage?: boolean;
}

export const DUMP_HELP = `
Prints one JSON line per record: {"index":"<decimal>","type":"<decimal>","hex":"<payload hex>"}.
The file is only read, never changed.

--from INDEX prints the records with index >= INDEX (none when INDEX is past the last record).
--reverse prints from the newest record back to the first; it cannot be combined with --from or
--salvage (INVALID_ARGUMENT).

Damage: a strict read prints the records before the first damage, then "lsfs: CODE: message"
and exits 1. With --salvage every readable record is printed and each unreadable range as
"lsfs: gap: CODE at offset X, N bytes: message" on stderr; the exit code is 1 if there was a gap.
A torn tail (bytes after the last whole record, as a crash or a running writer leaves) is a
warning on stderr, exit 0.`;

export async function dumpCommand(path: string, options: DumpOptions, out: LineOutput): Promise<number> {
  checkCombination(options);
  const target = await openTarget(path);
  try {
    if (options.reverse) return await dumpBackward(target, out);
    return await dumpForward(target, options, out);
  } finally {
    await closeTarget(target);
  }
}

function checkCombination(options: DumpOptions): void {
  if (!options.reverse) return;
  if (options.from !== undefined) throw new LsfsError('INVALID_ARGUMENT', '--reverse cannot be combined with --from');
  if (options.salvage) throw new LsfsError('INVALID_ARGUMENT', '--reverse cannot be combined with --salvage');
}

async function dumpForward(target: ReadTarget, options: DumpOptions, out: LineOutput): Promise<number> {
  const report: ScanReport = { gaps: [], tail: undefined };
  try {
    await printAll(scanRecords(target, options.salvage ? 'salvage' : 'strict', report, options.from), out);
  } finally {
    // Records before damage are part of the answer: out before the error line.
    await out.flush();
  }
  for (const gap of report.gaps) process.stderr.write(`lsfs: gap: ${gap.code} at offset ${gap.offset}, ${gap.length} bytes: ${gap.message}\n`);
  warnTornTail(report.tail);
  return report.gaps.length > 0 ? EXIT_DAMAGE : EXIT_OK;
}

async function dumpBackward(target: ReadTarget, out: LineOutput): Promise<number> {
  // Backward reads start at the tail, which only BlockReader can find.
  const reader = requireReader(target);
  try {
    await printAll(reader.recordsBackward(), out);
  } finally {
    await out.flush();
  }
  warnTornTail(reader.tail);
  return EXIT_OK;
}

async function printAll(records: AsyncIterable<LsfsRecord>, out: LineOutput): Promise<void> {
  for await (const record of records) {
    for (const piece of recordLinePieces(record)) await out.write(piece);
  }
}

function warnTornTail(tail: TornTail | undefined): void {
  if (tail === undefined || tail.length === 0) return;
  process.stderr.write(`lsfs: warning: TORN_TAIL at offset ${tail.offset} (${tail.length} bytes after the last whole record)\n`);
}
