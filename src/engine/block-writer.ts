/**
 * The block writer (the prototype's first role): places records in blocks by the canonical layout
 * (spec §8), hands bytes to the OS in large writes, and makes them durable with group commit —
 * every `sync()` waits for one `fdatasync` that covers all records appended before it was called,
 * and concurrent callers share it. It holds the file's writer lock (RSF-065) and, on open, cuts off
 * a torn tail (RSF-081).
 */
import { randomBytes } from 'node:crypto';
import { LsfsError, assert } from '../errors.js';
import { DEFAULT_BLOCK_SIZE, MAX_PAYLOAD_LENGTH, MAX_RECORD_INDEX } from '../format/constants.js';
import { checkU64, encodeFileHeader, type FileHeader } from '../format/file-header.js';
import { encodeRecordPartsInto, encodedRecordSize } from '../format/layout.js';
import type { Storage, StorageFile, StorageLock } from '../io/storage.js';
import { BlockReader } from './block-reader.js';
import type { TornTail } from './record.js';

/** Buffered bytes beyond which appends start a write in the background: bounds the writer's memory. */
const FLUSH_THRESHOLD_BYTES = 1 << 20;
/** The buffer appends encode into: one flush's worth. */
const ARENA_BYTES = FLUSH_THRESHOLD_BYTES;
/** Pending bytes up to this size are copied out of the arena at a flush, so that it is reused. */
const ARENA_COPY_LIMIT_BYTES = 64 << 10;
/** Written arenas kept for reuse. */
const SPARE_ARENAS = 2;
/** A lone sync waits one event-loop turn every this many rounds, to notice other appenders (see syncOnce). */
const PROBE_EVERY_SYNCS = 8;
/** The head of a payload appended in one part. */
const NO_HEAD = new Uint8Array(0);

/** Bytes waiting for a flush; `arena` is the arena they are a view of, reused once they are written. */
interface PendingChunk {
  readonly bytes: Buffer;
  readonly arena: Buffer | undefined;
}

/** Options for creating a file. */
export interface CreateOptions {
  /** Block size: a power of two from 512 to 65536 (default 4096). */
  readonly blockSize?: number;
  /** Index of the first record (default 0). */
  readonly baseIndex?: bigint;
  /** File identity; random by default (RSF-021). Test vectors fix it. */
  readonly fileId?: bigint;
}

/** What opening a file for writing found and repaired. */
export interface Recovery {
  /** The torn tail that was cut off, if any. */
  readonly truncated: TornTail | undefined;
}

/**
 * Appends records to one file by the canonical layout (spec §8) and makes them durable with group
 * commit. Holds the file's writer lock while open; opening an existing file cuts off its torn tail.
 */
export class BlockWriter {
  /** The file header. */
  readonly header: FileHeader;
  /** What opening the file found and cut off. */
  readonly recovery: Recovery;
  private readonly file: StorageFile;
  private readonly lock: StorageLock;
  /** File length including buffered bytes: where the next record goes. */
  private position: number;
  /** File length handed to the OS. */
  private written: number;
  /** File length covered by a completed sync. */
  private synced: number;
  private next: bigint;
  /** Records appended since the last flush are encoded here, in file order. */
  private arena: Buffer = Buffer.allocUnsafe(ARENA_BYTES);
  private arenaUsed = 0;
  /** Sealed pieces of the arena and records too large for it, waiting for the next flush. */
  private buffered: PendingChunk[] = [];
  /** Arenas whose bytes are written, ready for reuse: no fresh 1 MiB (and its page faults) per flush. */
  private spareArenas: Buffer[] = [];
  private bufferedBytes = 0;
  private writing: Promise<void> = Promise.resolve();
  private syncing: Promise<void> | undefined;
  /** `sync()` calls since the last sync round started: more than one means appenders share syncs. */
  private syncCallsSinceRound = 0;
  /** `syncCallsSinceRound` when the last round started. */
  private previousCrowd = 0;
  /** Sync rounds since the last shared one. */
  private loneRounds = 0;
  private failure: LsfsError | undefined;
  private closed = false;

  private constructor(file: StorageFile, lock: StorageLock, header: FileHeader, end: number, next: bigint, recovery: Recovery) {
    this.file = file;
    this.lock = lock;
    this.header = header;
    this.position = end;
    this.written = end;
    this.synced = end;
    this.next = next;
    this.recovery = recovery;
  }

