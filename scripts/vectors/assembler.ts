/**
 * Builds LSFS files for the vectors: canonical records through the engine's encoder
 * (`encodeRecord`), checked against an independent plan of spec §8, and any other structure —
 * out-of-sequence slices, wrong block headers, resealed fields — written byte by byte, so that a
 * damaged file holds exactly the damage its case describes.
 *
 * Checksums of crafted structures use the bit-by-bit CRC-32C below, not the engine's, so that a
 * mistake in the engine's CRC or slice context cannot hide in the vectors.
 */
import { encodeRecord } from '../../src/format/layout.js';

export const FILE_HEADER_SIZE = 64;
export const BLOCK_HEADER_SIZE = 32;
export const SLICE_OVERHEAD = 12;
export const RECORD_HEADER_SIZE = 12;
export const MIN_RECORD_START = 24;
export const MAX_PAYLOAD_LENGTH = 2 ** 30;
export const MAX_RECORD_INDEX = 2n ** 64n - 2n;

export const FULL = 1;
export const FIRST = 2;
export const MIDDLE = 3;
export const LAST = 4;
export const KIND_NAMES: Record<number, string> = { 1: 'FULL', 2: 'FIRST', 3: 'MIDDLE', 4: 'LAST' };

const SLICE_MAGIC = 0x4c53;
const BLOCK_MAGIC = 0x4b42534c;

// ---------------------------------------------------------------------------------------------
// CRC-32C, written out from spec §3 (reflected polynomial 0x82F63B78)
// ---------------------------------------------------------------------------------------------

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (0x82f63b78 ^ (c >>> 1)) >>> 0 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C of `parts` concatenated. */
export function crc32cOf(...parts: Uint8Array[]): number {
  let register = 0xffffffff;
  for (const part of parts) for (const byte of part) register = (TABLE[(register ^ byte) & 0xff]! ^ (register >>> 8)) >>> 0;
  return (register ^ 0xffffffff) >>> 0;
}

if (crc32cOf(Buffer.from('123456789', 'ascii')) !== 0xe3069283 || crc32cOf() !== 0) {
  throw new Error('generator CRC-32C does not give the check values of spec §3');
}

/** The 16-byte slice context of spec §3: file_id ‖ slice_offset, both u64 little-endian. */
export function sliceContext(fileId: bigint, offset: number): Buffer {
  const context = Buffer.alloc(16);
  context.writeBigUInt64LE(fileId, 0);
  context.writeBigUInt64LE(BigInt(offset), 8);
  return context;
}

// ---------------------------------------------------------------------------------------------
// Parameters and the canonical layout plan (spec §8)
// ---------------------------------------------------------------------------------------------

export interface FileParams {
  readonly blockSize: number;
  readonly fileId: bigint;
  readonly baseIndex: bigint;
}

export interface SliceInfo {
  readonly offset: number;
  readonly kind: number;
  readonly dataLength: number;
  /** Offset just after the slice's trailer. */
  readonly end: number;
}

export interface RecordInfo {
  readonly index: bigint;
  readonly typeCode: bigint;
  readonly payload: Buffer;
  /** File length before the record was appended (padding, if any, starts here). */
  readonly start: number;
  /** Offset of the record's FULL or FIRST slice. */
  readonly offset: number;
  /** Offset just after its FULL or LAST slice. */
  readonly end: number;
  readonly slices: readonly SliceInfo[];
  /** Offsets of the block headers written for this record. */
  readonly blockHeaders: readonly number[];
  /** Zero padding written before the record, if any. */
  readonly padding: { readonly offset: number; readonly length: number } | undefined;
}

interface Plan {
  padding: { offset: number; length: number } | undefined;
  blockHeaders: number[];
  slices: SliceInfo[];
  end: number;
}

