/**
 * Lookup by index (spec §11, RSF-090): a binary search over the blocks' `first_index`, then a walk
 * back over the blocks of the record itself when it started before the block found.
 */
import { damageToError } from '../format/damage.js';
import { SliceKind } from '../format/constants.js';
import type { ParsedBlock } from './block-parser.js';
import type { BlockSource } from './block-source.js';

/** The block in which record `index` starts; `lastBlock` bounds the search (the block holding the log's end). */
export async function blockWhereRecordStarts(source: BlockSource, index: bigint, lastBlock: number): Promise<number> {
  let low = 0;
  let high = lastBlock;
  // Invariant: first_index(low) <= index, and every block after `high` has first_index > index.
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    const firstIndex = await source.firstIndexOf(middle);
    if (typeof firstIndex !== 'bigint') throw damageToError(firstIndex, source.file.path);
    if (firstIndex <= index) low = middle;
    else high = middle - 1;
  }
  let block = low;
  while (block > 0 && !startsRecord(await source.block(block), index)) block--;
  return block;
}

function firstIndexOf(block: ParsedBlock): bigint {
  if (block.headerDamage !== undefined) throw damageToError(block.headerDamage);
  return block.firstIndex as bigint;
}

/** True when record `index` has its FULL or FIRST slice in `block` (or the block is damaged there). */
function startsRecord(block: ParsedBlock, index: bigint): boolean {
  const firstIndex = firstIndexOf(block);
  if (firstIndex < index) return true;
  const first = block.items[0];
  if (first === undefined) return true;
  const kind = first.type === 'slice' ? first.slice.kind : first.kind;
  return kind !== SliceKind.Middle && kind !== SliceKind.Last;
}
