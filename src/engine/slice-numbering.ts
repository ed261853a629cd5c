/** RSF-073 for one parsed block: which record each intact slice belongs to. */
import { MAX_RECORD_INDEX, SliceKind } from '../format/constants.js';
import { type Damage, damage } from '../format/damage.js';
import type { DecodedSlice } from '../format/slice.js';
import type { ParsedBlock } from './block-parser.js';

/** An intact slice and the index of the record it belongs to. */
export interface NumberedSlice {
  readonly slice: DecodedSlice;
  readonly index: bigint;
}

/**
 * The block's intact slices up to its first damage, numbered by RSF-073, and that damage; a record
 * start whose index passes MAX_RECORD_INDEX is damage too (RSF-052: INDEX_OVERFLOW at the slice).
 */
export function numberSlices(block: ParsedBlock): { slices: NumberedSlice[]; damageAt: Damage | undefined } {
  const slices: NumberedSlice[] = [];
  let nextStart = block.firstIndex as bigint;
  for (const [position, item] of block.items.entries()) {
    if (item.type === 'damage') return { slices, damageAt: item.damage };
    const { slice } = item;
    if (position === 0 && (slice.kind === SliceKind.Middle || slice.kind === SliceKind.Last)) {
      slices.push({ slice, index: nextStart++ });
      continue;
    }
    if (slice.kind === SliceKind.Full || slice.kind === SliceKind.First) {
      if (nextStart > MAX_RECORD_INDEX) return { slices, damageAt: damage('INDEX_OVERFLOW', slice.offset, slice.size, `record index ${nextStart} exceeds the largest index`) };
      slices.push({ slice, index: nextStart++ });
    } else {
      slices.push({ slice, index: nextStart - 1n });
    }
  }
  return { slices, damageAt: undefined };
}
