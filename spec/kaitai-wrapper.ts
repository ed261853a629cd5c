/**
 * A second, independent reading of LSFS files (spec/lsfs-format.md): the Kaitai Struct parser
 * generated from spec/lsfs.ksy splits a file into its file header, block headers, slices and
 * padding, and this wrapper does what Kaitai cannot (spec §14): it verifies every CRC-32C (with the
 * slice context of §3), checks the fields in the order the spec prescribes, follows the
 * FULL / FIRST MIDDLE* LAST sequence across blocks, checks each block's `first_index`, reassembles
 * the records and applies the strict-read rules of §9 (torn tail versus interior damage).
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

export interface KaitaiReadResult {
  readonly fileId: bigint;
  readonly blockSize: number;
  readonly baseIndex: bigint;
  /** The records, in index order. */
  readonly records: KaitaiRecord[];
  /** Present when the file ends with a torn tail (spec §9, RSF-071): `offset` is where the last whole record ends. */
  readonly tail?: { readonly code: 'TORN_TAIL'; readonly offset: number };
  /**
   * How Kaitai parsed the file: `whole-file` when the top-level type of lsfs.ksy parsed it in one
   * go (every clean file), `per-structure` when that failed and the wrapper parsed the file
   * header, block headers and slices one at a time with the schema's types to find the damage.
   */
  readonly kaitaiParse: 'whole-file' | 'per-structure';
}

/** A strict read's failure (interior damage, or a bad file header): the spec §12 code and the file offset. */
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

/** Damage found during the read: classified as tail or interior once found. */
class Damage {
  constructor(
    readonly code: KaitaiDamageCode,
    readonly offset: number,
    readonly message: string,
    readonly cause?: unknown,
  ) {}
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
// The strict forward read (spec §5–§9).

interface RecordInProgress {
  readonly index: bigint;
  readonly typeCode: bigint;
  readonly total: number;
  readonly parts: Uint8Array[];
  received: number;
}

class StrictReader {
  private readonly blockSize: number;
  private readonly fileId: bigint;
  private nextIndex: bigint;
  private inProgress: RecordInProgress | undefined;
  /** End of the last whole record: where a torn tail starts. */
  private end = FILE_HEADER_SIZE;
  readonly records: KaitaiRecord[] = [];
  /** Slices of the whole-file parse by file offset, when it succeeded. */
  private readonly treeSlices = new Map<number, KsSlice>();
  private readonly treePadding = new Map<number, number>();
  private slicesFromTree = 0;
  private blocksVisited = 0;

