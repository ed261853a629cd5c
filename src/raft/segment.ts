/**
 * One segment file (spec §5): an LSFS record file whose base index is the index of its first
 * entry. The tail segment is open for appending (a {@link RecordLog}); the others are sealed and
 * open read-only (a {@link BlockReader}), since nothing is ever appended to them again.
 *
 * A sealed segment found at start is opened, and checked (RLG-081), only when it is first read:
 * starting a log then costs the same few file operations whatever the number of its segments,
 * and holds a file open only for the segments it reads.
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

/** Runs `check` on a file just opened; closes it if the check throws, and rethrows. */
async function checkedOrClosed(source: RecordLog | BlockReader, check: () => void): Promise<void> {
  try {
    check();
  } catch (error) {
    await source.close().catch(() => undefined);
    throw error;
  }
}

/** One open segment file: the tail (writable) or a sealed one (read-only). */
export class OpenSegment {
  private pins = 0;
  private closing = false;
  private retirement: { remove: boolean; done: Promise<void>; finish: () => void } | undefined;
  /** The open file; undefined for a sealed segment not read yet (see {@link sealed}). */
  private source: RecordLog | BlockReader | undefined;
  /** The first read's open of a sealed segment, while it runs. */
  private opening: Promise<RecordLog | BlockReader> | undefined;
  /** Bytes of the file once known: fixed for a sealed segment. */
  private sealedBytes: number | undefined;

  private constructor(
    readonly ref: SegmentRef,
    readonly path: string,
    private readonly storage: Storage,
    source: RecordLog | BlockReader | undefined,
    /** For a sealed segment: the next segment's base, which its records must reach (RLG-081). */
    private readonly nextBase?: number,
  ) {
    this.source = source;
  }

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

  /**
   * A sealed segment, with no file operation yet: its first read opens the file read-only and
   * checks it (RLG-081) — file id and base the listed ones, records reaching `nextBase` — and
   * fails with that check's error (again on each later read) if it does not pass.
   */
  static sealed(storage: Storage, path: string, ref: SegmentRef, nextBase: number): OpenSegment {
    return new OpenSegment(ref, path, storage, undefined, nextBase);
  }

  private static async checked(segment: OpenSegment, header: FileHeader): Promise<OpenSegment> {
    await checkedOrClosed(segment.source!, () => checkHeader(header, segment.ref, segment.path));
    return segment;
  }

  /** The tail's next index: one past the log's last entry. */
  get nextIndex(): number {
    return Number(this.writer().nextIndex);
  }

  /** The tail's length, including records not yet written to it. */
  get bytes(): number {
    return this.writer().length;
  }

  /** The file's length: for a sealed segment not read yet, from the file (no check: RLG-081 waits for a read). */
  async size(): Promise<number> {
    if (this.source instanceof RecordLog) return this.source.length;
    if (this.source !== undefined) return this.source.size;
    if (this.sealedBytes === undefined) {
      const unpin = this.pin();
      try {
        const file = await this.storage.open(this.path, 'read');
        try {
          this.sealedBytes = await file.size();
        } finally {
          await file.close().catch(() => undefined);
        }
      } finally {
        unpin();
      }
    }
    return this.sealedBytes;
  }

  /** True for the tail, which accepts appends. */
  get writable(): boolean {
    return this.source instanceof RecordLog;
  }

  /** Appends a record; durable once a later {@link sync} resolves. */
  append(typeCode: bigint, payload: Uint8Array): number {
    return Number(this.writer().append(typeCode, payload));
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
      const source = this.source ?? (await this.openSealed());
      return await source.get(BigInt(index));
    } finally {
      unpin();
    }
  }

  /** Opens and checks a sealed segment (RLG-081) for a pinned caller; reads that arrive meanwhile share the open. */
  private openSealed(): Promise<RecordLog | BlockReader> {
    this.opening ??= (async () => {
      const reader = await BlockReader.open(this.storage, this.path);
      await checkedOrClosed(reader, () => {
        checkHeader(reader.header, this.ref, this.path);
        const nextBase = this.nextBase!;
        if (reader.nextIndex < BigInt(nextBase)) {
          throw new LsfsError('TORN_TAIL', `${this.path} ends before index ${nextBase - 1}, which the next segment's base says it holds`, { path: this.path });
        }
      });
      this.source = reader;
      return reader;
    })().finally(() => {
      // A failed open is tried again by the next read (it fails the same way if the file is damaged).
      this.opening = undefined;
    });
    return this.opening;
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
      // No read is pinned, so no sealed open runs: a segment never read has nothing to close.
      await this.source?.close().catch(() => undefined);
      if (retirement.remove) await this.storage.remove(this.path).catch(() => undefined);
    })().finally(retirement.finish);
  }

  private writer(): RecordLog {
    if (!(this.source instanceof RecordLog)) throw new LsfsError('INVALID_ARGUMENT', `segment ${this.path} is sealed`, { path: this.path });
    return this.source;
  }
}
