/**
 * Parses the bytes of one block into its slices (spec §5, §6, §8): the block header, each slice in
 * turn, the rules that hold within one block, and the padding. The rules that span blocks (a record
 * in progress, `first_index` continuity) are the scanner's.
 */
import { decodeBlockHeader } from '../format/block-header.js';
import {
  MAX_PAYLOAD_LENGTH,
  MIN_RECORD_START,
  RECORD_HEADER_SIZE,
  SliceKind,
  blockDataStart,
} from '../format/constants.js';
import { type Damage, damage } from '../format/damage.js';
import type { FileHeader } from '../format/file-header.js';
import { type DecodedSlice, decodeSlice } from '../format/slice.js';
import { decodeRecordHeader, type RecordHeader } from '../format/record-header.js';

/** An intact slice, with the record header it starts with (FULL and FIRST slices). */
export interface SliceItem {
  readonly type: 'slice';
  readonly slice: DecodedSlice;
  readonly recordHeader: RecordHeader | undefined;
}

/**
 * Damage inside the block. `resumeAt` is where parsing went on (within the block) when the
 * damaged slice's header could be trusted; undefined when the rest of the block is lost.
 * `startsRecord` tells whether the damaged slice was a FULL or FIRST slice (it used up an index).
 */
export interface DamageItem {
  readonly type: 'damage';
  readonly damage: Damage;
  readonly resumeAt: number | undefined;
  readonly startsRecord: boolean;
  /** The damaged slice's kind, when its header could be trusted. */
  readonly kind: SliceKind | undefined;
}

export type BlockItem = SliceItem | DamageItem;

export interface ParsedBlock {
  readonly blockNumber: number;
  /** File offset of the block's first byte. */
  readonly offset: number;
  /** The block's bytes (shorter than the block size when the file ends inside it). */
  readonly bytes: Buffer;
  /** The block's `first_index`, or undefined when its header is damaged. */
  readonly firstIndex: bigint | undefined;
  /** Damage of the block header itself: the whole block is unreadable. */
  readonly headerDamage: Damage | undefined;
  readonly items: readonly BlockItem[];
  /** Offset within the block just after the last intact slice (where a torn tail would start). */
  readonly end: number;
}

export function parseBlock(bytes: Buffer, blockNumber: number, header: FileHeader): ParsedBlock {
  const offset = blockNumber * header.blockSize;
  let firstIndex: bigint | undefined = header.baseIndex;
  if (blockNumber > 0) {
    const decoded = decodeBlockHeader(bytes, blockNumber, offset, header.fileId, header.blockSize);
    if ('code' in decoded) {
      return { blockNumber, offset, bytes, firstIndex: undefined, headerDamage: clip(decoded, offset, bytes.length), items: [], end: 0 };
    }
    firstIndex = decoded.firstIndex;
  }
  const { items, end } = parseSlices(bytes, blockNumber, offset, header);
  return { blockNumber, offset, bytes, firstIndex, headerDamage: undefined, items, end };
}

function parseSlices(bytes: Buffer, blockNumber: number, offset: number, header: FileHeader): { items: BlockItem[]; end: number } {
  const items: BlockItem[] = [];
  const dataStart = blockDataStart(blockNumber);
  const blockEnd = header.blockSize;
  let at = dataStart;
  let end = at;
  while (at < bytes.length) {
    const left = blockEnd - at;
    if (left < MIN_RECORD_START) {
      const padding = checkPadding(bytes, at, offset);
      if (padding !== undefined) items.push({ type: 'damage', damage: padding, resumeAt: undefined, startsRecord: false, kind: undefined });
      break;
    }
    const decoded = decodeSlice(bytes, at, offset, blockEnd, header.fileId);
    if ('code' in decoded) {
      const startsRecord = decoded.kind === SliceKind.Full || decoded.kind === SliceKind.First;
      const resumeAt = decoded.skippable ? at + decoded.length : undefined;
      const kind = decoded.skippable ? decoded.kind : undefined;
      items.push({ type: 'damage', damage: clip(decoded, offset, bytes.length), resumeAt, startsRecord, kind });
      if (resumeAt === undefined) break;
      at = resumeAt;
      continue;
    }
    const problem = checkSliceInBlock(decoded, bytes, at, dataStart, blockEnd);
    if (problem !== undefined) {
      items.push({ type: 'damage', damage: problem.damage, resumeAt: at + decoded.size, startsRecord: problem.startsRecord, kind: decoded.kind });
      at += decoded.size;
      continue;
    }
    const recordHeader = decoded.kind === SliceKind.Full || decoded.kind === SliceKind.First ? decodeRecordHeader(bytes, decoded.dataStart) : undefined;
    items.push({ type: 'slice', slice: decoded, recordHeader });
    at += decoded.size;
    end = at;
  }
  return { items, end };
}

/** The within-block rules of RSF-043, RSF-050 and RSF-051 for an intact slice. */
function checkSliceInBlock(
  slice: DecodedSlice,
  bytes: Buffer,
  at: number,
  dataStart: number,
  blockEnd: number,
): { damage: Damage; startsRecord: boolean } | undefined {
  const bad = (message: string, startsRecord: boolean, code: Damage['code'] = 'BAD_SLICE') => ({
    damage: damage(code, slice.offset, slice.size, message),
    startsRecord,
  });
  const fillsBlock = at + slice.size === blockEnd;
  switch (slice.kind) {
    case SliceKind.Middle:
    case SliceKind.Last:
      if (at !== dataStart) return bad(`a ${SliceKind[slice.kind]} slice must be the first slice of its block`, false);
      if (slice.kind === SliceKind.Middle && !fillsBlock) return bad('a MIDDLE slice must fill its block', false);
      if (slice.kind === SliceKind.Last && slice.dataLength === 0) return bad('a LAST slice must hold at least 1 byte', false);
      return undefined;
    case SliceKind.Full:
    case SliceKind.First: {
      if (slice.dataLength < RECORD_HEADER_SIZE) return bad(`a ${SliceKind[slice.kind]} slice of ${slice.dataLength} data bytes cannot hold a record header`, true);
      const { payloadLength } = decodeRecordHeader(bytes, slice.dataStart);
      if (payloadLength > MAX_PAYLOAD_LENGTH) return bad(`payload length ${payloadLength} exceeds the limit of ${MAX_PAYLOAD_LENGTH}`, true, 'RECORD_TOO_LARGE');
      if (slice.kind === SliceKind.First && !fillsBlock) return bad('a FIRST slice must fill its block', true);
      if (slice.kind === SliceKind.Full && slice.dataLength !== RECORD_HEADER_SIZE + payloadLength) {
        return bad(`a FULL slice of ${slice.dataLength} data bytes holds a record of ${RECORD_HEADER_SIZE + payloadLength}`, true);
      }
      if (slice.kind === SliceKind.First && slice.dataLength >= RECORD_HEADER_SIZE + payloadLength) {
        return bad('a FIRST slice holds its whole record: it should have been FULL', true);
      }
      return undefined;
    }
  }
}

function checkPadding(bytes: Buffer, at: number, blockOffset: number): Damage | undefined {
  for (let i = at; i < bytes.length; i++) {
    if (bytes[i] !== 0) return damage('BAD_PADDING', blockOffset + at, bytes.length - at, `padding byte at offset ${blockOffset + i} is not zero`);
  }
  return undefined;
}

/** Limits a damage's length to the bytes that exist (the file may end inside the block). */
function clip(found: Damage, blockOffset: number, available: number): Damage {
  const limit = blockOffset + available - found.offset;
  return limit >= found.length || limit <= 0 ? found : { ...found, length: limit };
}