  /** Creates a new file (atomically: RSF-023) and opens it for appending. */
  static async create(storage: Storage, path: string, options: CreateOptions = {}): Promise<BlockWriter> {
    const fileId = options.fileId ?? randomBytes(8).readBigUInt64LE(0);
    checkU64('file id', fileId);
    const header = encodeFileHeader({ blockSize: options.blockSize ?? DEFAULT_BLOCK_SIZE, fileId, baseIndex: options.baseIndex ?? 0n });
    const lock = await storage.lock(path);
    try {
      await storage.createAtomically(path, header);
    } catch (error) {
      await lock.release();
      throw error;
    }
    return BlockWriter.openLocked(storage, path, lock);
  }

  /** Opens an existing file for appending, cutting off a torn tail first (RSF-081). */
  static async open(storage: Storage, path: string): Promise<BlockWriter> {
    return BlockWriter.openLocked(storage, path, await storage.lock(path));
  }

  /** Opens `path` if it exists, otherwise creates it with `options`. */
  static async openOrCreate(storage: Storage, path: string, options: CreateOptions = {}): Promise<BlockWriter> {
    return (await storage.exists(path)) ? BlockWriter.open(storage, path) : BlockWriter.create(storage, path, options);
  }

  private static async openLocked(storage: Storage, path: string, lock: StorageLock): Promise<BlockWriter> {
    let file: StorageFile | undefined;
    try {
      file = await storage.open(path, 'write');
      const reader = await BlockReader.over(file);
      reader.detach();
      const torn = reader.tail;
      if (torn !== undefined) {
        await file.truncate(torn.offset);
        await file.datasync();
      }
      return new BlockWriter(file, lock, reader.header, reader.end, reader.nextIndex, { truncated: torn });
    } catch (error) {
      await file?.close().catch(() => undefined);
      await lock.release();
      throw error;
    }
  }

  /** The path the file was opened at. */
  get path(): string {
    return this.file.path;
  }

  /** Index the next appended record gets. */
  get nextIndex(): bigint {
    return this.next;
  }

  /** File length including records not yet handed to the OS. */
  get length(): number {
    return this.position;
  }

  /** File length covered by a completed sync. */
  get syncedLength(): number {
    return this.synced;
  }

  /** File length the OS has (what readers in other processes can see). */
  get writtenLength(): number {
    return this.written;
  }

  /**
   * Appends a record and returns its index. The record is durable once a later `sync()` resolves.
   * Calls are accepted in call order; nothing is written for a call that throws.
   */
  append(typeCode: bigint, payload: Uint8Array): bigint {
    return this.appendParts(typeCode, NO_HEAD, 0, payload);
  }

  /**
   * {@link append} of the payload `head[0, headLength) ‖ body`, encoded straight from its two parts
   * (the Raft log's entry fields and command): the same bytes as appending the joined payload.
   */
  appendParts(typeCode: bigint, head: Uint8Array, headLength: number, body: Uint8Array): bigint {
    this.checkUsable();
    checkU64('type code', typeCode);
    if (!(head instanceof Uint8Array) || !(body instanceof Uint8Array)) throw new LsfsError('INVALID_ARGUMENT', 'a payload must be a Uint8Array or Buffer');
    if (!Number.isSafeInteger(headLength) || headLength < 0 || headLength > head.length) {
      throw new LsfsError('INVALID_ARGUMENT', `a payload head of ${headLength} bytes does not fit its buffer of ${head.length}`, { path: this.path });
    }
    const payloadLength = headLength + body.length;
    if (payloadLength > MAX_PAYLOAD_LENGTH) {
      throw new LsfsError('RECORD_TOO_LARGE', `payload of ${payloadLength} bytes exceeds the limit of ${MAX_PAYLOAD_LENGTH}`, { offset: this.position, path: this.path });
    }
    if (this.next > MAX_RECORD_INDEX) throw new LsfsError('INDEX_OVERFLOW', `index ${this.next} exceeds the largest record index`, { path: this.path });
    this.encodePending(typeCode, head, headLength, body);
    // A write in the background once enough is buffered; its failure is kept and reported by the
    // next call (the writer is then failed).
    if (this.bufferedBytes >= FLUSH_THRESHOLD_BYTES) void this.flush().catch(() => undefined);
    return this.next++;
  }

  /** Encodes the record straight into the arena (a record larger than it gets a buffer of its own). */
  private encodePending(typeCode: bigint, head: Uint8Array, headLength: number, body: Uint8Array): void {
    const size = encodedRecordSize(this.position, headLength + body.length, this.header);
    if (size > this.arena.length - this.arenaUsed) this.sealArena();
    if (size > this.arena.length) {
      const own = Buffer.allocUnsafe(size);
      encodeRecordPartsInto(own, 0, this.position, this.next, typeCode, head, headLength, body, this.header);
      this.buffered.push({ bytes: own, arena: undefined });
    } else {
      encodeRecordPartsInto(this.arena, this.arenaUsed, this.position, this.next, typeCode, head, headLength, body, this.header);
      this.arenaUsed += size;
    }
    this.position += size;
    this.bufferedBytes += size;
  }

