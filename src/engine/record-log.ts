/**
 * The recorder (the prototype's second role), and the engine's main entry point: typed records
 * appended to one LSFS file, read back by index or in order, with a bounded cache of recent
 * records. It joins a {@link BlockWriter} and a {@link BlockReader} that share one file handle.
 */
import { LsfsError } from '../errors.js';
import { MAX_PAYLOAD_LENGTH, MAX_RECORD_INDEX } from '../format/constants.js';
import { checkU64 } from '../format/file-header.js';
import type { FileHeader } from '../format/file-header.js';
import { recordStartOffset } from '../format/layout.js';
import { NodeStorage } from '../io/node-storage.js';
import type { Storage } from '../io/storage.js';
import { BlockReader, type VerifyReport } from './block-reader.js';
import { BlockWriter, type CreateOptions, type Recovery } from './block-writer.js';
import { RecentRecords } from './recent-records.js';
import type { LsfsRecord, ScanReport } from './record.js';
import type { ScanMode } from './scanner.js';

/** The head of a payload appended in one part. */
const NO_HEAD = new Uint8Array(0);

/** Options of {@link RecordLog.open}: how to create the file if it is missing, where it lives, and the cache. */
export interface RecordLogOptions extends CreateOptions {
  /** Where files live; the real file system by default. */
  readonly storage?: Storage;
  /** Create the file when it does not exist (default true). */
  readonly create?: boolean;
  /** Recent records kept in memory (default 1024). */
  readonly cacheRecords?: number;
  /** Payload bytes kept in memory at most (default 16 MiB). */
  readonly cacheBytes?: number;
  /**
   * Largest payload the cache keeps (default 1024 bytes): larger records are read back from the
   * file, since copying them on every append costs about what a later read would.
   */
  readonly cacheRecordMaxBytes?: number;
}

/** A record to append: a 64-bit type code and a payload. */
export interface NewRecord {
  /** The record's type code, any u64. */
  readonly typeCode: bigint;
  /** The record's payload, at most 2^30 bytes. */
  readonly payload: Uint8Array;
}

/**
 * An LSFS file opened for appending and reading: the engine's main entry point. `append` places a
 * record and returns its index; `sync` makes every record appended before it durable (concurrent
 * syncs share one fdatasync); `get`, `records` and `recordsBackward` read them back.
 */
export class RecordLog {
  private readonly writer: BlockWriter;
  private readonly reader: BlockReader;
  private readonly cache: RecentRecords;
  private closed = false;

  private constructor(writer: BlockWriter, reader: BlockReader, cache: RecentRecords) {
    this.writer = writer;
    this.reader = reader;
    this.cache = cache;
  }

  /** Opens (or creates) the record file at `path` for appending. */
  static async open(path: string, options: RecordLogOptions = {}): Promise<RecordLog> {
    const storage = options.storage ?? new NodeStorage();
    const writer = options.create === false ? await BlockWriter.open(storage, path) : await BlockWriter.openOrCreate(storage, path, options);
    try {
      const reader = await BlockReader.over(writer.handle, writer.length);
      const cache = new RecentRecords(options.cacheRecords ?? 1024, options.cacheBytes ?? 16 << 20, options.cacheRecordMaxBytes ?? 1024);
      return new RecordLog(writer, reader, cache);
    } catch (error) {
      await writer.close();
      throw error;
    }
  }

  /** The path the file was opened at. */
  get path(): string {
    return this.writer.path;
  }

  /** The file header: block size, file id, base index. */
  get header(): FileHeader {
    return this.writer.header;
  }

  /** What opening found and cut off (a torn tail left by a crash). */
  get recovery(): Recovery {
    return this.writer.recovery;
  }

  /** Index of the first record, or undefined while the log is empty. */
  get firstIndex(): bigint | undefined {
    return this.writer.nextIndex > this.header.baseIndex ? this.header.baseIndex : undefined;
  }

  /** Index of the newest record, or undefined while the log is empty. */
  get lastIndex(): bigint | undefined {
    return this.writer.nextIndex > this.header.baseIndex ? this.writer.nextIndex - 1n : undefined;
  }

  /** Index the next appended record gets. */
  get nextIndex(): bigint {
    return this.writer.nextIndex;
  }

  /** Bytes of the file, including records not yet written to it. */
  get length(): number {
    return this.writer.length;
  }

