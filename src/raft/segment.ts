/**
 * One segment file (spec §5): an LSFS record file whose base index is the index of its first
 * entry. The tail segment is open for appending (a {@link RecordLog}); the others are sealed and
 * open read-only (a {@link BlockReader}), since nothing is ever appended to them again.
 *
 * A segment that leaves the live list is retired: closed once no read or sync still uses it
 * (callers pin it around each), then optionally removed.
 */
import { LsfsError } from '../errors.js';
import { BlockReader } from '../engine/block-reader.js';
import { RecordLog } from '../engine/record-log.js';
import type { LsfsRecord } from '../engine/record.js';
import type { FileHeader } from '../format/file-header.js';
import type { Storage } from '../io/storage.js';
import type { SegmentRef } from './hard-state.js';

function checkHeader(header: FileHeader, ref: SegmentRef, path: string): void {
  if (header.fileId !== ref.fileId || header.baseIndex !== BigInt(ref.base)) {
    throw new LsfsError(
      'FOREIGN_BLOCK',
      `${path}: file id ${header.fileId} and base ${header.baseIndex} are not the listed ${ref.fileId} and ${ref.base}`,
      { path, offset: 16 },
    );
  }
}

/** One open segment file: the tail (writable) or a sealed one (read-only). */
export class OpenSegment {
  private pins = 0;
  private closing = false;
  private retirement: { remove: boolean; done: Promise<void>; finish: () => void } | undefined;

  private constructor(
    readonly ref: SegmentRef,
    readonly path: string,
    private readonly storage: Storage,
    private readonly source: RecordLog | BlockReader,
  ) {}

  /**
   * Creates a new, empty segment file (durably: the engine creates it atomically) open for
   * appending. A file left at this name by an earlier life of the log is removed first (RLG-051).
   */
  static async create(storage: Storage, path: string, ref: SegmentRef, blockSize: number | undefined): Promise<OpenSegment> {
    if (await storage.exists(path)) {
      await storage.remove(path);
      await storage.syncDirectory(path.slice(0, path.lastIndexOf('/')));
    }
    const log = await RecordLog.open(path, { storage, blockSize, baseIndex: BigInt(ref.base), fileId: ref.fileId, create: true });
    return OpenSegment.checked(new OpenSegment(ref, path, storage, log), log.header);
  }

  /** Opens the tail segment for appending; the engine cuts off a torn tail (RSF-081). */
  static async openTail(storage: Storage, path: string, ref: SegmentRef): Promise<OpenSegment> {
    const log = await RecordLog.open(path, { storage, create: false });
    return OpenSegment.checked(new OpenSegment(ref, path, storage, log), log.header);
  }

  /** Opens a sealed segment read-only. */
  static async openSealed(storage: Storage, path: string, ref: SegmentRef): Promise<OpenSegment> {
    const reader = await BlockReader.open(storage, path);
    return OpenSegment.checked(new OpenSegment(ref, path, storage, reader), reader.header);
  }

  private static async checked(segment: OpenSegment, header: FileHeader): Promise<OpenSegment> {
    try {
      checkHeader(header, segment.ref, segment.path);
      return segment;
    } catch (error) {
      await segment.source.close().catch(() => undefined);
      throw error;
    }
  }

  /** Index the next record of the file gets: one past its last entry. */
  get nextIndex(): number {
    return Number(this.source.nextIndex);
  }

  /** The file's length, including records not yet written to it. */
  get bytes(): number {
    return this.source instanceof RecordLog ? this.source.length : this.source.size;
  }

  /** True for the tail, which accepts appends. */
  get writable(): boolean {
    return this.source instanceof RecordLog;
  }

  /** Appends a record whose payload the caller hands over (not changed again); durable once a later {@link sync} resolves. */
  append(typeCode: bigint, payload: Uint8Array): number {
    return Number(this.writer().append(typeCode, payload, { transfer: true }));
  }

  /**
   * Appends a record whose payload is `head[0, headLength) ‖ body`, encoded from its parts before
   * this returns (neither is kept); durable once a later {@link sync} resolves.
   */
  appendParts(typeCode: bigint, head: Uint8Array, headLength: number, body: Uint8Array): number {
    return Number(this.writer().appendParts(typeCode, head, headLength, body));
  }

  /**
   * {@link sync} for a caller that holds a {@link pin}: the writer's own promise, with no layer of
   * its own (a single append pays for every promise on its way to the disk).
   */
  syncPinned(): Promise<void> {
    return this.source instanceof RecordLog ? this.source.sync() : Promise.resolve();
  }

  /** Makes every record appended so far durable (group commit: concurrent calls share a sync). */
  async sync(): Promise<void> {
    if (!(this.source instanceof RecordLog)) return;
    const unpin = this.pin();
    try {
      await this.source.sync();
    } finally {
      unpin();
    }
  }

  /** The record at `index`. */
  async read(index: number): Promise<LsfsRecord> {
    const unpin = this.pin();
    try {
      return await this.source.get(BigInt(index));
    } finally {
      unpin();
    }
  }

  /** Keeps the file open until the returned function is called. */
  pin(): () => void {
    if (this.closing) throw new LsfsError('CLOSED', `segment ${this.path} is retired`, { path: this.path });
    this.pins++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.pins--;
      this.closeIfDone();
    };
  }

  /**
   * Closes the file once no pin holds it, then removes it if asked; resolves when that is done.
   * A removal that fails is left to the next start's clean-up (RLG-082).
   */
  retire(remove: boolean): Promise<void> {
    if (this.retirement === undefined) {
      let finish!: () => void;
      const done = new Promise<void>((resolve) => (finish = resolve));
      this.retirement = { remove, done, finish };
      this.closeIfDone();
    }
    return this.retirement.done;
  }

  private closeIfDone(): void {
    const retirement = this.retirement;
    if (retirement === undefined || this.pins > 0 || this.closing) return;
    this.closing = true;
    void (async () => {
      await this.source.close().catch(() => undefined);
      if (retirement.remove) await this.storage.remove(this.path).catch(() => undefined);
    })().finally(retirement.finish);
  }

  private writer(): RecordLog {
    if (!(this.source instanceof RecordLog)) throw new LsfsError('INVALID_ARGUMENT', `segment ${this.path} is sealed`, { path: this.path });
    return this.source;
  }
}
