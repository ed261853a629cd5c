/**
 * Finding the end of the log from the tail (spec §10), in a number of block reads that does not
 * grow with the file: the last block with a valid header, parsed; earlier blocks only for a record
 * cut off at the tail.
 */
import { assert } from '../errors.js';
import { decodeBlockHeader } from '../format/block-header.js';
import { BLOCK_HEADER_SIZE, FILE_HEADER_SIZE, SliceKind } from '../format/constants.js';
import { type Damage, damage, damageToError } from '../format/damage.js';
import type { ParsedBlock } from './block-parser.js';
import { numberSlices } from './slice-numbering.js';
import type { BlockSource } from './block-source.js';
import type { TornTail } from './record.js';
import { hasIntactStructureAfter } from './structure-probe.js';

export interface TailState {
  /** E: where the last whole record ends; the file's length once the torn tail is cut. */
  readonly end: number;
  /** Index of the last whole record, or undefined when the file holds none. */
  readonly lastIndex: bigint | undefined;
  /** Index the next appended record gets. */
  readonly nextIndex: bigint;
  /** The torn tail: bytes after `end`, cut off by a writer on open. */
  readonly torn: TornTail | undefined;
}

/** A record end found in a block: where it ends and its index. */
interface RecordEnd {
  readonly end: number;
  readonly index: bigint;
}

export async function findTail(source: BlockSource): Promise<TailState> {
  const lastValid = await lastBlockWithValidHeader(source);
  const block = await source.block(lastValid);
  await checkContinuation(source, block);
  const { recordEnd, damageAt: damageInBlock } = lastRecordEndIn(block);
  const damageAt = damageInBlock ?? (await nextBlockHeaderDamage(source, lastValid));
  if (damageAt !== undefined && (await hasIntactStructureAfter(source, damageAt.offset))) {
    throw damageToError(damageAt, source.file.path);
  }
  const found = recordEnd ?? (await recordEndBefore(source, lastValid));
  const end = found?.end ?? FILE_HEADER_SIZE;
  const lastIndex = found?.index;
  const nextIndex = lastIndex === undefined ? source.header.baseIndex : lastIndex + 1n;
  const torn: TornTail | undefined = end < source.size ? { code: 'TORN_TAIL', offset: end, length: source.size - end } : undefined;
  return { end, lastIndex, nextIndex, torn };
}

async function lastBlockWithValidHeader(source: BlockSource): Promise<number> {
  const { blockSize, fileId } = source.header;
  for (let block = source.lastBlock; block > 0; block--) {
    const offset = block * blockSize;
    const bytes = await source.file.read(offset, Math.min(BLOCK_HEADER_SIZE, source.size - offset));
    if (!('code' in decodeBlockHeader(bytes, block, offset, fileId, blockSize))) return block;
  }
  return 0;
}

/**
 * A block that parses clean to its end while the file goes on: the damage is the next block's
 * header (it failed, or this would not be the last block with a valid header), with its own code.
 */
async function nextBlockHeaderDamage(source: BlockSource, lastValid: number): Promise<Damage | undefined> {
  const next = lastValid + 1;
  if (next > source.lastBlock) return undefined;
  const firstIndex = await source.firstIndexOf(next);
  assert(typeof firstIndex !== 'bigint', 'the block after the last valid one has a damaged header');
  return firstIndex;
}

/** The last record end in `block` before its first damage, and that damage. */
function lastRecordEndIn(block: ParsedBlock): { recordEnd: RecordEnd | undefined; damageAt: Damage | undefined } {
  const { slices, damageAt } = numberSlices(block);
  const ends = slices.filter(({ slice }) => slice.kind === SliceKind.Full || slice.kind === SliceKind.Last);
  const last = ends.at(-1);
  return { recordEnd: last === undefined ? undefined : { end: last.slice.offset + last.slice.size, index: last.index }, damageAt };
}

/**
 * A tail block that begins with a MIDDLE or LAST slice must continue what the block before it
 * ends with: that block is read too (one more block: still O(1)), so that open agrees with a full
 * read on the last index even for crafted files.
 */
async function checkContinuation(source: BlockSource, block: ParsedBlock): Promise<void> {
  const first = block.items[0];
  if (first?.type !== 'slice' || (first.slice.kind !== SliceKind.Middle && first.slice.kind !== SliceKind.Last)) return;
  const { slice } = first;
  if (block.blockNumber === 0) {
    throw damageToError(damage('BAD_SLICE', slice.offset, slice.size, `block 0 begins with a ${SliceKind[slice.kind]} slice, which continues no record`), source.file.path);
  }
  const previous = await source.block(block.blockNumber - 1);
  const { slices, damageAt } = numberSlices(previous);
  const damageFound = previous.headerDamage ?? damageAt;
  if (damageFound !== undefined) throw damageToError(damageFound, source.file.path);
  const last = slices.at(-1);
  if (last !== undefined && (last.slice.kind === SliceKind.First || last.slice.kind === SliceKind.Middle) && last.index === block.firstIndex) return;
  throw damageToError(damage('BAD_SLICE', slice.offset, slice.size, `block ${block.blockNumber} begins with a ${SliceKind[slice.kind]} slice that continues no record of block ${previous.blockNumber}`), source.file.path);
}

/** Walks back from `block` to the last record end before it (a record cut off at the tail). */
async function recordEndBefore(source: BlockSource, block: number): Promise<RecordEnd | undefined> {
  for (let previous = block - 1; previous >= 0; previous--) {
    const parsed = await source.block(previous);
    const { recordEnd, damageAt } = lastRecordEndIn(parsed);
    const damageFound = parsed.headerDamage ?? damageAt;
    if (damageFound !== undefined) throw damageToError(damageFound, source.file.path);
    if (recordEnd !== undefined) return recordEnd;
  }
  return undefined;
}
