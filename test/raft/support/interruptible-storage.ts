/**
 * A {@link Storage} over a {@link MemoryStorage} that counts the calls which change the disk
 * (writes, truncations, syncs, creations, removals, renames) and, at a chosen step, either cuts
 * the power — that call and every later one never settle, as if the process died there — or fails
 * the call with IO_ERROR. A test then crashes the MemoryStorage to see what a power loss at that
 * point leaves.
 */
import { LsfsError } from '../../../src/errors.js';
import type { MemoryStorage } from '../../../src/io/memory-storage.js';
import type { Storage, StorageFile, StorageLock } from '../../../src/io/storage.js';

export type FaultMode = 'power-cut' | 'io-error';

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

export class InterruptibleStorage implements Storage {
  /** Disk-changing calls made since {@link arm}. */
  steps = 0;
  private limit = Number.POSITIVE_INFINITY;
  private mode: FaultMode = 'power-cut';
  private dead = false;
  private signal: () => void = () => undefined;
  /** Resolves when the armed step is reached. */
  reached: Promise<void> = never();

  constructor(readonly inner: MemoryStorage) {}

  /** Counts steps from 0 again; the call that would be step `limit` (0-based) faults. */
  arm(limit: number, mode: FaultMode = 'power-cut'): void {
    this.steps = 0;
    this.limit = limit;
    this.mode = mode;
    this.dead = false;
    this.reached = new Promise<void>((resolve) => (this.signal = resolve));
  }

  disarm(): void {
    this.limit = Number.POSITIVE_INFINITY;
  }

  /** True once the power was cut. */
  get cut(): boolean {
    return this.dead;
  }

  private async pass<T>(run: () => Promise<T>): Promise<T> {
    if (this.dead) return never();
    return run();
  }

  private async change<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (this.dead) return never();
    if (this.steps >= this.limit) {
      this.signal();
      if (this.mode === 'power-cut') {
        this.dead = true;
        return never();
      }
      this.limit = Number.POSITIVE_INFINITY;
      throw new LsfsError('IO_ERROR', `injected failure of ${what}`);
    }
    this.steps++;
    return run();
  }

  open(path: string, mode: 'read' | 'write'): Promise<StorageFile> {
    return this.pass(async () => this.wrap(await this.inner.open(path, mode)));
  }

  createAtomically(path: string, contents: Uint8Array): Promise<void> {
    return this.change(`create ${path}`, () => this.inner.createAtomically(path, contents));
  }

  exists(path: string): Promise<boolean> {
    return this.pass(() => this.inner.exists(path));
  }

  remove(path: string): Promise<void> {
    return this.change(`remove ${path}`, () => this.inner.remove(path));
  }

  rename(from: string, to: string): Promise<void> {
    return this.change(`rename ${from}`, () => this.inner.rename(from, to));
  }

  syncDirectory(directory: string): Promise<void> {
    return this.change(`sync ${directory}`, () => this.inner.syncDirectory(directory));
  }

  list(directory: string): Promise<string[]> {
    return this.pass(() => this.inner.list(directory));
  }

  makeDirectory(directory: string): Promise<void> {
    return this.pass(() => this.inner.makeDirectory(directory));
  }

  lock(path: string): Promise<StorageLock> {
    return this.pass(() => this.inner.lock(path));
  }

  private wrap(file: StorageFile): StorageFile {
    return {
      path: file.path,
      read: (position, length) => this.pass(() => file.read(position, length)),
      size: () => this.pass(() => file.size()),
      write: (data, position) => this.change(`write ${file.path}`, () => file.write(data, position)),
      truncate: (length) => this.change(`truncate ${file.path}`, () => file.truncate(length)),
      datasync: () => this.change(`datasync ${file.path}`, () => file.datasync()),
      close: () => this.pass(() => file.close()),
    };
  }
}
