/**
 * The block reader (the prototype's third role): opens a file from its tail, finds records by
 * index, iterates forward and backward, and verifies every checksum. Read-only: it never changes
 * the file, so it may run in another process while a writer appends (RSF-074).
 */
import { DAMAGE_CODES, LsfsError, isLsfsError } from '../errors.js';
import { type FileHeader, decodeFileHeader } from '../format/file-header.js';
import { FILE_HEADER_SIZE, RECORD_HEADER_SIZE, SliceKind } from '../format/constants.js';
import { damageToError } from '../format/damage.js';
import type { Storage, StorageFile } from '../io/storage.js';
import { BlockSource } from './block-source.js';
import type { ParsedBlock } from './block-parser.js';
import { numberSlices } from './slice-numbering.js';
import type { LsfsRecord, ScanReport, TornTail } from './record.js';
import { blockWhereRecordStarts } from './record-locator.js';
import { type ScanMode, Scanner } from './scanner.js';
import { type TailState, findTail } from './tail.js';
import { type CleanCheckOptions, checkCleanFile } from './clean-verify.js';

/** Blocks read at once by full scans: large sequential reads for verify throughput. */
const SCAN_READ_AHEAD_BLOCKS = 256;
/** Progress reports at most every this many bytes. */
const PROGRESS_STEP_BYTES = 1 << 20;

/** Options of {@link BlockReader.open}. */
export interface ReaderOptions {
  /** Open even when the tail block has interior damage (for salvage reads and verify). */
  readonly salvage?: boolean;
}

/** What {@link BlockReader.verify} found: every checksum checked, the records counted, the damage listed. */
export interface VerifyReport extends ScanReport {
  /** Number of whole, intact records. */
  readonly records: number;
  /** Index of the first intact record, or undefined when there is none. */
  readonly firstIndex: bigint | undefined;
  /** Index of the last intact record, or undefined when there is none. */
  readonly lastIndex: bigint | undefined;
  /** Bytes of the file that were read. */
  readonly bytes: number;
}

/** A verify report and the path that made it. @internal */
export interface VerifyOutcome {
  readonly report: VerifyReport;
  /** `inline` or `workers`: the clean check found the file clean; `salvage-scan`: it did not, or did not run. */
  readonly checkedBy: 'inline' | 'workers' | 'salvage-scan';
}

/** Reads and checks a file header through `file`. */
export async function readFileHeader(file: StorageFile): Promise<FileHeader> {
  const decoded = decodeFileHeader(await file.read(0, FILE_HEADER_SIZE));
  if ('code' in decoded) throw damageToError(decoded, file.path);
  return decoded;
}

/**
 * Reads an LSFS file without writing to it: opens in O(1) block reads from the tail (spec §10),
 * finds a record by index in O(log n) block reads (§11), iterates forward and backward, verifies
 * every checksum, and follows a file that another process appends to ({@link BlockReader.refresh}).
 */
export class BlockReader {
  /** The file header. */
  readonly header: FileHeader;
  private readonly file: StorageFile;
  private readonly source: BlockSource;
  private tailState: TailState;
  private closed = false;

  /** The interior damage that kept a salvage open from finding the tail; undefined normally. */
  readonly openDamage: LsfsError | undefined;

  private constructor(file: StorageFile, header: FileHeader, source: BlockSource, tail: TailState, openDamage: LsfsError | undefined) {
    this.file = file;
    this.header = header;
    this.source = source;
    this.tailState = tail;
    this.openDamage = openDamage;
  }