/** Where §8 puts a record of `payloadLength` bytes appended at file length `position`. */
export function planRecord(position: number, payloadLength: number, blockSize: number): Plan {
  const within = position % blockSize;
  let left = within === 0 ? 0 : blockSize - within;
  let at = position;
  let padding: Plan['padding'];
  const blockHeaders: number[] = [];
  const slices: SliceInfo[] = [];
  if (left < MIN_RECORD_START) {
    if (left > 0) padding = { offset: at, length: left };
    at += left;
    blockHeaders.push(at);
    at += BLOCK_HEADER_SIZE;
    left = blockSize - BLOCK_HEADER_SIZE;
  }
  let data = RECORD_HEADER_SIZE + payloadLength;
  const push = (kind: number, dataLength: number): void => {
    slices.push({ offset: at, kind, dataLength, end: at + SLICE_OVERHEAD + dataLength });
    at += SLICE_OVERHEAD + dataLength;
  };
  if (data + SLICE_OVERHEAD <= left) {
    push(FULL, data);
  } else {
    push(FIRST, left - SLICE_OVERHEAD);
    data -= left - SLICE_OVERHEAD;
    const capacity = blockSize - BLOCK_HEADER_SIZE - SLICE_OVERHEAD;
    while (data > 0) {
      blockHeaders.push(at);
      at += BLOCK_HEADER_SIZE;
      const count = Math.min(data, capacity);
      push(data > capacity ? MIDDLE : LAST, count);
      data -= count;
    }
  }
  return { padding, blockHeaders, slices, end: at };
}

// ---------------------------------------------------------------------------------------------
// The assembler
// ---------------------------------------------------------------------------------------------

export interface SliceOptions {
  /** Offset whose context the checksums use (default: where the slice is written). */
  readonly contextOffset?: number;
  /** File id of the context (default: the file's). */
  readonly fileId?: bigint;
  readonly reserved?: number;
  /** `data_length` field to write, if not the data's length (the checksums then cover that many bytes). */
  readonly dataLengthField?: number;
}

export class FileAssembler {
  readonly params: FileParams;
  private chunks: Buffer[] = [];
  private size = 0;
  readonly records: RecordInfo[] = [];
  /** Index the next canonical record gets. */
  nextIndex: bigint;

  constructor(params: FileParams, options: { header?: Buffer } = {}) {
    this.params = params;
    this.nextIndex = params.baseIndex;
    this.raw(options.header ?? fileHeaderBytes(params));
  }

  get length(): number {
    return this.size;
  }

  /** Bytes left in the current block after the file's end (0 at a block boundary). */
  get leftInBlock(): number {
    const within = this.size % this.params.blockSize;
    return within === 0 ? 0 : this.params.blockSize - within;
  }

  /** Appends a record exactly as a conforming writer does (spec §8). */
  record(typeCode: bigint, payload: Buffer, options: { index?: bigint } = {}): RecordInfo {
    const index = options.index ?? this.nextIndex;
    const { blockSize, fileId } = this.params;
    const bytes = encodeRecord(this.size, index, typeCode, payload, { blockSize, fileId });
    const plan = planRecord(this.size, payload.length, blockSize);
    if (plan.end - this.size !== bytes.length) throw new Error(`encodeRecord wrote ${bytes.length} bytes, §8 plans ${plan.end - this.size}`);
    for (const slice of plan.slices) {
      const at = slice.offset - this.size;
      if (bytes.readUInt16LE(at) !== SLICE_MAGIC || bytes[at + 2] !== slice.kind || bytes.readUInt16LE(at + 4) !== slice.dataLength) {
        throw new Error(`encodeRecord placed a slice differently from §8 at offset ${slice.offset}`);
      }
    }
    const info: RecordInfo = {
      index,
      typeCode,
      payload,
      start: this.size,
      offset: plan.slices[0]!.offset,
      end: plan.end,
      slices: plan.slices,
      blockHeaders: plan.blockHeaders,
      padding: plan.padding,
    };
    this.raw(bytes);
    this.records.push(info);
    this.nextIndex = index + 1n;
    return info;
  }

  /** A block header at the current position, which must be a block boundary. */
  blockHeader(fields: { firstIndex: bigint; blockNumber?: bigint; fileId?: bigint; magic?: number }): number {
    const at = this.size;
    if (at % this.params.blockSize !== 0) throw new Error(`a block header at ${at} is not at a block boundary`);
    this.raw(blockHeaderBytes({
      fileId: fields.fileId ?? this.params.fileId,
      blockNumber: fields.blockNumber ?? BigInt(at / this.params.blockSize),
      firstIndex: fields.firstIndex,
      magic: fields.magic ?? BLOCK_MAGIC,
    }));
    return at;
  }

