/**
 * Tail or interior? (spec §9): damage is interior when an intact structure — a valid block header
 * at its own block boundary, or an intact slice at any offset — starts at or after it in the file.
 * A crash only ever damages the end of a file (appendix A), so interior damage means corruption.
 */
import { decodeBlockHeader } from '../format/block-header.js';
import { BLOCK_HEADER_SIZE, SLICE_MAGIC, SLICE_OVERHEAD } from '../format/constants.js';
import { isIntactSliceAt } from '../format/slice.js';
import type { BlockSource } from './block-source.js';

/** The last probe of a source: the first intact structure at or after `from` (undefined: none). */
interface Probe {
  readonly size: number;
  readonly from: number;
  readonly found: number | undefined;
}

const lastProbes = new WeakMap<BlockSource, Probe>();

/**
 * True when an intact structure starts at or after file offset `damageOffset` (and before the
 * view's end). "At" matters for damage found in a structure that is itself intact (a slice out of
 * sequence, a block with the wrong `first_index`): a crash never makes one, so it is never a tail.
 *
 * The answer for the last probe is kept: a salvage read of a file full of damage asks once per
 * damaged block, and without it every question would scan the rest of the file again (quadratic).
 */
export async function hasIntactStructureAfter(source: BlockSource, damageOffset: number): Promise<boolean> {
  const last = lastProbes.get(source);
  if (last !== undefined && last.size === source.size && damageOffset >= last.from && (last.found === undefined || last.found >= damageOffset)) {
    return last.found !== undefined;
  }
  const found = await firstIntactStructure(source, damageOffset);
  lastProbes.set(source, { size: source.size, from: damageOffset, found });
  return found !== undefined;
}

/** The offset of the first intact structure at or after `from`, block by block in file order. */
async function firstIntactStructure(source: BlockSource, from: number): Promise<number | undefined> {
  const { blockSize, fileId } = source.header;
  for (let block = Math.floor(from / blockSize); block <= source.lastBlock; block++) {
    const blockOffset = block * blockSize;
    if (block > 0 && blockOffset >= from) {
      const header = await source.file.read(blockOffset, Math.min(BLOCK_HEADER_SIZE, source.size - blockOffset));
      if (!('code' in decodeBlockHeader(header, block, blockOffset, fileId, blockSize))) return blockOffset;
    }
    const bytes = await source.readBlockBytes(block);
    const at = firstIntactSlice(bytes, Math.max(0, from - blockOffset), blockOffset, blockSize, fileId);
    if (at !== undefined) return blockOffset + at;
  }
  return undefined;
}

function firstIntactSlice(bytes: Buffer, from: number, blockOffset: number, blockSize: number, fileId: bigint): number | undefined {
  const magicLow = SLICE_MAGIC & 0xff;
  for (let at = bytes.indexOf(magicLow, from); at !== -1 && at + SLICE_OVERHEAD <= bytes.length; at = bytes.indexOf(magicLow, at + 1)) {
    if (isIntactSliceAt(bytes, at, blockOffset, blockSize, fileId)) return at;
  }
  return undefined;
}