  /**
   * Opens `path` read-only: the header, then the tail (spec §10), in O(1) block reads. Interior
   * damage at the tail fails the open, unless `salvage` is set: the reader then opens without
   * knowing its last index (see {@link openDamage}), for salvage reads and verify.
   */
  static async open(storage: Storage, path: string, options: ReaderOptions = {}): Promise<BlockReader> {
    const file = await storage.open(path, 'read');
    try {
      return await BlockReader.over(file, undefined, options);
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** A reader over an already open file (the writer shares its handle). */
  static async over(file: StorageFile, size?: number, options: ReaderOptions = {}): Promise<BlockReader> {
    const header = await readFileHeader(file);
    const source = new BlockSource(file, header, size ?? (await file.size()));
    try {
      return new BlockReader(file, header, source, await findTail(source), undefined);
    } catch (error) {
      if (options.salvage !== true || !isLsfsError(error) || !DAMAGE_CODES.has(error.code)) throw error;
      const unknownTail: TailState = { end: source.size, lastIndex: undefined, nextIndex: header.baseIndex, torn: undefined };
      return new BlockReader(file, header, source, unknownTail, error);
    }
  }

  /** The path the file was opened at. */
  get path(): string {
    return this.file.path;
  }

  /** Index of the first record, or undefined when the file holds none. */
  get firstIndex(): bigint | undefined {
    return this.tailState.lastIndex === undefined ? undefined : this.header.baseIndex;
  }

  /** Index of the last whole record, or undefined when the file holds none. */
  get lastIndex(): bigint | undefined {
    return this.tailState.lastIndex;
  }

  /** Index the next record appended to this file gets. */
  get nextIndex(): bigint {
    return this.tailState.nextIndex;
  }

  /** Bytes after the last whole record (a crash's leftover, or a record a writer is writing now). */
  get tail(): TornTail | undefined {
    return this.tailState.torn;
  }

  /** End of the last whole record: the file's length without its torn tail. */
  get end(): number {
    return this.tailState.end;
  }

  /** Bytes in this reader's view of the file. */
  get size(): number {
    return this.source.size;
  }

  /** Follows a file that a writer is appending to: re-reads its length and tail. */
  async refresh(size?: number): Promise<void> {
    this.checkOpen();
    this.source.resize(size ?? (await this.file.size()));
    this.tailState = await findTail(this.source);
  }

  /** The record with `index`; `INDEX_OUT_OF_RANGE` outside the file's indexes. */
  async get(index: bigint): Promise<LsfsRecord> {
    this.checkOpen();
    this.checkIndex(index);
    const start = await blockWhereRecordStarts(this.source, index, this.lastBlock());
    const direct = fullRecordIn(await this.source.block(start), index);
    if (direct !== undefined) return direct;
    for await (const record of new Scanner(this.source, { mode: 'strict', startBlock: start, fromIndex: index }).records()) {
      if (record.index === index) return record;
      break;
    }
    throw new LsfsError('INDEX_OUT_OF_RANGE', `record ${index} was not found where its block says it starts`, { path: this.path });
  }

  /**
   * Records in index order, from `from` (default: the first). A strict read throws interior
   * damage after the records before it; a salvage read reports gaps in `report`.
   */
  async *records(options: { from?: bigint; mode?: ScanMode; report?: ScanReport } = {}): AsyncGenerator<LsfsRecord> {
    this.checkOpen();
    const mode = options.mode ?? 'strict';
    let startBlock = 0;
    // A salvage read starts at block 0 whatever `from` is: the binary search trusts block headers.
    if (mode === 'strict' && options.from !== undefined && this.lastIndex !== undefined && options.from > this.header.baseIndex) {
      if (options.from > this.lastIndex) {
        if (options.report !== undefined) options.report.tail = this.tail;
        return;
      }
      startBlock = await blockWhereRecordStarts(this.source, options.from, this.lastBlock());
    }
    const scanner = new Scanner(this.source, {
      mode,
      startBlock,
      readAheadBlocks: SCAN_READ_AHEAD_BLOCKS,
      ...(options.from === undefined ? {} : { fromIndex: options.from }),
    });
    try {
      yield* scanner.records();
    } finally {
      if (options.report !== undefined) {
        options.report.gaps.push(...scanner.report.gaps);
        options.report.tail = scanner.report.tail;
      }
    }
  }

  /** Records from the newest (or from index `from`) back to the first, block by block. */
  async *recordsBackward(options: { from?: bigint } = {}): AsyncGenerator<LsfsRecord> {
    this.checkOpen();
    if (this.lastIndex === undefined) return;
    if (options.from !== undefined && options.from < this.header.baseIndex) return;
    let upTo = options.from !== undefined && options.from < this.lastIndex ? options.from : this.lastIndex;
    let searchLimit = this.lastBlock();
    for (;;) {
      const start = await blockWhereRecordStarts(this.source, upTo, searchLimit);
      const batch: LsfsRecord[] = [];
      for await (const record of new Scanner(this.source, { mode: 'strict', startBlock: start }).records()) {
        if (record.index > upTo) break;
        batch.push(record);
      }
      if (batch.length === 0) throw new LsfsError('INDEX_OUT_OF_RANGE', `record ${upTo} was not found where its block says it starts`, { path: this.path });
      for (let i = batch.length - 1; i >= 0; i--) yield batch[i]!;
      const oldest = batch[0]!.index;
      if (oldest <= this.header.baseIndex) return;
      upTo = oldest - 1n;
      searchLimit = start;
    }
  }

  /**
   * Reads every byte and checks every checksum: what is intact and what is not. The report is the
   * salvage scan's (RSF-072). A clean file is checked by the clean check instead, on worker threads
   * for a large file on the real file system, which finds no damage exactly when the salvage scan
   * would find none; anything else goes through the salvage scan, so damage is classified by it alone.
   */
  async verify(onProgress?: (bytesDone: number, bytesTotal: number) => void): Promise<VerifyReport> {
    return (await this.verifyWith({ place: 'auto', onProgress })).report;
  }

  /**
   * {@link verify} with the clean check's place chosen, saying which path gave the report (tests
   * compare the paths).
   * @internal
   */
  async verifyWith(options: CleanCheckOptions): Promise<VerifyOutcome> {
    this.checkOpen();
    const size = this.source.size;
    const { blockSize, fileId, baseIndex } = this.header;
    const clean = await checkCleanFile(this.file, { blockSize, fileId, baseIndex, fileSize: size }, options);
    if (clean === undefined) return { report: await this.verifyBySalvageScan(options.onProgress), checkedBy: 'salvage-scan' };
    options.onProgress?.(size, size);
    const { records, firstIndex, lastIndex } = clean.summary;
    return { report: { gaps: [], tail: undefined, records, firstIndex, lastIndex, bytes: size }, checkedBy: clean.checkedBy };
  }

  /**
   * The verify of a file that is not clean: a salvage scan of every block, which finds, locates and
   * classifies the damage (spec §9).
   * @internal
   */
  async verifyBySalvageScan(onProgress?: (bytesDone: number, bytesTotal: number) => void): Promise<VerifyReport> {
    this.checkOpen();
    const scanner = new Scanner(this.source, { mode: 'salvage', readAheadBlocks: SCAN_READ_AHEAD_BLOCKS, materialize: false });
    let records = 0;
    let firstIndex: bigint | undefined;
    let lastIndex: bigint | undefined;
    let reported = 0;
    await scanner.visit((record) => {
      records++;
      firstIndex ??= record.index;
      lastIndex = record.index;
      if (onProgress !== undefined && record.offset - reported >= PROGRESS_STEP_BYTES) {
        reported = record.offset;
        onProgress(record.offset, this.source.size);
      }
    });
    onProgress?.(this.source.size, this.source.size);
    return { ...scanner.report, records, firstIndex, lastIndex, bytes: this.source.size };
  }

  /**
   * Block `blockNumber` parsed into its slices and damage, for inspection tools (`lsfs inspect`).
   * @internal
   */
  async block(blockNumber: number): Promise<ParsedBlock> {
    this.checkOpen();
    if (!Number.isInteger(blockNumber) || blockNumber < 0 || blockNumber > this.source.lastBlock) {
      throw new LsfsError('INVALID_ARGUMENT', `no block ${blockNumber}: the file has ${this.source.blockCount}`, { path: this.path });
    }
    return this.source.block(blockNumber);
  }

  /** Closes the file. The reader fails with `CLOSED` afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }

  /** Marks the reader closed without closing the file (the writer that shares it closes it). */
  detach(): void {
    this.closed = true;
  }

  private lastBlock(): number {
    return Math.max(0, Math.floor((this.tailState.end - 1) / this.header.blockSize));
  }

  private checkIndex(index: bigint): void {
    if (typeof index !== 'bigint') throw new LsfsError('INVALID_ARGUMENT', `an index must be a bigint, got ${typeof index}`);
    if (this.lastIndex === undefined || index < this.header.baseIndex || index > this.lastIndex) {
      const range = this.lastIndex === undefined ? 'the file holds no records' : `indexes run from ${this.header.baseIndex} to ${this.lastIndex}`;
      throw new LsfsError('INDEX_OUT_OF_RANGE', `no record ${index}: ${range}`, { path: this.path });
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new LsfsError('CLOSED', `reader of ${this.path} is closed`, { path: this.path });
  }
}

/**
 * The common case of a lookup, without a scan: record `index` is one FULL slice in a block with no
 * damage at all, so the strict scan would return exactly this. Anything else goes through the
 * Scanner, which knows every rule.
 */
function fullRecordIn(block: ParsedBlock, index: bigint): LsfsRecord | undefined {
  if (block.headerDamage !== undefined || block.items.some((item) => item.type === 'damage')) return undefined;
  const { slices, damageAt } = numberSlices(block);
  if (damageAt !== undefined) return undefined;
  const found = slices.find((numbered) => numbered.index === index && numbered.slice.kind === SliceKind.Full);
  if (found === undefined) return undefined;
  const { slice } = found;
  return {
    index,
    typeCode: block.bytes.readBigUInt64LE(slice.dataStart),
    payload: Buffer.from(block.bytes.subarray(slice.dataStart + RECORD_HEADER_SIZE, slice.dataStart + slice.dataLength)),
    offset: slice.offset,
  };
}
