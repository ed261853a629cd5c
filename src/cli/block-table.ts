/**
 * The per-block table of `lsfs inspect`: for each block its `first_index`, its slices, the bytes
 * it uses and pads, and whether it is intact. Rows are formatted with fixed widths so that a
 * table of millions of blocks streams out without being held in memory.
 */
import type { BlockItem, ParsedBlock } from '../engine/block-parser.js';
import type { ScanReport } from '../engine/record.js';
import { SliceKind, blockDataStart } from '../format/constants.js';

export interface BlockRow {
  readonly block: number;
  readonly offset: number;
  readonly firstIndex: string;
  readonly used: string;
  readonly padding: string;
  readonly status: string;
  readonly slices: string;
}

export interface ColumnWidths {
  readonly block: number;
  readonly offset: number;
  readonly firstIndex: number;
  readonly used: number;
}

/** Blocks shown at each end of the table when it is cut short. */
export const EDGE_BLOCKS = 20;

/** Block numbers to show, and in their place a count of the blocks left out. */
export function* blocksToShow(blockCount: number, all: boolean): Generator<number | { skipped: number }> {
  if (all || blockCount <= 2 * EDGE_BLOCKS) {
    for (let block = 0; block < blockCount; block++) yield block;
    return;
  }
  for (let block = 0; block < EDGE_BLOCKS; block++) yield block;
  yield { skipped: blockCount - 2 * EDGE_BLOCKS };
  for (let block = blockCount - EDGE_BLOCKS; block < blockCount; block++) yield block;
}

/** A row for `block`; `report` (from a full salvage scan) adds damage only the scan sees, across blocks. */
export function describeBlock(block: ParsedBlock, report: ScanReport): BlockRow {
  const base = { block: block.blockNumber, offset: block.offset, status: statusOf(block, report) };
  if (block.headerDamage !== undefined) return { ...base, firstIndex: '-', used: '-', padding: '-', slices: '(block header unreadable)' };
  const used = usedBytes(block);
  // After damage that stops the parse, the rest of the block is lost, not padding.
  const stopped = block.items.some((item) => item.type === 'damage' && item.resumeAt === undefined && item.damage.code !== 'BAD_PADDING');
  return {
    ...base,
    firstIndex: String(block.firstIndex),
    used: String(used),
    padding: stopped ? '-' : String(block.bytes.length - used),
    slices: sliceSummary(block.items),
  };
}

/** Bytes from the block's start to the end of its last slice whose extent is known. */
function usedBytes(block: ParsedBlock): number {
  let used = block.end;
  for (const item of block.items) if (item.type === 'damage' && item.resumeAt !== undefined) used = Math.max(used, item.resumeAt);
  return used;
}

/** Distinct damage codes in the block, from its own parse and from the scan's gaps and torn tail. */
function statusOf(block: ParsedBlock, report: ScanReport): string {
  const codes = new Set<string>();
  if (block.headerDamage !== undefined) codes.add(block.headerDamage.code);
  for (const item of block.items) if (item.type === 'damage') codes.add(item.damage.code);
  // A gap runs up to the next record, so it takes in the next block's header: that alone is no damage of that block.
  const start = block.offset + blockDataStart(block.blockNumber);
  const end = block.offset + block.bytes.length;
  const overlaps = (offset: number, length: number): boolean => length > 0 && offset < end && offset + length > start;
  for (const gap of report.gaps) if (overlaps(gap.offset, gap.length)) codes.add(gap.code);
  if (report.tail !== undefined && overlaps(report.tail.offset, report.tail.length)) codes.add('TORN_TAIL');
  return codes.size === 0 ? 'ok' : [...codes].join(',');
}

/** Slice kinds in order, runs collapsed (`FULL×12 FIRST`); a damaged slice is `KIND!`, an unreadable one `?`. */
function sliceSummary(items: readonly BlockItem[]): string {
  const runs: { token: string; count: number }[] = [];
  for (const item of items) {
    const token = sliceToken(item);
    if (token === undefined) continue;
    const last = runs.at(-1);
    if (last?.token === token) last.count++;
    else runs.push({ token, count: 1 });
  }
  if (runs.length === 0) return '(none)';
  return runs.map(({ token, count }) => (count === 1 ? token : `${token}×${count}`)).join(' ');
}

function sliceToken(item: BlockItem): string | undefined {
  if (item.type === 'slice') return SliceKind[item.slice.kind].toUpperCase();
  if (item.damage.code === 'BAD_PADDING') return undefined; // shown in the status, it is no slice
  return item.kind === undefined ? '?' : `${SliceKind[item.kind].toUpperCase()}!`;
}

export function tableHeader(widths: ColumnWidths): string {
  return formatColumns(widths, ['block', 'offset', 'first_index', 'used', 'padding', 'status', 'slices']);
}

export function formatRow(row: BlockRow, widths: ColumnWidths): string {
  return formatColumns(widths, [String(row.block), String(row.offset), row.firstIndex, row.used, row.padding, row.status, row.slices]);
}

type Cells = readonly [string, string, string, string, string, string, string];

function formatColumns(widths: ColumnWidths, [block, offset, firstIndex, used, padding, status, slices]: Cells): string {
  const right = [block.padStart(widths.block), offset.padStart(widths.offset), firstIndex.padStart(widths.firstIndex), used.padStart(widths.used), padding.padStart(7)];
  // Status and slices go last, unpadded at the end: their width is not known before the last row.
  return `${right.join('  ')}  ${status.padEnd(17)}  ${slices}\n`;
}