  /** Appends a record; returns its index. Durable once a later {@link sync} resolves. */
  append(typeCode: bigint, payload: Uint8Array): bigint {
    return this.appendParts(typeCode, NO_HEAD, 0, payload);
  }

  /**
   * {@link append} of the payload `head[0, headLength) ‖ body`, encoded from its two parts without
   * joining them first (the Raft log's entry fields and command). Neither part is kept: the cache
   * copies the payload into its own ring, so the caller may reuse both when this returns.
   */
  appendParts(typeCode: bigint, head: Uint8Array, headLength: number, body: Uint8Array): bigint {
    this.checkOpen();
    const offset = recordStartOffset(this.writer.length, this.header.blockSize);
    const index = this.writer.appendParts(typeCode, head, headLength, body);
    this.cache.add(index, typeCode, offset, head, headLength, body);
    return index;
  }

  /** Appends records in order; returns the index of each. Checks them all before appending any. */
  appendMany(records: readonly NewRecord[]): bigint[] {
    this.checkOpen();
    if (!Array.isArray(records)) throw new LsfsError('INVALID_ARGUMENT', 'appendMany takes an array of records');
    for (const record of records) checkNewRecord(record, this.path);
    const lastIndex = this.nextIndex + BigInt(records.length) - 1n;
    if (records.length > 0 && lastIndex > MAX_RECORD_INDEX) {
      throw new LsfsError('INDEX_OVERFLOW', `${records.length} records from index ${this.nextIndex} would pass the largest record index`, { path: this.path });
    }
    return records.map((record) => this.append(record.typeCode, record.payload));
  }

  /** Writes appended records to the file without syncing: readers in other processes then see them. */
  async flush(): Promise<void> {
    this.checkOpen();
    await this.writer.flush();
  }

  /** Makes every record appended so far durable; concurrent calls share one fdatasync. */
  sync(): Promise<void> {
    // The writer's promise itself, not one more async layer: a lone append pays for each.
    try {
      this.checkOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.writer.sync();
  }

  /** The record with `index`: from the cache of recent records, or read and checked from the file. */
  async get(index: bigint): Promise<LsfsRecord> {
    this.checkOpen();
    const cached = this.cache.get(index);
    if (cached !== undefined) return cached;
    await this.catchUp(index);
    return this.reader.get(index);
  }

  /** Records in index order from `from` (default: the first). */
  async *records(options: { from?: bigint; mode?: ScanMode; report?: ScanReport } = {}): AsyncGenerator<LsfsRecord> {
    this.checkOpen();
    await this.catchUp(this.lastIndex);
    yield* this.reader.records(options);
  }

  /** Records from the newest (or from index `from`) back to the first. */
  async *recordsBackward(options: { from?: bigint } = {}): AsyncGenerator<LsfsRecord> {
    this.checkOpen();
    await this.catchUp(this.lastIndex);
    yield* this.reader.recordsBackward(options);
  }

  /** Reads every byte of the file and checks every checksum. */
  async verify(onProgress?: (bytesDone: number, bytesTotal: number) => void): Promise<VerifyReport> {
    this.checkOpen();
    await this.catchUp(this.lastIndex);
    return this.reader.verify(onProgress);
  }

  /** Syncs and closes the file, and releases the writer lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reader.detach();
    await this.writer.close();
  }

  /** Makes the reader's view include record `index` (written to the file, reader refreshed). */
  private async catchUp(index: bigint | undefined): Promise<void> {
    if (index === undefined || (this.reader.lastIndex !== undefined && index <= this.reader.lastIndex)) return;
    await this.writer.flush();
    await this.reader.refresh(this.writer.writtenLength);
  }

  private checkOpen(): void {
    if (this.closed) throw new LsfsError('CLOSED', `record log ${this.path} is closed`, { path: this.path });
  }
}

/** The checks `append` makes, made up front so that `appendMany` appends all or nothing. */
function checkNewRecord(record: NewRecord, path: string): void {
  if (typeof record !== 'object' || record === null || !(record.payload instanceof Uint8Array)) {
    throw new LsfsError('INVALID_ARGUMENT', 'each record needs a bigint typeCode and a Uint8Array payload', { path });
  }
  checkU64('type code', record.typeCode);
  if (record.payload.length > MAX_PAYLOAD_LENGTH) {
    throw new LsfsError('RECORD_TOO_LARGE', `payload of ${record.payload.length} bytes exceeds the limit of ${MAX_PAYLOAD_LENGTH}`, { path });
  }
}