  /**
   * Moves the arena's bytes to the list of buffers to write. A little is copied out so that the
   * arena is reused (a log that syncs after each small record allocates nothing); a lot is handed
   * over whole and a new arena taken.
   */
  private sealArena(): void {
    if (this.arenaUsed === 0) return;
    const used = this.arena.subarray(0, this.arenaUsed);
    if (this.arenaUsed <= ARENA_COPY_LIMIT_BYTES) {
      this.buffered.push({ bytes: Buffer.from(used), arena: undefined });
    } else {
      this.buffered.push({ bytes: used, arena: this.arena });
      this.arena = this.spareArenas.pop() ?? Buffer.allocUnsafe(ARENA_BYTES);
    }
    this.arenaUsed = 0;
  }

  /** Hands every buffered byte to the OS (no durability): readers in other processes then see it. */
  async flush(): Promise<void> {
    this.checkUsable();
    this.sealArena();
    const chunks = this.buffered;
    if (chunks.length === 0) return this.writing;
    this.buffered = [];
    this.bufferedBytes = 0;
    let at = this.position - chunks.reduce((total, chunk) => total + chunk.bytes.length, 0);
    this.writing = this.writing.then(async () => {
      // One write per chunk, in order: no copy into one big buffer.
      for (const chunk of chunks) {
        this.checkHealthy();
        try {
          await this.file.write(chunk.bytes, at);
        } catch (error) {
          throw this.fail(error);
        }
        at += chunk.bytes.length;
        this.written = at;
        if (chunk.arena !== undefined && this.spareArenas.length < SPARE_ARENAS) this.spareArenas.push(chunk.arena);
      }
    });
    return this.writing;
  }

  /**
   * Makes every record appended before this call durable (RSF-064). Concurrent calls share one
   * fdatasync: a sync that starts while another runs waits for it, then one more covers them all.
   */
  async sync(): Promise<void> {
    this.checkUsable();
    this.syncCallsSinceRound++;
    const target = this.position;
    while (this.synced < target) {
      this.syncing ??= this.syncOnce().finally(() => {
        this.syncing = undefined;
      });
      await this.syncing;
    }
  }

  private async syncOnce(): Promise<void> {
    // When several callers asked for the last sync or this one, wait one turn of the event loop
    // first: the appenders the last sync woke append now, and this sync covers them too (without
    // it, the first of them starts a sync alone and each fdatasync covers half of the appenders).
    // A lone caller does not pay for the turn (~10 µs after an inline fdatasync, ~35 µs after one
    // in the thread pool).
    //
    // A sync that runs in the thread pool reveals a crowd by itself: appenders call sync while it
    // runs. One that holds the thread (NodeStorage's inline mode) does not: each appender runs
    // only after the last sync is done and syncs alone. So every PROBE_EVERY_SYNCS-th lone round
    // waits the turn anyway, to find out whether others are about to append.
    const crowd = this.syncCallsSinceRound;
    this.syncCallsSinceRound = 0;
    const shared = crowd > 1 || this.previousCrowd > 1;
    this.previousCrowd = crowd;
    this.loneRounds = shared ? 0 : this.loneRounds + 1;
    if (shared || this.loneRounds % PROBE_EVERY_SYNCS === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const upTo = this.position;
    await this.flush();
    this.checkHealthy();
    try {
      // The directory entry is already durable: `create` went through createAtomically.
      await this.file.datasync();
    } catch (error) {
      // After a failed fsync the kernel may have dropped the dirty pages: never retry, never trust.
      throw this.fail(error);
    }
    assert(this.written >= upTo, 'a sync covers only written bytes');
    this.synced = Math.max(this.synced, upTo);
  }

  /** Syncs, closes the file and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.failure === undefined) await this.sync();
    } finally {
      this.closed = true;
      await this.file.close().catch(() => undefined);
      await this.lock.release();
    }
  }

  /** The open file, for a reader that shares it. */
  get handle(): StorageFile {
    return this.file;
  }

  private fail(error: unknown): LsfsError {
    this.failure ??= error instanceof LsfsError ? error : new LsfsError('IO_ERROR', `write to ${this.path} failed: ${String(error)}`, { path: this.path, cause: error });
    return this.failure;
  }

  private checkHealthy(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private checkUsable(): void {
    if (this.closed) throw new LsfsError('CLOSED', `writer of ${this.path} is closed`, { path: this.path });
    this.checkHealthy();
  }
}
