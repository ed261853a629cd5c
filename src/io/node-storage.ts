/**
 * {@link Storage} on the real file system (`node:fs/promises`). Every operating-system failure
 * becomes an `IO_ERROR` that keeps the original error (and its `code`) as `cause`.
 */
import { randomBytes } from 'node:crypto';
import { fdatasyncSync, readSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { link, mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { LsfsError, ioError } from '../errors.js';
import type { Storage, StorageFile, StorageLock } from './storage.js';

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function osError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

function checkCount(value: number, what: string, path: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new LsfsError('INVALID_ARGUMENT', `${what} must be a non-negative integer, got ${value}`, { path });
  }
}

/** A unique name beside `path`, hidden (leading dot) so directory scans can tell it from real files. */
function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Writes all of `data`: a single write may be partial. */
async function writeFully(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    // A regular file never accepts zero bytes without an error; looping on it would spin forever.
    if (bytesWritten === 0) throw osError('EIO', 'write made no progress');
    done += bytesWritten;
  }
}

/** Creates `path` (which must not exist) holding `contents`, synced. */
async function writeNewFile(path: string, contents: Uint8Array, sync: boolean): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await writeFully(handle, contents, 0);
    if (sync) await handle.datasync();
  } finally {
    await handle.close();
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

/**
 * How a file's `datasync` reaches the disk: `inline` calls fdatasync on the calling thread (the
 * event loop waits for the disk, as better-sqlite3's commits do) and saves a thread-pool round
 * trip per sync, about 50 µs here; `thread-pool` leaves the event loop free while the disk works.
 */
export type SyncMode = 'inline' | 'thread-pool';

/** Options of {@link NodeStorage}. */
export interface NodeStorageOptions {
  /** How file syncs run (default `inline`); directory syncs always use the thread pool. */
  readonly syncMode?: SyncMode;
}

class NodeFile implements StorageFile {
  private handle: FileHandle | null;

  constructor(
    readonly path: string,
    handle: FileHandle,
    private readonly syncMode: SyncMode,
  ) {
    this.handle = handle;
  }

  /** The descriptor while the file is open (see {@link StorageFile.fileDescriptor}). */
  get fileDescriptor(): number | undefined {
    return this.handle?.fd;
  }

  async read(position: number, length: number): Promise<Buffer> {
    const handle = this.usable('read');
    checkCount(position, 'read position', this.path);
    checkCount(length, 'read length', this.path);
    try {
      // Small reads (a block) go straight to the page cache with readSync: a thread-pool round
      // trip costs ten times more than the copy. Large reads are sized by the file, not by
      // `length`, so that a length from damaged bytes cannot allocate gigabytes.
      if (length <= SYNC_READ_LIMIT_BYTES) return readSyncFully(handle.fd, Buffer.allocUnsafe(length), position);
      const available = Math.max(0, Math.min(length, (await handle.stat()).size - position));
      const buffer = Buffer.allocUnsafe(available);
      let filled = 0;
      while (filled < available) {
        const { bytesRead } = await handle.read(buffer, filled, available - filled, position + filled);
        if (bytesRead === 0) break; // the file shrank since stat
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } catch (error) {
      throw ioError('read', this.path, error);
    }
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    const handle = this.usable('write');
    checkCount(position, 'write position', this.path);
    try {
      // Like small reads: a write into the page cache costs less than a thread-pool round trip.
      if (data.length <= SYNC_WRITE_LIMIT_BYTES) writeSyncFully(handle.fd, data, position);
      else await writeFully(handle, data, position);
    } catch (error) {
      throw ioError('write', this.path, error);
    }
  }

  async size(): Promise<number> {
    const handle = this.usable('size');
    try {
      return (await handle.stat()).size;
    } catch (error) {
      throw ioError('stat', this.path, error);
    }
  }

  async truncate(length: number): Promise<void> {
    const handle = this.usable('truncate');
    checkCount(length, 'truncate length', this.path);
    try {
      await handle.truncate(length);
    } catch (error) {
      throw ioError('truncate', this.path, error);
    }
  }

  async datasync(): Promise<void> {
    const handle = this.usable('datasync');
    try {
      if (this.syncMode === 'inline') fdatasyncSync(handle.fd);
      else await handle.datasync();
    } catch (error) {
      throw ioError('datasync', this.path, error);
    }
  }

  /** Closing twice is harmless, so cleanup code need not track whether it already closed. */
  async close(): Promise<void> {
    const handle = this.handle;
    if (handle === null) return;
    this.handle = null;
    try {
      await handle.close();
    } catch (error) {
      throw ioError('close', this.path, error);
    }
  }

  private usable(operation: string): FileHandle {
    if (this.handle === null) throw new LsfsError('CLOSED', `${operation} ${this.path}: file is closed`, { path: this.path });
    return this.handle;
  }
}

/**
 * Lock files this process holds, by absolute path, shared by every NodeStorage in the process: the
 * owner check of a lock file cannot tell a second writer of this process from the first, since both
 * have our pid.
 */
const locksHeldByThisProcess = new Set<string>();

/** Who holds a lock file: what it contains as JSON. */
interface LockOwner {
  pid: number;
  hostname: string;
  createdAt: string;
}

function parseLockOwner(text: string): LockOwner | null {
  try {
    const owner = JSON.parse(text) as Partial<LockOwner> | null;
    return typeof owner?.pid === 'number' && typeof owner.hostname === 'string' ? (owner as LockOwner) : null;
  } catch {
    return null;
  }
}

function isProcessAlive(pid: number): boolean {
  // pid 0 and negatives address process groups, never one process.
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ESRCH'; // EPERM: alive, owned by another user
  }
}

/**
 * A lock file nobody can still be using: its owner process on this host is gone, or the file is not
 * a complete owner record. Lock files appear by link() of a fully written file, so an incomplete one
 * can only come from a machine crash that lost its unsynced content, whose owner is dead too.
 *
 * A pid reused after a reboot by an unrelated live process makes a stale lock look held; it must then
 * be removed by hand.
 */
function isStale(owner: LockOwner | null): boolean {
  return owner === null || (owner.hostname === hostname() && !isProcessAlive(owner.pid));
}

/** Puts a lock file holding `record` at `lockPath`; false when one is already there. */
async function createLockFile(lockPath: string, record: string): Promise<boolean> {
  const temporary = temporaryPathFor(lockPath);
  await writeNewFile(temporary, Buffer.from(record), false);
  try {
    await link(temporary, lockPath);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await removeIfPresent(temporary);
  }
}

/** The lock file's content; undefined when the file vanished (its owner just released it). */
async function readLockRecord(lockPath: string): Promise<string | undefined> {
  try {
    return await readFile(lockPath, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Takes `lockPath`, taking over a stale lock file once.
 *
 * Race: two processes that find the same stale lock at the same instant may both remove it, and the
 * later removal can delete the lock file the faster one just created, so both believe they hold the
 * lock. Closing this needs an OS lock (flock), which Node has no API for without native addons;
 * stale locks only exist after a writer died, so the window is narrow.
 */
async function takeLockFile(lockPath: string, record: string, path: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await createLockFile(lockPath, record)) return;
    const found = await readLockRecord(lockPath);
    if (found === undefined) continue;
    const owner = parseLockOwner(found);
    if (owner !== null && !isStale(owner)) {
      throw new LsfsError('LOCKED', `${path} is locked by process ${owner.pid} on ${owner.hostname}`, { path });
    }
    await removeIfPresent(lockPath);
  }
  throw new LsfsError('LOCKED', `${path}: could not take the lock file ${lockPath}`, { path });
}

class NodeLock implements StorageLock {
  private released = false;

  constructor(
    private readonly lockPath: string,
    private readonly record: string,
  ) {}

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      // A lock file that is no longer ours (taken over after the race above) is not ours to remove.
      if ((await readLockRecord(this.lockPath)) === this.record) await removeIfPresent(this.lockPath);
    } catch (error) {
      throw ioError('unlock', this.lockPath, error);
    } finally {
      locksHeldByThisProcess.delete(this.lockPath);
    }
  }
}