  constructor(
    private readonly parser: KaitaiParser,
    private readonly file: Buffer,
    header: FileHeaderInfo,
    private readonly tree: KsLsfs | undefined,
  ) {
    this.blockSize = header.blockSize;
    this.fileId = header.fileId;
    this.nextIndex = header.baseIndex;
    if (tree !== undefined) this.indexTree(tree);
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

  /** Reads every record; throws the first damage as a {@link Damage}. */
  run(): void {
    const { file, blockSize } = this;
    for (let k = 0; k * blockSize < file.length; k++) {
      // The whole-file parse has no block 0 when the file is only its header.
      if (k > 0 || file.length > FILE_HEADER_SIZE) this.blocksVisited++;
      const blockStart = k * blockSize;
      const blockEnd = blockStart + blockSize;
      if (k > 0) this.checkBlockHeader(k, blockStart);
      let at = blockStart + (k === 0 ? FILE_HEADER_SIZE : BLOCK_HEADER_SIZE);
      for (;;) {
        if (at === file.length) return; // the file ends here: a record in progress is checked by the caller
        if (at === blockEnd) break; // a FIRST or MIDDLE slice filled the block
        if (this.inProgress === undefined && blockEnd - at < MIN_RECORD_START) {
          this.checkPadding(at, Math.min(blockEnd, file.length));
          break;
        }
        at += this.readSlice(k, at, blockEnd);
      }
    }
  }

  private checkBlockHeader(k: number, blockStart: number): void {
    const { file } = this;
    if (file.length - blockStart < BLOCK_HEADER_SIZE) {
      throw new Damage('TORN_TAIL', blockStart, `file ends inside the header of block ${k}`);
    }
    let header: KsBlockHeader;
    try {
      header = this.tree?.blocks[k]?.header ?? new this.parser.Lsfs.BlockHeader(streamOf(this.parser, file.subarray(blockStart, blockStart + BLOCK_HEADER_SIZE)));
    } catch (error) {
      if (!isKaitaiRejection(error)) throw error;
      // The block header's only Kaitai check is its magic.
      if (!file.subarray(blockStart, blockStart + 4).equals(BLOCK_MAGIC)) {
        throw new Damage('BAD_MAGIC', blockStart, `block ${k} has a bad block magic`, error);
      }
      throw new Error(`internal: Kaitai rejected the header of block ${k}: ${error.message}`);
    }
    const crc = crc32c(header.crcInput);
    if (crc !== header.headerCrc) {
      throw new Damage('CHECKSUM_MISMATCH', blockStart, `block ${k} header checksum ${hex(header.headerCrc)} does not match ${hex(crc)}`);
    }
    const fileId = exactU64(header.crcInput, 0, header.fileId, 'file_id');
    if (fileId !== this.fileId) {
      throw new Damage('FOREIGN_BLOCK', blockStart, `block ${k} belongs to file ${fileId.toString(16)}, not ${this.fileId.toString(16)}`);
    }
    const blockNumber = exactU64(header.crcInput, 8, header.blockNumber, 'block_number');
    if (blockNumber !== BigInt(k)) {
      throw new Damage('MISPLACED_BLOCK', blockStart, `block ${k} holds the header of block ${blockNumber}`);
    }
    const firstIndex = exactU64(header.crcInput, 16, header.firstIndex, 'first_index');
    if (firstIndex !== this.nextIndex) {
      throw new Damage('INDEX_OUT_OF_ORDER', blockStart, `block ${k} has first_index ${firstIndex}, expected ${this.nextIndex}`);
    }
  }

  private checkPadding(at: number, until: number): void {
    const padding = this.file.subarray(at, until);
    const fromTree = this.treePadding.get(at);
    if (fromTree !== undefined && fromTree !== padding.length) {
      throw new Error(`internal: Kaitai read ${fromTree} padding bytes at ${at}, the wrapper ${padding.length}`);
    }
    const nonZero = padding.findIndex((byte) => byte !== 0);
    if (nonZero !== -1) throw new Damage('BAD_PADDING', at, `padding byte at offset ${at + nonZero} is not zero`);
  }

  /** Checks the slice at file offset `at` in block `k` (RSF-042, RSF-043, RSF-050, RSF-051) and consumes it; returns its size. */
  private readSlice(k: number, at: number, blockEnd: number): number {
    const { file } = this;
    // RSF-042 step 1: the file ends inside a slice header.
    if (file.length - at < SLICE_HEADER_SIZE) throw new Damage('TORN_TAIL', at, 'file ends inside a slice header');
    const slice = this.parseSlice(at, blockEnd);
    const contextCrc = sliceContextCrc(this.fileId, at);
    const headerCheck = crc32c(slice._raw_header.subarray(0, 6), contextCrc) & 0xffff;
    if (headerCheck !== slice.header.headerCheck) {
      throw new Damage('CHECKSUM_MISMATCH', at, `slice header check ${hex(slice.header.headerCheck)} does not match ${hex(headerCheck)}`);
    }
    // kind, reserved and the slice's extent were checked by Kaitai (its stream ends at the block's end).
    const dataLength = slice.header.dataLength;
    if (slice.data.length !== dataLength) throw new Error(`internal: Kaitai read ${slice.data.length} data bytes, data_length is ${dataLength}`);
    const sliceCrc = crc32c(slice.data, crc32c(slice._raw_header, contextCrc));
    if (sliceCrc !== slice.trailer.sliceCrc) {
      throw new Damage('CHECKSUM_MISMATCH', at, `slice checksum ${hex(slice.trailer.sliceCrc)} does not match ${hex(sliceCrc)}`);
    }
    const size = SLICE_OVERHEAD + dataLength;
    this.followSequence(slice, at, size === blockEnd - at, k);
    return size;
  }

  /** The slice at `at`, from the whole-file parse or parsed alone; a Kaitai rejection becomes the spec's damage. */
  private parseSlice(at: number, blockEnd: number): KsSlice {
    const fromTree = this.treeSlices.get(at);
    if (fromTree !== undefined) {
      this.slicesFromTree++;
      return fromTree;
    }
    const { file } = this;
    const until = Math.min(blockEnd, file.length);
    try {
      return new this.parser.Lsfs.Slice(streamOf(this.parser, file.subarray(at, until)));
    } catch (error) {
      if (!isKaitaiRejection(error)) throw error;
      throw this.diagnoseSlice(at, blockEnd, error);
    }
  }

  /** Kaitai rejected the slice at `at`: find, in the order of RSF-042, which check fails first. */
  private diagnoseSlice(at: number, blockEnd: number, error: Error): Damage {
    const { file } = this;
    if (!file.subarray(at, at + 2).equals(SLICE_MAGIC)) return new Damage('BAD_MAGIC', at, 'bad slice magic', error);
    const headerCheck = crc32c(file.subarray(at, at + 6), sliceContextCrc(this.fileId, at)) & 0xffff;
    const stored = file.readUInt16LE(at + 6);
    if (headerCheck !== stored) return new Damage('CHECKSUM_MISMATCH', at, `slice header check ${hex(stored)} does not match ${hex(headerCheck)}`, error);
    const kind = file[at + 2] ?? 0;
    if (kind < KIND_FULL || kind > KIND_LAST) return new Damage('BAD_SLICE', at, `slice kind ${kind} is not 1..4`, error);
    if (file[at + 3] !== 0) return new Damage('UNSUPPORTED_FEATURE', at, 'slice sets its reserved byte', error);
    const end = at + SLICE_OVERHEAD + file.readUInt16LE(at + 4);
    if (end > blockEnd) return new Damage('BAD_SLICE', at, `slice overruns its block by ${end - blockEnd} bytes`, error);
    if (end > file.length) return new Damage('BAD_SLICE', at, 'file ends inside a slice', error);
    throw new Error(`internal: Kaitai rejected the slice at ${at}, which the spec's checks accept: ${error.message}`, { cause: error });
  }

  /** The slice sequence of RSF-043 and the record rules of RSF-050/RSF-051 for an intact slice. */
  private followSequence(slice: KsSlice, at: number, fillsBlock: boolean, k: number): void {
    const kind = slice.header.kind;
    const name = KIND_NAMES[kind] ?? String(kind);
    const dataLength = slice.header.dataLength;
    const bad = (message: string, code: KaitaiDamageCode = 'BAD_SLICE') => new Damage(code, at, message);
    const sliceEnd = at + SLICE_OVERHEAD + dataLength;
    const progress = this.inProgress;

    if (kind === KIND_MIDDLE || kind === KIND_LAST) {
      if (progress === undefined) throw bad(`a ${name} slice in block ${k} continues no record`);
      if (kind === KIND_MIDDLE && !fillsBlock) throw bad('a MIDDLE slice must fill its block');
      if (kind === KIND_LAST && dataLength === 0) throw bad('a LAST slice must hold at least 1 byte');
      const received = progress.received + dataLength;
      if (kind === KIND_MIDDLE && received >= progress.total) {
        throw bad(`a MIDDLE slice brings record ${progress.index} to ${received} of its ${progress.total} bytes: nothing is left for its LAST slice`);
      }
      if (kind === KIND_LAST && received !== progress.total) {
        throw bad(`a LAST slice ends record ${progress.index} at ${received} of its ${progress.total} bytes`);
      }
      progress.parts.push(slice.data);
      progress.received = received;
      if (kind === KIND_LAST) this.finishRecord(progress, sliceEnd);
      return;
    }

    // FULL or FIRST: starts a record.
    if (progress !== undefined) throw bad(`a ${name} slice while record ${progress.index} is in progress`);
    if (dataLength < RECORD_HEADER_SIZE) throw bad(`a ${name} slice of ${dataLength} data bytes cannot hold a record header`);
    const headerBytes = slice.data.subarray(0, RECORD_HEADER_SIZE);
    let recordHeader: KsRecordHeader;
    try {
      recordHeader = new this.parser.Lsfs.RecordHeader(streamOf(this.parser, headerBytes));
    } catch (error) {
      if (!isKaitaiRejection(error)) throw error;
      const payloadLength = asBuffer(headerBytes).readUInt32LE(8);
      if (payloadLength > MAX_PAYLOAD_LENGTH) throw bad(`payload length ${payloadLength} exceeds ${MAX_PAYLOAD_LENGTH}`, 'RECORD_TOO_LARGE');
      throw new Error(`internal: Kaitai rejected a record header the spec accepts: ${error.message}`);
    }
    const payloadLength = recordHeader.payloadLength;
    const total = RECORD_HEADER_SIZE + payloadLength;
    if (kind === KIND_FIRST && !fillsBlock) throw bad('a FIRST slice must fill its block');
    if (kind === KIND_FULL && dataLength !== total) {
      if (total > dataLength && total - dataLength > this.file.length - sliceEnd) {
        throw bad(`a payload of ${payloadLength} bytes needs more bytes than the file holds`, 'RECORD_TOO_LARGE');
      }
      throw bad(`a FULL slice of ${dataLength} data bytes holds a record of ${total}`);
    }
    if (kind === KIND_FIRST && dataLength >= total) throw bad('a FIRST slice holds its whole record: it should have been FULL');
    const index = this.nextIndex;
    if (index > MAX_RECORD_INDEX) throw bad(`record index ${index} exceeds ${MAX_RECORD_INDEX}`, 'INDEX_OVERFLOW');
    const typeCode = exactU64(headerBytes, 0, recordHeader.typeCode, 'type_code');
    const record: RecordInProgress = { index, typeCode, total, parts: [slice.data], received: dataLength };
    if (kind === KIND_FULL) this.finishRecord(record, sliceEnd);
    else this.inProgress = record;
  }

  private finishRecord(record: RecordInProgress, end: number): void {
    const data = Buffer.concat(record.parts);
    this.records.push({ index: record.index, typeCode: record.typeCode, payload: data.subarray(RECORD_HEADER_SIZE) });
    this.inProgress = undefined;
    this.nextIndex = record.index + 1n;
    this.end = end;
  }

  /** End of the last whole record. */
  get lastRecordEnd(): number {
    return this.end;
  }

  /** After a clean run over a whole-file parse: the wrapper must have used exactly what Kaitai parsed. */
  checkTreeFullyUsed(): void {
    if (this.tree === undefined) return;
    if (this.tree.blocks.length !== this.blocksVisited || this.slicesFromTree !== this.treeSlices.size) {
      throw new Error(
        `internal: Kaitai parsed ${this.tree.blocks.length} blocks and ${this.treeSlices.size} slices, the wrapper read ${this.blocksVisited} blocks and ${this.slicesFromTree} of those slices`,
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

/**
 * Reads an LSFS file strictly (spec RSF-071), with the Kaitai parser for the structure and this
 * wrapper for everything Kaitai cannot check.
 *
 * - A clean file gives its records.
 * - A file whose damage is at the tail (no intact structure after it: what a crash leaves) gives
 *   the records before it and `tail: { code: 'TORN_TAIL', offset }`, `offset` being where the last
 *   whole record ends.
 * - Interior damage, or a bad file header, throws a {@link KaitaiLsfsError} with the spec §12 code
 *   and offset (and the records before the damage in `records`).
 */
export function readLsfsWithKaitai(bytes: Uint8Array): KaitaiReadResult {
  const parser = loadKaitaiParser();
  const file = asBuffer(bytes);
  let tree: KsLsfs | undefined;
  if (file.length >= FILE_HEADER_SIZE) {
    try {
      tree = parseKaitaiTree(file);
    } catch (error) {
      if (!isKaitaiRejection(error)) throw error;
      tree = undefined;
    }
  }
  const header = readFileHeader(parser, file, tree);
  const reader = new StrictReader(parser, file, header, tree);
  const result = (tail?: { code: 'TORN_TAIL'; offset: number }): KaitaiReadResult => ({
    fileId: header.fileId,
    blockSize: header.blockSize,
    baseIndex: header.baseIndex,
    records: reader.records,
    ...(tail === undefined ? {} : { tail }),
    kaitaiParse: tree === undefined ? 'per-structure' : 'whole-file',
  });
  try {
    reader.run();
  } catch (error) {
    if (!(error instanceof Damage)) throw error;
    if (reader.hasIntactStructureAfter(error.offset)) {
      throw new KaitaiLsfsError(error.code, error.offset, error.message, reader.records, error.cause);
    }
    return result({ code: 'TORN_TAIL', offset: reader.lastRecordEnd });
  }
  // The file ended without damage. Bytes after the last whole record (a record cut off at a block
  // boundary, or padding that no slice follows) are a torn tail.
  if (reader.lastRecordEnd < file.length) return result({ code: 'TORN_TAIL', offset: reader.lastRecordEnd });
  reader.checkTreeFullyUsed();
  return result();
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