  /** A slice of `kind` holding `data`, sealed for where it is written (or as `options` say). */
  slice(kind: number, data: Buffer, options: SliceOptions = {}): SliceInfo {
    const at = this.size;
    const bytes = sliceBytes(kind, data, options.fileId ?? this.params.fileId, options.contextOffset ?? at, options);
    this.raw(bytes);
    return { offset: at, kind, dataLength: data.length, end: at + bytes.length };
  }

  /** Zero padding up to the end of the current block. */
  padToBlockEnd(): void {
    this.raw(Buffer.alloc(this.leftInBlock));
  }

  raw(bytes: Uint8Array): void {
    const chunk = Buffer.from(bytes);
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

/**
 * The 64-byte file header of spec section 4, written from its table (any u64 base index, also
 * 2^64 - 1, which a writer refuses to create but a reader must read).
 */
export function fileHeaderBytes(params: FileParams): Buffer {
  const bytes = Buffer.alloc(FILE_HEADER_SIZE);
  Buffer.from('894c53460d0a1a0a', 'hex').copy(bytes, 0);
  bytes.writeUInt16LE(1, 8);
  bytes[10] = Math.log2(params.blockSize);
  bytes.writeBigUInt64LE(params.fileId, 16);
  bytes.writeBigUInt64LE(params.baseIndex, 24);
  bytes.writeUInt32LE(crc32cOf(bytes.subarray(0, 60)), 60);
  return bytes;
}

/** A record's data: its 12-byte record header (type code, payload length) then its payload. */
export function recordData(typeCode: bigint, payload: Buffer, payloadLengthField = payload.length): Buffer {
  const header = Buffer.alloc(RECORD_HEADER_SIZE);
  header.writeBigUInt64LE(typeCode, 0);
  header.writeUInt32LE(payloadLengthField, 8);
  return Buffer.concat([header, payload]);
}

export function blockHeaderBytes(fields: { fileId: bigint; blockNumber: bigint; firstIndex: bigint; magic?: number }): Buffer {
  const bytes = Buffer.alloc(BLOCK_HEADER_SIZE);
  bytes.writeUInt32LE(fields.magic ?? BLOCK_MAGIC, 0);
  bytes.writeBigUInt64LE(fields.fileId, 8);
  bytes.writeBigUInt64LE(fields.blockNumber, 16);
  bytes.writeBigUInt64LE(fields.firstIndex, 24);
  bytes.writeUInt32LE(crc32cOf(bytes.subarray(8, 32)), 4);
  return bytes;
}

export function sliceBytes(kind: number, data: Buffer, fileId: bigint, contextOffset: number, options: SliceOptions = {}): Buffer {
  const bytes = Buffer.alloc(SLICE_OVERHEAD + data.length);
  data.copy(bytes, 8);
  sealSliceAt(bytes, 0, { kind, reserved: options.reserved ?? 0, dataLength: options.dataLengthField ?? data.length }, fileId, contextOffset);
  return bytes;
}

/**
 * Writes the header fields of the slice at `at` in `bytes` and recomputes `header_check` and
 * `slice_crc` for them (the trailer goes after `dataLength` data bytes).
 */
export function sealSliceAt(
  bytes: Buffer,
  at: number,
  fields: { kind: number; reserved: number; dataLength: number; magic?: number },
  fileId: bigint,
  contextOffset: number,
  options: { trailer?: boolean } = {},
): void {
  const context = sliceContext(fileId, contextOffset);
  bytes.writeUInt16LE(fields.magic ?? SLICE_MAGIC, at);
  bytes[at + 2] = fields.kind;
  bytes[at + 3] = fields.reserved;
  bytes.writeUInt16LE(fields.dataLength, at + 4);
  bytes.writeUInt16LE(crc32cOf(context, bytes.subarray(at, at + 6)) & 0xffff, at + 6);
  const dataEnd = at + 8 + fields.dataLength;
  if (options.trailer !== false && dataEnd + 4 <= bytes.length) bytes.writeUInt32LE(crc32cOf(context, bytes.subarray(at, dataEnd)), dataEnd);
}

// ---------------------------------------------------------------------------------------------
// Mutations of finished files (each returns a new buffer)
// ---------------------------------------------------------------------------------------------

export function flipBit(bytes: Buffer, offset: number, bit = 0): Buffer {
  const out = Buffer.from(bytes);
  if (offset >= out.length) throw new Error(`flip at ${offset} is outside a file of ${out.length} bytes`);
  out[offset]! ^= 1 << bit;
  return out;
}

export function cut(bytes: Buffer, length: number): Buffer {
  if (length > bytes.length) throw new Error(`cut at ${length} is beyond a file of ${bytes.length} bytes`);
  return Buffer.from(bytes.subarray(0, length));
}

export function overwrite(bytes: Buffer, offset: number, data: Uint8Array): Buffer {
  const out = Buffer.from(bytes);
  if (offset + data.length > out.length) throw new Error('overwrite runs past the end of the file');
  out.set(data, offset);
  return out;
}

/** Every byte from `from` on replaced by `fill` (a torn sector run of appendix A). */
export function tear(bytes: Buffer, from: number, fill: 'zero' | Buffer): Buffer {
  const out = Buffer.from(bytes);
  if (fill === 'zero') out.fill(0, from);
  else out.set(fill.subarray(0, out.length - from), from);
  return out;
}

/** Changes header fields of the slice at `offset` and reseals it, so that only the change is wrong. */
export function resealSlice(
  bytes: Buffer,
  offset: number,
  fileId: bigint,
  change: { kind?: number; reserved?: number; dataLength?: number; magic?: number },
  options: { trailer?: boolean } = {},
): Buffer {
  const out = Buffer.from(bytes);
  sealSliceAt(
    out,
    offset,
    {
      kind: change.kind ?? out[offset + 2]!,
      reserved: change.reserved ?? out[offset + 3]!,
      dataLength: change.dataLength ?? out.readUInt16LE(offset + 4),
      ...(change.magic === undefined ? {} : { magic: change.magic }),
    },
    fileId,
    offset,
    options,
  );
  return out;
}

/** Changes the record header in the FULL or FIRST slice at `offset` and reseals the slice. */
export function resealRecordHeader(bytes: Buffer, offset: number, fileId: bigint, change: { typeCode?: bigint; payloadLength?: number }): Buffer {
  const out = Buffer.from(bytes);
  if (change.typeCode !== undefined) out.writeBigUInt64LE(change.typeCode, offset + 8);
  if (change.payloadLength !== undefined) out.writeUInt32LE(change.payloadLength, offset + 16);
  return resealSlice(out, offset, fileId, {});
}

/** Rewrites the block header at `offset` with the given fields and a correct `header_crc`. */
export function rewriteBlockHeader(bytes: Buffer, offset: number, fields: { fileId?: bigint; blockNumber?: bigint; firstIndex?: bigint; magic?: number }): Buffer {
  const out = Buffer.from(bytes);
  const header = blockHeaderBytes({
    fileId: fields.fileId ?? out.readBigUInt64LE(offset + 8),
    blockNumber: fields.blockNumber ?? out.readBigUInt64LE(offset + 16),
    firstIndex: fields.firstIndex ?? out.readBigUInt64LE(offset + 24),
    ...(fields.magic === undefined ? {} : { magic: fields.magic }),
  });
  header.copy(out, offset);
  return out;
}

/** Changes the file header with `edit`, then recomputes `header_crc` unless told not to. */
export function editFileHeader(bytes: Buffer, edit: (header: Buffer) => void, options: { recomputeCrc?: boolean } = {}): Buffer {
  const out = Buffer.from(bytes);
  edit(out.subarray(0, FILE_HEADER_SIZE));
  if (options.recomputeCrc !== false) out.writeUInt32LE(crc32cOf(out.subarray(0, 60)), 60);
  return out;
}
