/**
 * `lsfs inspect`: a description of a file for a person — its header, what a full salvage scan
 * found, and a table of its blocks. Exits 0 whenever the file header could be read: damage is
 * part of the description (`verify` is the command that judges).
 */
import type { VerifyReport } from '../engine/block-reader.js';
import { FORMAT_VERSION } from '../format/constants.js';
import { EXIT_OK } from './exit.js';
import { type ColumnWidths, EDGE_BLOCKS, blocksToShow, describeBlock, formatRow, tableHeader } from './block-table.js';
import type { LineOutput } from './line-output.js';
import { formatFileId } from './option-values.js';
import { type ReadTarget, closeTarget, openTarget, verifyTarget } from './read-target.js';

export interface InspectOptions {
  readonly allBlocks?: boolean;
}

export const INSPECT_HELP = `
Describes FILE: path, size, format version, block size, file id, base index, block count, record
count, first and last index, torn tail, damage; then one row per block: number, offset,
first_index, bytes used, padding, status (ok or damage codes), and its slices (FULL×12 FIRST;
KIND! is a damaged slice, ? an unreadable one). Counting records reads the whole file.
With more than ${2 * EDGE_BLOCKS} blocks only the first and last ${EDGE_BLOCKS} are shown unless --all-blocks.
Exit status: 0 when the file header is readable (damage is reported, not judged: see verify).`;

export async function inspectCommand(path: string, options: InspectOptions, out: LineOutput): Promise<number> {
  const target = await openTarget(path);
  try {
    const report = await verifyTarget(target);
    for (const line of summaryLines(target, report)) await out.write(line);
    await writeBlockTable(target, report, options.allBlocks === true, out);
    await out.flush();
    return EXIT_OK;
  } finally {
    await closeTarget(target);
  }
}

function summaryLines(target: ReadTarget, report: VerifyReport): string[] {
  const { header } = target;
  const field = (name: string, value: string | number | bigint): string => `${`${name}:`.padEnd(16)} ${value}\n`;
  const tail = report.tail !== undefined && report.tail.length > 0 ? `${report.tail.length} bytes at offset ${report.tail.offset}` : 'none';
  const lines = [
    field('path', target.path),
    field('size', `${target.size} bytes`),
    field('format version', FORMAT_VERSION),
    field('block size', `${header.blockSize} bytes`),
    field('file id', formatFileId(header.fileId)),
    field('base index', header.baseIndex),
    field('blocks', Math.ceil(target.size / header.blockSize)),
    field('records', report.records),
    field('first index', report.firstIndex ?? '-'),
    field('last index', report.lastIndex ?? '-'),
    field('torn tail', tail),
    field('damage', report.gaps.length === 0 ? 'none' : `${report.gaps.length} unreadable range${report.gaps.length === 1 ? '' : 's'}`),
  ];
  for (const gap of report.gaps) lines.push(`  ${gap.code} at offset ${gap.offset}, ${gap.length} bytes: ${gap.message}\n`);
  if (target.refusal !== undefined) lines.push(field('note', `a writer would refuse this file: ${target.refusal.code}: ${target.refusal.message}`));
  return lines;
}

async function writeBlockTable(target: ReadTarget, report: VerifyReport, all: boolean, out: LineOutput): Promise<void> {
  const widths = columnWidths(target, report);
  await out.write(`\n${tableHeader(widths)}`);
  const blockCount = Math.ceil(target.size / target.header.blockSize);
  for (const entry of blocksToShow(blockCount, all)) {
    if (typeof entry === 'number') await out.write(formatRow(describeBlock(await target.reader.block(entry), report), widths));
    else await out.write(`${'…'.padStart(widths.block)} ${entry.skipped} blocks …\n`);
  }
}

function columnWidths(target: ReadTarget, report: VerifyReport): ColumnWidths {
  const lastBlock = Math.max(0, Math.ceil(target.size / target.header.blockSize) - 1);
  const largestIndex = report.lastIndex ?? target.header.baseIndex;
  return {
    block: Math.max('block'.length, String(lastBlock).length),
    offset: Math.max('offset'.length, String(lastBlock * target.header.blockSize).length),
    firstIndex: Math.max('first_index'.length, String(largestIndex).length),
    used: Math.max('used'.length, String(target.header.blockSize).length),
  };
}