/** The real file system. Lock files are `${path}.lock` and show up in `list()`. */
export class NodeStorage implements Storage {
  /** How file syncs reach the disk. */
  readonly syncMode: SyncMode;

  constructor(options: NodeStorageOptions = {}) {
    const syncMode = options.syncMode ?? 'inline';
    if (syncMode !== 'inline' && syncMode !== 'thread-pool') throw new LsfsError('INVALID_ARGUMENT', `syncMode must be 'inline' or 'thread-pool', got ${String(syncMode)}`);
    this.syncMode = syncMode;
  }

  async open(path: string, mode: 'read' | 'write'): Promise<StorageFile> {
    try {
      return new NodeFile(path, await open(path, mode === 'read' ? 'r' : 'r+'), this.syncMode);
    } catch (error) {
      throw ioError('open', path, error);
    }
  }

  async createAtomically(path: string, contents: Uint8Array): Promise<void> {
    if (await this.exists(path)) throw ioError('create', path, osError('EEXIST', 'file already exists'));
    const temporary = temporaryPathFor(path);
    try {
      await writeNewFile(temporary, contents, true);
      // link() rather than rename(): it fails if `path` appeared meanwhile instead of replacing it.
      await link(temporary, path);
      await unlink(temporary);
    } catch (error) {
      await removeIfPresent(temporary).catch(() => undefined);
      throw ioError('create', path, error);
    }
    await this.syncDirectory(dirname(path));
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw ioError('stat', path, error);
    }
  }

  async remove(path: string): Promise<void> {
    try {
      await removeIfPresent(path);
    } catch (error) {
      throw ioError('remove', path, error);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      await rename(from, to);
    } catch (error) {
      throw ioError('rename', `${from} -> ${to}`, error);
    }
  }

  async syncDirectory(directory: string): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      handle = await open(directory, 'r');
      await handle.sync();
    } catch (error) {
      throw ioError('sync directory', directory, error);
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  async list(directory: string): Promise<string[]> {
    try {
      return (await readdir(directory)).sort();
    } catch (error) {
      throw ioError('list', directory, error);
    }
  }

  async makeDirectory(directory: string): Promise<void> {
    try {
      await mkdir(directory, { recursive: true });
    } catch (error) {
      throw ioError('make directory', directory, error);
    }
  }

  async lock(path: string): Promise<StorageLock> {
    const lockPath = resolve(`${path}.lock`);
    if (locksHeldByThisProcess.has(lockPath)) {
      throw new LsfsError('LOCKED', `${path} is locked by another writer in this process`, { path });
    }
    // Claimed before the first await, so two writers of this process cannot both get past here.
    locksHeldByThisProcess.add(lockPath);
    const owner: LockOwner = { pid: process.pid, hostname: hostname(), createdAt: new Date().toISOString() };
    const record = JSON.stringify(owner);
    try {
      await takeLockFile(lockPath, record, path);
    } catch (error) {
      locksHeldByThisProcess.delete(lockPath);
      throw error instanceof LsfsError ? error : ioError('lock', lockPath, error);
    }
    return new NodeLock(lockPath, record);
  }
}

/** Reads up to 64 KiB, one block at the most, synchronously (see `read`). */
const SYNC_READ_LIMIT_BYTES = 1 << 16;

function readSyncFully(fd: number, buffer: Buffer, position: number): Buffer {
  let filled = 0;
  while (filled < buffer.length) {
    const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Writes up to 1 MiB (one flush of the writer's arena) synchronously (see `write`). */
const SYNC_WRITE_LIMIT_BYTES = 1 << 20;

function writeSyncFully(fd: number, data: Uint8Array, position: number): void {
  let written = 0;
  while (written < data.length) written += writeSync(fd, data, written, data.length - written, position + written);
}
