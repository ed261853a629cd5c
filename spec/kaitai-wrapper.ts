/**
 * A second, independent reading of LSFS files (spec/lsfs-format.md): the Kaitai Struct parser
 * generated from spec/lsfs.ksy splits a file into its file header, block headers, slices and
 * padding, and this wrapper does what Kaitai cannot (spec §14): it verifies every CRC-32C (with the
 * slice context of §3), checks the fields in the order the spec prescribes (RSF-022, RSF-031,
 * RSF-042, RSF-052), follows the FULL / FIRST MIDDLE* LAST sequence across blocks, checks each
 * block's `first_index` (RSF-032), numbers and reassembles the records (RSF-073) and classifies
 * damage as torn tail or interior (§9).
 *
 * It offers three readings of a file's bytes:
 *
 * - {@link readLsfsWithKaitai} in `strict` mode (RSF-071): the records before the first damage,
 *   then that damage as an error (interior) or as the torn tail;
 * - {@link readLsfsWithKaitai} in `salvage` mode (RSF-072): every record that can be read, the
 *   gaps, and the torn tail;
 * - {@link openLsfsWithKaitai}: the end of the log found from the tail (§10), parsing only the
 *   blocks §10 names.
 *
 * Each block is parsed on its own (its header, then each slice with the rules that hold within one
 * block, then the padding); the rules across blocks are the forward scan's (strict and salvage) or
 * the open's.
 *
 * It deliberately imports nothing from `src/`: its constants come from the spec's text.
 *
 * The generated parser (spec/generated/javascript/Lsfs.js, made by `npm run build` from
 * scripts/build-kaitai.mjs) is a UMD module, loaded with `createRequire`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

// ---------------------------------------------------------------------------------------------
// Constants of spec §2, §4–§7.

const FILE_HEADER_SIZE = 64;
const BLOCK_HEADER_SIZE = 32;
const SLICE_HEADER_SIZE = 8;
const SLICE_OVERHEAD = 12;
const RECORD_HEADER_SIZE = 12;
const MIN_RECORD_START = 24;
const MAX_PAYLOAD_LENGTH = 2 ** 30;
const MAX_RECORD_INDEX = 2n ** 64n - 2n;
const FILE_MAGIC = Buffer.from([0x89, 0x4c, 0x53, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const BLOCK_MAGIC = Buffer.from('LSBK', 'latin1');
const SLICE_MAGIC = Buffer.from('SL', 'latin1');
const KIND_FULL = 1;
const KIND_FIRST = 2;
const KIND_MIDDLE = 3;
const KIND_LAST = 4;
const KIND_NAMES: Readonly<Record<number, string>> = { 1: 'FULL', 2: 'FIRST', 3: 'MIDDLE', 4: 'LAST' };

/** The damage codes of spec §12 that a read of a file's bytes can report. */
export type KaitaiDamageCode =
  | 'TRUNCATED_HEADER'
  | 'BAD_MAGIC'
  | 'UNSUPPORTED_VERSION'
  | 'UNSUPPORTED_FEATURE'
  | 'BAD_BLOCK_SIZE'
  | 'CHECKSUM_MISMATCH'
  | 'FOREIGN_BLOCK'
  | 'MISPLACED_BLOCK'
  | 'INDEX_OUT_OF_ORDER'
  | 'BAD_SLICE'
  | 'BAD_PADDING'
  | 'RECORD_TOO_LARGE'
  | 'TORN_TAIL'
  | 'INDEX_OVERFLOW';

export interface KaitaiRecord {
  readonly index: bigint;
  readonly typeCode: bigint;
  readonly payload: Buffer;
}

/** A byte range a salvage read could not read (RSF-072 rule 2): the code and offset of the damage that opened it. */
export interface KaitaiGap {
  readonly code: KaitaiDamageCode;
  readonly offset: number;
  readonly length: number;
  readonly message: string;
}

/** How a read treats damage: `strict` stops at the first (RSF-071), `salvage` reads past it (RSF-072). */
export type KaitaiReadMode = 'strict' | 'salvage';

export interface KaitaiReadResult {
  readonly fileId: bigint;
  readonly blockSize: number;
  readonly baseIndex: bigint;
  /** The records, in index order (salvage: in file order). */
  readonly records: KaitaiRecord[];
  /** The gaps of a salvage read, in file order; always empty for a strict read. */
  readonly gaps: KaitaiGap[];
  /**
   * Present when the file ends with a torn tail (spec §9, RSF-071, RSF-072 rule 3): `offset` is
   * where the last whole record ends (salvage: or the last gap, whichever is later).
   */
  readonly tail?: { readonly code: 'TORN_TAIL'; readonly offset: number };
  /**
   * How Kaitai parsed the file: `whole-file` when the top-level type of lsfs.ksy parsed it in one
   * go (every clean file), `per-structure` when that failed and the wrapper parsed the file
   * header, block headers and slices one at a time with the schema's types to find the damage.
   */
  readonly kaitaiParse: 'whole-file' | 'per-structure';
}

/**
 * A read's failure (interior damage, or a bad file header) or an open's (interior damage §10
 * finds): the spec §12 code and the file offset.
 */
export class KaitaiLsfsError extends Error {
  override readonly name = 'KaitaiLsfsError';
  readonly code: KaitaiDamageCode;
  readonly offset: number;
  /** The records before the damage (RSF-071), in order. */
  readonly records: KaitaiRecord[];

  constructor(code: KaitaiDamageCode, offset: number, message: string, records: KaitaiRecord[] = [], cause?: unknown) {
    super(`${code} at offset ${offset}: ${message}`, cause === undefined ? undefined : { cause });
    this.code = code;
    this.offset = offset;
    this.records = records;
  }

  /** True for a failure of the file header (RSF-022): every other damage lies at offset 64 or later. */
  get inFileHeader(): boolean {
    return this.offset < FILE_HEADER_SIZE;
  }
}

// ---------------------------------------------------------------------------------------------
// The generated parser's shape (spec/lsfs.ksy, JavaScript target). u8 fields are doubles there.

