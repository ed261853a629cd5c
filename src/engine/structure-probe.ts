/**
 * Tail or interior? (spec §9): damage is interior when an intact structure — a valid block header
 * at its own block boundary, or an intact slice at any offset — follows it in the file. A crash
 * only ever damages the end of a file (appendix A), so interior damage means corruption.
 */
import { decodeBlockHeader } from '../format/block-header.js';
import { SLICE_MAGIC, SLICE_OVERHEAD } from '../format/constants.js';
import { isIntactSliceAt } from '../format/slice.js';
import type { BlockSource } from './block-source.js';

/**
 * True when an intact structure starts at or after file offset `damageOffset` (and before the
 * view's end). "At" matters for damage found in a structure that is itself intact (a slice out of
 * sequence, a block with the wrong `first_index`): a crash never makes one, so it is never a tail.
 */
export async function hasIntactStructureAfter(source: BlockSource, damageOffset: number): Promise<boolean> {
  const { blockSize, fileId } = source.header;
  const firstBlock = Math.floor(damageOffset / blockSize);
  // Block headers first: one small read each, and usually the very next one answers.
  const firstBoundary = damageOffset % blockSize === 0 ? firstBlock : firstBlock + 1;
  for (let block = Math.max(1, firstBoundary); block <= source.lastBlock; block++) {
    const bytes = await source.file.read(block * blockSize, Math.min(32, source.size - block * blockSize));
    if (!('code' in decodeBlockHeader(bytes, block, block * blockSize, fileId, blockSize))) return true;
  }
  for (let block = firstBlock; block <= source.lastBlock; block++) {
    const bytes = await source.readBlockBytes(block);
    const from = block === firstBlock ? damageOffset - block * blockSize : 0;
    if (hasIntactSliceFrom(bytes, from, block * blockSize, blockSize, fileId)) return true;
  }
  return false;
}

function hasIntactSliceFrom(bytes: Buffer, from: number, blockOffset: number, blockSize: number, fileId: bigint): boolean {
  const magicLow = SLICE_MAGIC & 0xff;
  for (let at = bytes.indexOf(magicLow, from); at !== -1 && at + SLICE_OVERHEAD <= bytes.length; at = bytes.indexOf(magicLow, at + 1)) {
    if (isIntactSliceAt(bytes, at, blockOffset, blockSize, fileId)) return true;
  }
  return false;
}