export interface KsStream {
  pos: number;
  readonly size: number;
}
export interface KsFileHeader {
  readonly formatVersion: number;
  readonly blockSizeLog2: number;
  readonly fileId: number;
  readonly baseIndex: number;
  readonly headerCrc: number;
  readonly crcInput: Uint8Array;
}
export interface KsBlockHeader {
  readonly headerCrc: number;
  readonly fileId: number;
  readonly blockNumber: number;
  readonly firstIndex: number;
  readonly crcInput: Uint8Array;
}
export interface KsSliceHeader {
  readonly kind: number;
  readonly reserved: number;
  readonly dataLength: number;
  readonly headerCheck: number;
}
export interface KsSlice {
  readonly _raw_header: Uint8Array;
  readonly header: KsSliceHeader;
  readonly data: Uint8Array;
  readonly trailer: { readonly sliceCrc: number };
}
export interface KsBlock {
  readonly number: number;
  readonly header?: KsBlockHeader;
  readonly data: { readonly slices?: KsSlice[]; readonly padding: number[] };
}
export interface KsLsfs {
  readonly fileHeader: KsFileHeader;
  readonly blocks: KsBlock[];
  readonly blockSize: number;
}
export interface KsRecordHeader {
  readonly typeCode: number;
  readonly payloadLength: number;
}
export type KsType<T> = new (io: KsStream, parent?: unknown, root?: unknown) => T;
export interface KsLsfsClass extends KsType<KsLsfs> {
  readonly FileHeader: KsType<KsFileHeader>;
  readonly BlockHeader: KsType<KsBlockHeader>;
  readonly Slice: KsType<KsSlice>;
  readonly RecordHeader: KsType<KsRecordHeader>;
}
export type KsStreamClass = new (view: DataView) => KsStream;

export interface KaitaiParser {
  /** The top-level type `lsfs` and its nested types. */
  readonly Lsfs: KsLsfsClass;
  readonly KaitaiStream: KsStreamClass;
  /** Path of the generated module that was loaded. */
  readonly modulePath: string;
}

let loaded: KaitaiParser | undefined;

/** Where the generated parser may be, for this file run from spec/ (tsx, vitest) or from dist/spec/ (tsc). */
function parserCandidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [
    join(here, 'generated', 'javascript', 'Lsfs.js'),
    join(here, '..', '..', 'spec', 'generated', 'javascript', 'Lsfs.js'),
  ];
}

/** Loads the generated parser (once). Throws a clear error when `npm run build` has not made it. */
export function loadKaitaiParser(): KaitaiParser {
  if (loaded !== undefined) return loaded;
  const candidates = parserCandidates();
  const modulePath = candidates.find((candidate) => existsSync(candidate));
  if (modulePath === undefined) {
    throw new Error(`the Kaitai parser generated from spec/lsfs.ksy is missing (looked for ${candidates.join(', ')}); run \`npm run build\` or \`node scripts/build-kaitai.mjs\``);
  }
  const require = createRequire(modulePath);
  const module = require(modulePath) as { Lsfs?: KsLsfsClass };
  // Resolved from the generated module's own place, so both share one runtime (and its error classes).
  const KaitaiStream = require('kaitai-struct/KaitaiStream') as KsStreamClass;
  if (typeof module.Lsfs !== 'function') throw new Error(`${modulePath} does not export the Lsfs parser`);
  loaded = { Lsfs: module.Lsfs, KaitaiStream, modulePath };
  return loaded;
}

/** Parses a whole file with the schema's top-level type (no checksums, no sequence rules). Throws what Kaitai throws. */
export function parseKaitaiTree(bytes: Uint8Array): KsLsfs {
  const parser = loadKaitaiParser();
  return new parser.Lsfs(streamOf(parser, bytes));
}

function streamOf(parser: KaitaiParser, bytes: Uint8Array): KsStream {
  return new parser.KaitaiStream(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** Errors the Kaitai runtime throws for input it rejects (as opposed to bugs). */
const KAITAI_ERRORS = new Set([
  'EOFError',
  'ValidationNotEqualError',
  'ValidationLessThanError',
  'ValidationGreaterThanError',
  'ValidationNotAnyOfError',
  'ValidationNotInEnumError',
  'ValidationExprError',
]);

function isKaitaiRejection(error: unknown): error is Error {
  return error instanceof Error && KAITAI_ERRORS.has(error.name);
}

// ---------------------------------------------------------------------------------------------
// CRC-32C (spec §3).

function crc32c(data: Uint8Array, previous = 0): number {
  return nativeCrc32c(data, previous) >>> 0;
}

function sliceContextCrc(fileId: bigint, sliceOffset: number): number {
  const context = Buffer.alloc(16);
  context.writeBigUInt64LE(fileId, 0);
  context.writeBigUInt64LE(BigInt(sliceOffset), 8);
  return crc32c(context);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The exact u64 at `at` in `bytes`, cross-checked against the double Kaitai's runtime read for it. */
function exactU64(bytes: Uint8Array, at: number, kaitaiValue: number, what: string): bigint {
  const exact = asBuffer(bytes).readBigUInt64LE(at);
  if (Number(exact) !== kaitaiValue) {
    throw new Error(`internal: Kaitai read ${what} as ${kaitaiValue}, the bytes hold ${exact}`);
  }
  return exact;
}

/**
 * Damage found in the file (spec §9): its code, its offset (the start of the structure in which it
 * was found) and its length (the bytes it makes unreadable, RSF-072 rule 1); classified as tail or
 * interior once found.
 */
class Damage {
  readonly length: number;

  constructor(
    readonly code: KaitaiDamageCode,
    readonly offset: number,
    length: number,
    readonly message: string,
    readonly cause?: unknown,
  ) {
    this.length = Math.max(1, length);
  }

  toError(records: KaitaiRecord[] = []): KaitaiLsfsError {
    return new KaitaiLsfsError(this.code, this.offset, this.message, records, this.cause);
  }
}

// ---------------------------------------------------------------------------------------------
// File header (spec §4, RSF-022).

interface FileHeaderInfo {
  readonly blockSize: number;
  readonly fileId: bigint;
  readonly baseIndex: bigint;
}

function readFileHeader(parser: KaitaiParser, file: Buffer, tree: KsLsfs | undefined): FileHeaderInfo {
  if (file.length < FILE_HEADER_SIZE) {
    throw new KaitaiLsfsError('TRUNCATED_HEADER', 0, `file is ${file.length} bytes, shorter than its 64-byte header`);
  }
  let header: KsFileHeader;
  try {
    header = tree?.fileHeader ?? new parser.Lsfs.FileHeader(streamOf(parser, file.subarray(0, FILE_HEADER_SIZE)));
  } catch (error) {
    if (!isKaitaiRejection(error)) throw error;
    throw diagnoseFileHeader(file, error);
  }
  // Kaitai has checked magic, version, block size and reserved fields; the checksum comes before
  // the last two in the spec's order, but a header Kaitai accepted has them right anyway.
  const crc = crc32c(header.crcInput);
  if (crc !== header.headerCrc) {
    throw new KaitaiLsfsError('CHECKSUM_MISMATCH', 60, `file header checksum ${hex(header.headerCrc)} does not match ${hex(crc)}`);
  }
  const fileId = exactU64(header.crcInput, 16, header.fileId, 'file_id');
  const baseIndex = exactU64(header.crcInput, 24, header.baseIndex, 'base_index');
  // RSF-022's last check; MAX_RECORD_INDEX + 1 is 2^64 - 1, so no u64 fails it (kept for fidelity).
  if (baseIndex > MAX_RECORD_INDEX + 1n) {
    throw new KaitaiLsfsError('INDEX_OVERFLOW', 24, `base index ${baseIndex} exceeds the largest record index`);
  }
  return { blockSize: 2 ** header.blockSizeLog2, fileId, baseIndex };
}

/** Kaitai rejected the file header: find, in the order of RSF-022, which check fails first. */
function diagnoseFileHeader(file: Buffer, error: Error): KaitaiLsfsError {
  const fail = (code: KaitaiDamageCode, offset: number, message: string) => new KaitaiLsfsError(code, offset, message, [], error);
  if (!file.subarray(0, 8).equals(FILE_MAGIC)) return fail('BAD_MAGIC', 0, 'not an LSFS file: bad file magic');
  const version = file.readUInt16LE(8);
  if (version !== 1) return fail('UNSUPPORTED_VERSION', 8, `format version ${version} is not 1`);
  const crc = crc32c(file.subarray(0, 60));
  if (crc !== file.readUInt32LE(60)) return fail('CHECKSUM_MISMATCH', 60, `file header checksum ${hex(file.readUInt32LE(60))} does not match ${hex(crc)}`);
  const log2 = file[10] ?? 0;
  if (log2 < 9 || log2 > 16) return fail('BAD_BLOCK_SIZE', 10, `block size log2 ${log2} is outside 9..16`);
  if (file[11] !== 0) return fail('UNSUPPORTED_FEATURE', 11, 'reserved_0 is not zero');
  if (file.readUInt32LE(12) !== 0) return fail('UNSUPPORTED_FEATURE', 12, 'feature_flags is not zero');
  if (file.subarray(32, 60).some((byte) => byte !== 0)) return fail('UNSUPPORTED_FEATURE', 32, 'reserved_1 is not zero');
  throw new Error(`internal: Kaitai rejected a file header the spec accepts: ${error.message}`, { cause: error });
}

// ---------------------------------------------------------------------------------------------
// One block (spec §5–§8): its header, then each slice with the rules that hold within one block
// (RSF-042 checks 1 to 8, the within-block rules of RSF-052), then the padding. The rules across
// blocks are the forward scan's and the open's.

/** An intact slice that passed the rules within its block. */
interface SliceItem {
  readonly type: 'slice';
  /** File offset of the slice header. */
  readonly offset: number;
  readonly kind: number;
  /** Total bytes: header, data, trailer. */
  readonly size: number;
  readonly data: Uint8Array;
  /** The record header in the first 12 data bytes of a FULL or FIRST slice. */
  readonly recordHeader: { readonly typeCode: bigint; readonly payloadLength: number } | undefined;
}

/** Damage inside a block: a slice that failed a check, or non-zero padding. */
interface DamageItem {
  readonly type: 'damage';
  readonly damage: Damage;
  /**
   * File offset where the block's parse went on: right after the slice when its header passed
   * checks 1 to 6 of RSF-042 and it failed check 8 or 9 (its length can be trusted); undefined when
   * the rest of the block is lost.
   */
  readonly resumeAt: number | undefined;
  /** The slice's kind, when its header passed checks 1 to 6 of RSF-042. */
  readonly kind: number | undefined;
}

type BlockItem = SliceItem | DamageItem;

interface ParsedBlock {
  readonly number: number;
  /** File offset of the block's first byte. */
  readonly start: number;
  /** Where the block's bytes end: the block's end, or the file's when it ends inside the block. */
  readonly end: number;
  /** The block's `first_index` (block 0: the base index); undefined when its header is damaged. */
  readonly firstIndex: bigint | undefined;
  /** Damage of the block header (RSF-031): the whole block is lost. */
  readonly headerDamage: Damage | undefined;
  readonly items: readonly BlockItem[];
}

function isContinuation(kind: number | undefined): boolean {
  return kind === KIND_MIDDLE || kind === KIND_LAST;
}

function isRecordStart(kind: number | undefined): boolean {
  return kind === KIND_FULL || kind === KIND_FIRST;
}

/** Does the block begin with a MIDDLE or LAST slice (one whose header passed checks 1 to 6 of RSF-042)? */
function beginsWithContinuation(block: ParsedBlock): boolean {
  const first = block.items[0];
  return first !== undefined && isContinuation(first.kind);
}

/**
 * The file's bytes as the Kaitai schema's structures: block headers and slices parsed with the
 * schema's types (taken from the whole-file parse when there is one, else parsed one at a time),
 * checked by the wrapper in the spec's order.
 */
class KaitaiFile {
  readonly blockSize: number;
  readonly fileId: bigint;
  readonly baseIndex: bigint;
  /** The number of the file's last block (block 0 when the file is only its header). */
  readonly lastBlock: number;
  /** Slices of the whole-file parse by file offset, when it succeeded. */
  private readonly treeSlices = new Map<number, KsSlice>();
  private readonly treePadding = new Map<number, number>();
  private readonly treeSlicesUsed = new Set<number>();
  /** The blocks parsed so far, in the order they were parsed. */
  readonly blocksParsed: number[] = [];

  constructor(
    private readonly parser: KaitaiParser,
    readonly file: Buffer,
    header: FileHeaderInfo,
    private readonly tree: KsLsfs | undefined,
  ) {
    this.blockSize = header.blockSize;
    this.fileId = header.fileId;
    this.baseIndex = header.baseIndex;
    this.lastBlock = Math.floor((file.length - 1) / header.blockSize);
    if (tree !== undefined) this.indexTree(tree);
  }

  get size(): number {
    return this.file.length;
  }

  /** Records where the whole-file parse put each slice and padding run. */
  private indexTree(tree: KsLsfs): void {
    if (tree.blockSize !== this.blockSize) throw new Error(`internal: Kaitai's block size ${tree.blockSize} is not ${this.blockSize}`);
    tree.blocks.forEach((block, k) => {
      if (block.number !== k) throw new Error(`internal: Kaitai numbered block ${k} as ${block.number}`);
      let at = k * this.blockSize + (k === 0 ? FILE_HEADER_SIZE : BLOCK_HEADER_SIZE);
      for (const slice of block.data.slices ?? []) {
        this.treeSlices.set(at, slice);
        at += SLICE_OVERHEAD + slice.header.dataLength;
      }
      this.treePadding.set(at, block.data.padding.length);
    });
  }

  /** Parses block `k`: its header (k ≥ 1), then its slices and padding. */
  parseBlock(k: number): ParsedBlock {
    this.blocksParsed.push(k);
    const start = k * this.blockSize;
    const end = Math.min(start + this.blockSize, this.file.length);
    let firstIndex = this.baseIndex;
    if (k > 0) {
      const header = this.blockHeader(k);
      if (header instanceof Damage) return { number: k, start, end, firstIndex: undefined, headerDamage: header, items: [] };
      firstIndex = header.firstIndex;
    }
    return { number: k, start, end, firstIndex, headerDamage: undefined, items: this.parseData(k, start, end) };
  }

  /** The header of block k ≥ 1 checked in the order of RSF-031: its `first_index`, or its damage (which loses the block). */
  blockHeader(k: number): { readonly firstIndex: bigint } | Damage {
    const { file } = this;
    const start = k * this.blockSize;
    const lost = Math.min(this.blockSize, file.length - start);
    if (file.length - start < BLOCK_HEADER_SIZE) {
      return new Damage('TORN_TAIL', start, lost, `file ends inside the header of block ${k}`);
    }
    let header: KsBlockHeader;
    try {
      header = this.tree?.blocks[k]?.header ?? new this.parser.Lsfs.BlockHeader(streamOf(this.parser, file.subarray(start, start + BLOCK_HEADER_SIZE)));
    } catch (error) {
      if (!isKaitaiRejection(error)) throw error;
      // The block header's only Kaitai check is its magic.
      if (!file.subarray(start, start + 4).equals(BLOCK_MAGIC)) return new Damage('BAD_MAGIC', start, lost, `block ${k} has a bad block magic`, error);
      throw new Error(`internal: Kaitai rejected the header of block ${k}: ${error.message}`, { cause: error });
    }
    const crc = crc32c(header.crcInput);
    if (crc !== header.headerCrc) {
      return new Damage('CHECKSUM_MISMATCH', start, lost, `block ${k} header checksum ${hex(header.headerCrc)} does not match ${hex(crc)}`);
    }
    const fileId = exactU64(header.crcInput, 0, header.fileId, 'file_id');
    if (fileId !== this.fileId) {
      return new Damage('FOREIGN_BLOCK', start, lost, `block ${k} belongs to file ${fileId.toString(16)}, not ${this.fileId.toString(16)}`);
    }
    const blockNumber = exactU64(header.crcInput, 8, header.blockNumber, 'block_number');
    if (blockNumber !== BigInt(k)) return new Damage('MISPLACED_BLOCK', start, lost, `block ${k} holds the header of block ${blockNumber}`);
    return { firstIndex: exactU64(header.crcInput, 16, header.firstIndex, 'first_index') };
  }

  /** The slices and padding of the block's data area, up to the first damage that loses the rest of the block. */
  private parseData(k: number, start: number, end: number): BlockItem[] {
    const items: BlockItem[] = [];
    const blockEnd = start + this.blockSize;
    let at = start + (k === 0 ? FILE_HEADER_SIZE : BLOCK_HEADER_SIZE);
    while (at < end) {
      if (blockEnd - at < MIN_RECORD_START) {
        const padding = this.checkPadding(at, end);
        if (padding !== undefined) items.push({ type: 'damage', damage: padding, resumeAt: undefined, kind: undefined });
        break;
      }
      const item = this.readSlice(at, blockEnd, start === 0 ? FILE_HEADER_SIZE : start + BLOCK_HEADER_SIZE);
      items.push(item);
      if (item.type === 'slice') at += item.size;
      else if (item.resumeAt !== undefined) at = item.resumeAt;
      else break;
    }
    return items;
  }

  private checkPadding(at: number, until: number): Damage | undefined {
    const padding = this.file.subarray(at, until);
    const fromTree = this.treePadding.get(at);
    if (fromTree !== undefined && fromTree !== padding.length) {
      throw new Error(`internal: Kaitai read ${fromTree} padding bytes at ${at}, the wrapper ${padding.length}`);
    }
    const nonZero = padding.findIndex((byte) => byte !== 0);
    if (nonZero === -1) return undefined;
    return new Damage('BAD_PADDING', at, until - at, `padding byte at offset ${at + nonZero} is not zero`);
  }

  /** Checks the slice at file offset `at` (RSF-042 checks 1 to 8, then the rules within its block of RSF-052). */
  private readSlice(at: number, blockEnd: number, dataStart: number): BlockItem {
    const { file } = this;
    const available = Math.min(blockEnd, file.length) - at;
    const lost = (damage: Damage, kind?: number): DamageItem => ({ type: 'damage', damage, resumeAt: undefined, kind });
    // Check 1: the file ends inside the slice header.
    if (file.length - at < SLICE_HEADER_SIZE) return lost(new Damage('TORN_TAIL', at, available, 'file ends inside a slice header'));
    const parsed = this.parseSlice(at, blockEnd);
    if (parsed instanceof Damage) return lost(parsed, parsed.code === 'TORN_TAIL' ? file[at + 2] : undefined);
    const slice = parsed;
    // Checks 2, 4, 5, 6 and 7 were Kaitai's (magic, kind, reserved, and its stream ends at the
    // block's end or the file's); a rejection was diagnosed in the spec's order. Check 3:
    const contextCrc = sliceContextCrc(this.fileId, at);
    const headerCheck = crc32c(slice._raw_header.subarray(0, 6), contextCrc) & 0xffff;
    if (headerCheck !== slice.header.headerCheck) {
      return lost(new Damage('CHECKSUM_MISMATCH', at, available, `slice header check ${hex(slice.header.headerCheck)} does not match ${hex(headerCheck)}`));
    }
    const { kind, dataLength } = slice.header;
    if (slice.data.length !== dataLength) throw new Error(`internal: Kaitai read ${slice.data.length} data bytes, data_length is ${dataLength}`);
    const size = SLICE_OVERHEAD + dataLength;
    // From here on the header can be trusted: damage loses exactly the slice.
    const skip = (damage: Damage): DamageItem => ({ type: 'damage', damage, resumeAt: at + size, kind });
    // Check 8.
    const sliceCrc = crc32c(slice.data, crc32c(slice._raw_header, contextCrc));
    if (sliceCrc !== slice.trailer.sliceCrc) {
      return skip(new Damage('CHECKSUM_MISMATCH', at, size, `slice checksum ${hex(slice.trailer.sliceCrc)} does not match ${hex(sliceCrc)}`));
    }
    // Check 9, first part: the rules within one block (RSF-052), in their order.
    const name = KIND_NAMES[kind] ?? String(kind);
    const bad = (message: string, code: KaitaiDamageCode = 'BAD_SLICE') => skip(new Damage(code, at, size, message));
    const fillsBlock = at + size === blockEnd;
    if (isContinuation(kind)) {
      if (at !== dataStart) return bad(`a ${name} slice must be the first slice of its block`);
      if (kind === KIND_MIDDLE && !fillsBlock) return bad('a MIDDLE slice must fill its block');
      if (kind === KIND_LAST && dataLength === 0) return bad('a LAST slice must hold at least 1 byte');
      return { type: 'slice', offset: at, kind, size, data: slice.data, recordHeader: undefined };
    }
    if (dataLength < RECORD_HEADER_SIZE) return bad(`a ${name} slice of ${dataLength} data bytes cannot hold a record header`);
    const headerBytes = slice.data.subarray(0, RECORD_HEADER_SIZE);
    let recordHeader: KsRecordHeader;
    try {
      recordHeader = new this.parser.Lsfs.RecordHeader(streamOf(this.parser, headerBytes));
    } catch (error) {
      if (!isKaitaiRejection(error)) throw error;
      const payloadLength = asBuffer(headerBytes).readUInt32LE(8);
      if (payloadLength > MAX_PAYLOAD_LENGTH) return bad(`payload length ${payloadLength} exceeds ${MAX_PAYLOAD_LENGTH}`, 'RECORD_TOO_LARGE');
      throw new Error(`internal: Kaitai rejected a record header the spec accepts: ${(error as Error).message}`, { cause: error });
    }
    const { payloadLength } = recordHeader;
    const total = RECORD_HEADER_SIZE + payloadLength;
    if (kind === KIND_FIRST && !fillsBlock) return bad('a FIRST slice must fill its block');
    // RSF-050: whatever the file holds after it, a FULL slice holds exactly its record.
    if (kind === KIND_FULL && dataLength !== total) return bad(`a FULL slice of ${dataLength} data bytes holds a record of ${total}`);
    if (kind === KIND_FIRST && dataLength >= total) return bad('a FIRST slice holds its whole record: it should have been FULL');
    const typeCode = exactU64(headerBytes, 0, recordHeader.typeCode, 'type_code');
    return { type: 'slice', offset: at, kind, size, data: slice.data, recordHeader: { typeCode, payloadLength } };
  }

  /** The slice at `at`, from the whole-file parse or parsed alone; a Kaitai rejection becomes the spec's damage. */
  private parseSlice(at: number, blockEnd: number): KsSlice | Damage {
    const fromTree = this.treeSlices.get(at);
    if (fromTree !== undefined) {
      this.treeSlicesUsed.add(at);
      return fromTree;
    }
    const until = Math.min(blockEnd, this.file.length);
    try {
      return new this.parser.Lsfs.Slice(streamOf(this.parser, this.file.subarray(at, until)));
    } catch (error) {
      if (!isKaitaiRejection(error)) throw error;
      return this.diagnoseSlice(at, blockEnd, error);
    }
  }

  /** Kaitai rejected the slice at `at`: find, in the order of RSF-042, which check fails first. */
  private diagnoseSlice(at: number, blockEnd: number, error: Error): Damage {
    const { file } = this;
    const available = Math.min(blockEnd, file.length) - at;
    const damage = (code: KaitaiDamageCode, message: string) => new Damage(code, at, available, message, error);
    if (!file.subarray(at, at + 2).equals(SLICE_MAGIC)) return damage('BAD_MAGIC', 'bad slice magic');
    const headerCheck = crc32c(file.subarray(at, at + 6), sliceContextCrc(this.fileId, at)) & 0xffff;
    const stored = file.readUInt16LE(at + 6);
    if (headerCheck !== stored) return damage('CHECKSUM_MISMATCH', `slice header check ${hex(stored)} does not match ${hex(headerCheck)}`);
    const kind = file[at + 2] ?? 0;
    if (kind < KIND_FULL || kind > KIND_LAST) return damage('BAD_SLICE', `slice kind ${kind} is not 1..4`);
    if (file[at + 3] !== 0) return damage('UNSUPPORTED_FEATURE', 'slice sets its reserved byte');
    const end = at + SLICE_OVERHEAD + file.readUInt16LE(at + 4);
    if (end > blockEnd) return damage('BAD_SLICE', `slice overruns its block by ${end - blockEnd} bytes`);
    // Check 7: the file ends inside the slice (the damage runs to the file's end).
    if (end > file.length) return damage('TORN_TAIL', `file ends inside a slice of ${end - at} bytes`);
    throw new Error(`internal: Kaitai rejected the slice at ${at}, which the spec's checks accept: ${error.message}`, { cause: error });
  }

  /** After a clean read of a whole-file parse: the wrapper must have used exactly what Kaitai parsed. */
  checkTreeFullyUsed(): void {
    if (this.tree === undefined) return;
    // The whole-file parse has no block 0 when the file is only its header.
    const blocks = this.file.length > FILE_HEADER_SIZE ? this.lastBlock + 1 : 0;
    if (this.tree.blocks.length !== blocks || this.treeSlicesUsed.size !== this.treeSlices.size) {
      throw new Error(
        `internal: Kaitai parsed ${this.tree.blocks.length} blocks and ${this.treeSlices.size} slices, the wrapper read ${blocks} blocks and ${this.treeSlicesUsed.size} of those slices`,
      );
    }
  }

  /**
   * Spec §9: is there an intact structure at or after `damageOffset`? A block header at a block
   * boundary at or after it that passes RSF-031, or a slice at any offset at or after it whose
   * magic, `header_check` and `slice_crc` are right for that offset and that lies within its block
   * (and the file).
   */
  hasIntactStructureAfter(damageOffset: number): boolean {
    const { file, blockSize } = this;
    for (let k = Math.max(1, Math.ceil(damageOffset / blockSize)); k * blockSize + BLOCK_HEADER_SIZE <= file.length; k++) {
      if (this.isIntactBlockHeader(k)) return true;
    }
    for (let at = file.indexOf(SLICE_MAGIC, damageOffset); at !== -1; at = file.indexOf(SLICE_MAGIC, at + 1)) {
      if (this.isIntactSlice(at)) return true;
    }
    return false;
  }

  private isIntactBlockHeader(k: number): boolean {
    const at = k * this.blockSize;
    const bytes = this.file.subarray(at, at + BLOCK_HEADER_SIZE);
    return (
      bytes.subarray(0, 4).equals(BLOCK_MAGIC) &&
      crc32c(bytes.subarray(8)) === bytes.readUInt32LE(4) &&
      bytes.readBigUInt64LE(8) === this.fileId &&
      bytes.readBigUInt64LE(16) === BigInt(k)
    );
  }

  private isIntactSlice(at: number): boolean {
    const { file } = this;
    if (file.length - at < SLICE_OVERHEAD) return false;
    const dataLength = file.readUInt16LE(at + 4);
    const end = at + SLICE_OVERHEAD + dataLength;
    const blockEnd = (Math.floor(at / this.blockSize) + 1) * this.blockSize;
    if (end > blockEnd || end > file.length) return false;
    const contextCrc = sliceContextCrc(this.fileId, at);
    if ((crc32c(file.subarray(at, at + 6), contextCrc) & 0xffff) !== file.readUInt16LE(at + 6)) return false;
    return crc32c(file.subarray(at, at + SLICE_HEADER_SIZE + dataLength), contextCrc) === file.readUInt32LE(at + SLICE_HEADER_SIZE + dataLength);
  }
}

// ---------------------------------------------------------------------------------------------
// The forward scan (spec §9): strict (RSF-071) and salvage (RSF-072).

interface RecordInProgress {
  readonly index: bigint;
  readonly typeCode: bigint;
  /** File offset of its FIRST slice: where it is lost from when damage interrupts it. */
  readonly offset: number;
  readonly total: number;
  /** Its slices' data (views into the file: nothing is allocated for the payload before it is whole, RSF-005). */
  readonly parts: Uint8Array[];
  received: number;
}

interface OpenGap {
  readonly code: KaitaiDamageCode;
  readonly offset: number;
  readonly message: string;
  /** End of the last lost range in the gap. */
  end: number;
}

/** Stops the scan at the torn tail (strict and salvage alike). */
class TailReached {}

class ForwardScan {
  readonly records: KaitaiRecord[] = [];
  readonly gaps: KaitaiGap[] = [];
  /** Where the torn tail starts, once the scan has found one. */
  tail: number | undefined;
  /** True once the scan met any damage (a gap, or the torn tail). */
  damaged = false;
  private nextIndex: bigint;
  private inProgress: RecordInProgress | undefined;
  /** End of the last returned record or reported gap: where a torn tail starts. */
  private coveredEnd = FILE_HEADER_SIZE;
  private gap: OpenGap | undefined;
  private lastReturnedIndex: bigint | undefined;

  constructor(
    private readonly file: KaitaiFile,
    private readonly mode: KaitaiReadMode,
  ) {
    this.nextIndex = file.baseIndex;
  }

  /** Reads every block in order; a strict read throws its interior damage as a {@link KaitaiLsfsError}. */
  run(): void {
    try {
      for (let k = 0; k <= this.file.lastBlock; k++) this.consumeBlock(this.file.parseBlock(k));
      this.finish();
    } catch (stop) {
      if (!(stop instanceof TailReached)) throw stop;
    }
  }

  private consumeBlock(block: ParsedBlock): void {
    if (block.headerDamage !== undefined) {
      this.onDamage(block.headerDamage, false);
      return;
    }
    if (!this.acceptFirstIndex(block)) return;
    for (const item of block.items) {
      if (item.type === 'damage') {
        // RSF-073: a FULL or FIRST slice whose header passed checks 1 to 6 uses up an index.
        this.onDamage(item.damage, item.resumeAt !== undefined && isRecordStart(item.kind));
        if (item.resumeAt === undefined) return;
        continue;
      }
      const problem = this.followSequence(item);
      if (problem !== undefined) this.onDamage(problem, isRecordStart(item.kind));
    }
  }

  /**
   * RSF-032 (after a gap: RSF-072 rule 4): the block's `first_index` against the index the scan
   * expects. An accepted block's `first_index` numbers the records that start in it (RSF-073).
   * False when the block is lost.
   */
  private acceptFirstIndex(block: ParsedBlock): boolean {
    const firstIndex = block.firstIndex as bigint;
    const continues = beginsWithContinuation(block);
    const expected = this.expectedFirstIndex(continues);
    // Block 0 is reached by no earlier block: its first_index (the base index) is never out of order.
    let accepted: boolean;
    if (block.number === 0) accepted = true;
    else if (this.mode === 'salvage' && this.gap !== undefined) accepted = this.lastReturnedIndex === undefined ? firstIndex >= this.file.baseIndex : firstIndex > this.lastReturnedIndex;
    else accepted = firstIndex === expected;
    if (accepted) {
      this.nextIndex = continues ? firstIndex + 1n : firstIndex;
      return true;
    }
    const because = this.gap !== undefined && this.mode === 'salvage' ? `after a gap, not above the last record returned (${this.lastReturnedIndex ?? 'none'})` : `expected ${expected}`;
    this.onDamage(new Damage('INDEX_OUT_OF_ORDER', block.start, block.end - block.start, `block ${block.number} has first_index ${firstIndex}, ${because}`), false);
    return false;
  }

  /**
   * RSF-032: the record in progress, if there is one; otherwise, for a block that begins with a
   * MIDDLE or LAST slice, the index before the next record's (that slice continues no record and
   * is BAD_SLICE next); otherwise the next record's index.
   */
  private expectedFirstIndex(continues: boolean): bigint {
    if (this.inProgress !== undefined) return this.inProgress.index;
    return continues ? this.nextIndex - 1n : this.nextIndex;
  }

  /** The rules across blocks of RSF-052 for a slice that passed the rules within its block; the damage, if any. */
  private followSequence(slice: SliceItem): Damage | undefined {
    const { kind, offset, size, data } = slice;
    const name = KIND_NAMES[kind] ?? String(kind);
    const bad = (message: string, code: KaitaiDamageCode = 'BAD_SLICE') => new Damage(code, offset, size, message);
    const progress = this.inProgress;
    const end = offset + size;
    if (isRecordStart(kind)) {
      if (progress !== undefined) return bad(`a ${name} slice while record ${progress.index} is in progress`);
      if (this.nextIndex > MAX_RECORD_INDEX) return bad(`record index ${this.nextIndex} exceeds ${MAX_RECORD_INDEX}`, 'INDEX_OVERFLOW');
      const header = slice.recordHeader!;
      const record: RecordInProgress = {
        index: this.nextIndex++,
        typeCode: header.typeCode,
        offset,
        total: RECORD_HEADER_SIZE + header.payloadLength,
        parts: [data],
        received: data.length,
      };
      if (kind === KIND_FULL) this.emit(record, end);
      else this.inProgress = record;
      return undefined;
    }
    if (progress === undefined) return bad(`a ${name} slice continues no record`);
    const received = progress.received + data.length;
    if (kind === KIND_MIDDLE && received >= progress.total) {
      return bad(`a MIDDLE slice brings record ${progress.index} to ${received} of its ${progress.total} bytes: nothing is left for its LAST slice`);
    }
    if (kind === KIND_LAST && received !== progress.total) return bad(`a LAST slice ends record ${progress.index} at ${received} of its ${progress.total} bytes`);
    progress.parts.push(data);
    progress.received = received;
    if (kind === KIND_LAST) {
      this.inProgress = undefined;
      this.emit(progress, end);
    }
    return undefined;
  }

  private emit(record: RecordInProgress, end: number): void {
    this.closeGap();
    const data = Buffer.concat(record.parts);
    this.records.push({ index: record.index, typeCode: record.typeCode, payload: data.subarray(RECORD_HEADER_SIZE) });
    this.lastReturnedIndex = record.index;
    this.coveredEnd = end;
  }

  /**
   * Damage: a strict read stops (an error when interior, the torn tail otherwise); a salvage read
   * opens or extends a gap and goes on, or stops at damage that is at the tail (RSF-072).
   * `startsRecord`: the damaged slice was a FULL or FIRST slice after which the block's parse went
   * on, so it used up an index (RSF-073).
   */
  private onDamage(found: Damage, startsRecord: boolean): void {
    this.damaged = true;
    const interior = this.file.hasIntactStructureAfter(found.offset);
    if (this.mode === 'strict') {
      if (interior) throw found.toError(this.records);
      this.endAtTail();
    }
    if (!interior) {
      this.closeGap();
      this.endAtTail();
    }
    // A record in progress is lost from its FIRST slice on; the damage loses its own range.
    const start = Math.min(found.offset, this.inProgress?.offset ?? found.offset);
    const end = found.offset + found.length;
    this.inProgress = undefined;
    if (this.gap === undefined) this.gap = { code: found.code, offset: start, message: found.message, end };
    else this.gap.end = Math.max(this.gap.end, end);
    if (startsRecord) this.nextIndex++;
  }

  /** Reports the open gap, which ends where its last lost range ends. */
  private closeGap(): void {
    if (this.gap === undefined) return;
    const { code, offset, end, message } = this.gap;
    this.gaps.push({ code, offset, length: end - offset, message });
    this.coveredEnd = Math.max(this.coveredEnd, end);
    this.gap = undefined;
  }

  /** Stops the scan: the bytes after the last returned record or gap are the torn tail. */
  private endAtTail(): never {
    this.damaged = true;
    if (this.coveredEnd < this.file.size) this.tail = this.coveredEnd;
    this.inProgress = undefined;
    throw new TailReached();
  }

  /**
   * The end of the file. Bytes after the last whole record (a record cut off at a block boundary,
   * padding that no slice follows, a block header that no slice follows) are a torn tail.
   */
  private finish(): void {
    this.closeGap();
    if (this.coveredEnd < this.file.size) this.endAtTail();
  }
}

/** Parses the whole file with the schema's top-level type when it can; undefined when Kaitai rejects it. */
function tryParseTree(file: Buffer): KsLsfs | undefined {
  if (file.length < FILE_HEADER_SIZE) return undefined;
  try {
    return parseKaitaiTree(file);
  } catch (error) {
    if (!isKaitaiRejection(error)) throw error;
    return undefined;
  }
}

/**
 * Reads an LSFS file forward, with the Kaitai parser for the structure and this wrapper for
 * everything Kaitai cannot check.
 *
 * `strict` (the default, RSF-071):
 * - a clean file gives its records;
 * - a file whose first damage is at the tail (no intact structure at or after it: what a crash
 *   leaves) gives the records before it and `tail: { code: 'TORN_TAIL', offset }`, `offset` being
 *   where the last whole record ends;
 * - interior damage throws a {@link KaitaiLsfsError} with the spec §12 code and offset (and the
 *   records before the damage in `records`).
 *
 * `salvage` (RSF-072): every record all of whose slices are intact and whose index is known, the
 * gaps (the byte ranges it could not read, with the code and offset of the damage that opened
 * each), and the torn tail; it never throws for damage after the file header.
 *
 * In both modes a bad file header throws a {@link KaitaiLsfsError} (`inFileHeader` set).
 */
export function readLsfsWithKaitai(bytes: Uint8Array, options: { readonly mode?: KaitaiReadMode } = {}): KaitaiReadResult {
  const mode = options.mode ?? 'strict';
  const parser = loadKaitaiParser();
  const file = asBuffer(bytes);
  const tree = tryParseTree(file);
  const header = readFileHeader(parser, file, tree);
  const view = new KaitaiFile(parser, file, header, tree);
  const scan = new ForwardScan(view, mode);
  scan.run();
  if (!scan.damaged) view.checkTreeFullyUsed();
  return {
    fileId: header.fileId,
    blockSize: header.blockSize,
    baseIndex: header.baseIndex,
    records: scan.records,
    gaps: scan.gaps,
    ...(scan.tail === undefined ? {} : { tail: { code: 'TORN_TAIL' as const, offset: scan.tail } }),
    kaitaiParse: tree === undefined ? 'per-structure' : 'whole-file',
  };
}

// ---------------------------------------------------------------------------------------------
// Opening from the tail (spec §10).

export interface KaitaiOpenResult {
  readonly fileId: bigint;
  readonly blockSize: number;
  readonly baseIndex: bigint;
  /** The index of the last whole record (§10 step 6), undefined when the log holds none. */
  readonly lastIndex: bigint | undefined;
  /** E, the end of the log (§10 step 5). */
  readonly end: number;
  /** Present when the file goes on after E (§10 step 7). */
  readonly tail?: { readonly code: 'TORN_TAIL'; readonly offset: number };
  /** The blocks the open parsed, in order (RSF-080: a bounded number, plus those of a record cut off at the tail). */
  readonly blocksParsed: readonly number[];
}

/** An intact slice of a block parsed by the open, and the index of the record it belongs to (RSF-073). */
interface NumberedSlice {
  readonly slice: SliceItem;
  readonly index: bigint;
}

/**
 * The block's intact slices up to its first damage, numbered by RSF-073 from the block's
 * `first_index`, and that damage; a record start above MAX_RECORD_INDEX is damage too
 * (INDEX_OVERFLOW, RSF-052). A block with a damaged header is all damage.
 */
function numberSlices(block: ParsedBlock): { slices: NumberedSlice[]; damage: Damage | undefined } {
  const slices: NumberedSlice[] = [];
  if (block.headerDamage !== undefined) return { slices, damage: block.headerDamage };
  let next = block.firstIndex as bigint;
  for (const [position, item] of block.items.entries()) {
    if (item.type === 'damage') return { slices, damage: item.damage };
    if (isRecordStart(item.kind)) {
      if (next > MAX_RECORD_INDEX) return { slices, damage: new Damage('INDEX_OVERFLOW', item.offset, item.size, `record index ${next} exceeds ${MAX_RECORD_INDEX}`) };
      slices.push({ slice: item, index: next++ });
    } else if (position === 0) {
      // A leading MIDDLE or LAST slice belongs to record first_index (RSF-032).
      slices.push({ slice: item, index: next++ });
    } else {
      slices.push({ slice: item, index: next - 1n });
    }
  }
  return { slices, damage: undefined };
}

/** The end and index of the last FULL or LAST slice among the slices, if any. */
function lastRecordEnd(slices: readonly NumberedSlice[]): { end: number; index: bigint } | undefined {
  const last = slices.filter(({ slice }) => slice.kind === KIND_FULL || slice.kind === KIND_LAST).at(-1);
  return last === undefined ? undefined : { end: last.slice.offset + last.slice.size, index: last.index };
}

/**
 * Opens an LSFS file from its tail (spec §10) and finds the end of the log and the last index,
 * parsing with the Kaitai types only the blocks §10 names: the last block whose header passes
 * RSF-031, the block before it when it begins with a MIDDLE or LAST slice (step 3), and the blocks
 * of a record cut off at the tail (step 5). Damage it meets there that is interior (steps 3 to 5)
 * throws a {@link KaitaiLsfsError}, as does a bad file header; damage far from the tail is not seen.
 */
export function openLsfsWithKaitai(bytes: Uint8Array): KaitaiOpenResult {
  const parser = loadKaitaiParser();
  const file = asBuffer(bytes);
  const header = readFileHeader(parser, file, undefined);
  const view = new KaitaiFile(parser, file, header, undefined);
  // Each block is parsed once, though steps 3 and 5 may both need the one before the tail block.
  const parsed = new Map<number, ParsedBlock>();
  const parse = (k: number): ParsedBlock => {
    let block = parsed.get(k);
    if (block === undefined) parsed.set(k, (block = view.parseBlock(k)));
    return block;
  };
  // Step 2: the last block whose header passes RSF-031 (block 0 always does), parsed.
  let k = view.lastBlock;
  while (k > 0 && view.blockHeader(k) instanceof Damage) k--;
  const block = parse(k);
  // Step 3: a block that begins with a MIDDLE or LAST slice must continue the block before it.
  checkContinuation(block, parse);
  const { slices, damage: damageInBlock } = numberSlices(block);
  // Step 2: a block that parses clean to its end while the file goes on: the next block's header
  // is the damage (it fails RSF-031, or block k would not be the last whose header passes).
  let damage = damageInBlock;
  if (damage === undefined && k < view.lastBlock) {
    const next = view.blockHeader(k + 1);
    if (!(next instanceof Damage)) throw new Error(`internal: the header of block ${k + 1} passes RSF-031 after all`);
    damage = next;
  }
  // Step 4: interior damage fails the open.
  if (damage !== undefined && view.hasIntactStructureAfter(damage.offset)) throw damage.toError();
  // Steps 5 and 6: the last record end before the damage, in block k or, walking back, earlier.
  let found = lastRecordEnd(slices);
  for (let previous = k - 1; found === undefined && previous >= 0; previous--) {
    const { slices: earlier, damage: damageEarlier } = numberSlices(parse(previous));
    // Blocks visited this way are fully checked; damage in them is interior.
    if (damageEarlier !== undefined) throw damageEarlier.toError();
    found = lastRecordEnd(earlier);
  }
  const end = found?.end ?? FILE_HEADER_SIZE;
  return {
    fileId: header.fileId,
    blockSize: header.blockSize,
    baseIndex: header.baseIndex,
    lastIndex: found?.index,
    end,
    // Step 7: every byte from E to the end of the file is the torn tail.
    ...(end < file.length ? { tail: { code: 'TORN_TAIL' as const, offset: end } } : {}),
    blocksParsed: [...view.blocksParsed],
  };
}

/**
 * §10 step 3: when block k begins with a MIDDLE or LAST slice, block k − 1 must be free of damage
 * and end with a FIRST or MIDDLE slice of record `first_index(k)`; else that slice of block k is
 * BAD_SLICE (interior: it is intact). Block 0 has no block before it: the slice is BAD_SLICE.
 */
function checkContinuation(block: ParsedBlock, parse: (k: number) => ParsedBlock): void {
  const first = block.items[0];
  if (first?.type !== 'slice' || !isContinuation(first.kind)) return;
  const name = KIND_NAMES[first.kind];
  if (block.number === 0) {
    throw new Damage('BAD_SLICE', first.offset, first.size, `block 0 begins with a ${name} slice, which continues no record`).toError();
  }
  const { slices, damage } = numberSlices(parse(block.number - 1));
  // Damage there is interior: block k follows it intact.
  if (damage !== undefined) throw damage.toError();
  const last = slices.at(-1);
  if (last !== undefined && (last.slice.kind === KIND_FIRST || last.slice.kind === KIND_MIDDLE) && last.index === block.firstIndex) return;
  throw new Damage('BAD_SLICE', first.offset, first.size, `block ${block.number} begins with a ${name} slice that continues no record ${block.firstIndex} of block ${block.number - 1}`).toError();
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
