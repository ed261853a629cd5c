/**
 * An in-memory disk implementing exactly the fault model of spec appendix A, so that tests can cut
 * the power at any point between two I/O calls and check what an engine recovers.
 *
 * The model is a tiny file system of inodes and names:
 * - an inode holds its `current` bytes (what every reader sees, like a page cache), its `durable`
 *   bytes (what its last completed datasync covered) and the writes and truncations since then;
 * - the `current` namespace maps paths to inodes as the program sees them; the `durable` namespace is
 *   what the last directory syncs covered; directory operations since then are pending.
 *
 * {@link MemoryStorage.crash} rebuilds the disk as a power loss may leave it: every inode from its
 * durable bytes plus a random prefix of its pending changes (the last write possibly cut, then
 * possibly one torn run of sectors past the synced length), every directory from its durable entries
 * plus a random prefix of its pending operations.
 *
 * Every method runs to completion without awaiting anything, so a crash can only fall between two
 * calls, never inside one.
 */
import { constants as bufferConstants } from 'node:buffer';
import { LsfsError, ioError } from '../errors.js';
import type { Storage, StorageFile, StorageLock } from './storage.js';

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/** What a crash did to one file (for test failure messages). */
export interface CrashedFile {
  /** The file's path. */
  readonly path: string;
  /** Length the file's last completed datasync covered. */
  readonly syncedLength: number;
  /** Length the program saw just before the crash. */
  readonly writtenLength: number;
  /** Length after the crash. */
  readonly length: number;
  /** Pending writes and truncations that survived, out of `pendingChanges`. */
  readonly keptChanges: number;
  /** Writes and truncations since the file's last completed datasync, when the crash came. */
  readonly pendingChanges: number;
  /** True when the last kept write was cut to a prefix of its bytes. */
  readonly lastWriteCut: boolean;
  /** The torn run of sectors, from `from` to the end of the file, or null when nothing tore. */
  readonly tear: {
    /** File offset where the torn run starts, a multiple of 512. */
    readonly from: number;
    /** Whether every torn byte reads back as zero or as garbage. */
    readonly kind: 'zero' | 'garbage';
  } | null;
}

/** What a crash did to the whole disk. */
export interface CrashSummary {
  /** Every file that exists after the crash, sorted by path. */
  readonly files: CrashedFile[];
  /** Paths the program saw before the crash that are gone after it (unsynced creation or rename). */
  readonly lost: string[];
  /** Paths that are back after the crash though the program had removed or renamed them. */
  readonly revived: string[];
}

/** Sector size of the simulated disk: a torn run starts on a multiple of it (appendix A). */
const SECTOR_SIZE = 512;

/** A small seeded generator (mulberry32), so a failing crash test can be replayed from its seed. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, max]. */
function randomInt(random: RandomSource, max: number): number {
  return Math.min(max, Math.floor(random() * (max + 1)));
}

/** Coin flips read "random() < 0.5 means yes", so a source stuck near 1 keeps everything untouched. */
function coin(random: RandomSource): boolean {
  return random() < 0.5;
}

/**
 * Bytes that grow by doubling their capacity, so appending costs amortised O(bytes appended) even
 * for files of tens of MiB. Invariant: every byte past `length` is zero, so growing never needs a fill.
 */
class GrowableBytes {
  private storage: Buffer;
  private used: number;

  constructor(initial: Uint8Array = new Uint8Array(0)) {
    this.storage = Buffer.alloc(Math.max(initial.length, 64));
    this.storage.set(initial);
    this.used = initial.length;
  }

  get length(): number {
    return this.used;
  }

  /** A view (no copy) of bytes [start, end). */
  view(start = 0, end = this.used): Buffer {
    return this.storage.subarray(start, Math.max(start, end));
  }

  write(position: number, data: Uint8Array): void {
    this.reserve(position + data.length);
    this.storage.set(data, position);
    this.used = Math.max(this.used, position + data.length);
  }

  truncate(length: number): void {
    if (length < this.used) this.storage.fill(0, length, this.used);
    else this.reserve(length);
    this.used = length;
  }

  copy(): GrowableBytes {
    return new GrowableBytes(this.view());
  }

  private reserve(capacity: number): void {
    if (capacity <= this.storage.length) return;
    const grown = Buffer.alloc(Math.max(capacity, this.storage.length * 2));
    this.storage.copy(grown, 0, 0, this.used);
    this.storage = grown;
  }
}

type FileChange = { kind: 'write'; position: number; bytes: Buffer } | { kind: 'truncate'; length: number };

/** One file's data, independent of the names it has. */
class Inode {
  current!: GrowableBytes;
  durable!: GrowableBytes;
  /** Changes since the last datasync, in order: a crash keeps a prefix of them. */
  pending: FileChange[] = [];
  /** Lowest offset where current may differ from durable, so a datasync copies only what changed. */
  private dirtyFrom = Infinity;

  constructor(contents: Uint8Array) {
    this.reset(contents);
  }

  /** Makes `contents` both the current and the durable bytes, forgetting pending changes. */
  reset(contents: Uint8Array): void {
    this.current = new GrowableBytes(contents);
    this.durable = new GrowableBytes(contents);
    this.pending = [];
    this.dirtyFrom = Infinity;
  }

  write(position: number, data: Uint8Array): void {
    this.current.write(position, data);
    this.pending.push({ kind: 'write', position, bytes: Buffer.from(data) });
    this.dirtyFrom = Math.min(this.dirtyFrom, position);
  }

  truncate(length: number): void {
    this.current.truncate(length);
    this.pending.push({ kind: 'truncate', length });
    // A later growth must not resurrect durable bytes past the cut, so they count as changed.
    this.dirtyFrom = Math.min(this.dirtyFrom, length);
  }

  datasync(): void {
    const length = this.current.length;
    this.durable.truncate(length);
    const from = Math.min(this.dirtyFrom, length);
    if (from < length) this.durable.write(from, this.current.view(from));
    this.pending = [];
    this.dirtyFrom = Infinity;
  }

  /** The bytes a power loss may leave of this inode, and what happened to them. */
  crashImage(random: RandomSource): { image: GrowableBytes; kept: number; cut: boolean; tear: CrashedFile['tear'] } {
    const image = this.durable.copy();
    const kept = randomInt(random, this.pending.length);
    let cut = false;
    this.pending.slice(0, kept).forEach((change, index) => {
      if (change.kind === 'truncate') return image.truncate(change.length);
      const cutHere = index === kept - 1 && coin(random);
      const bytes = cutHere ? change.bytes.subarray(0, randomInt(random, change.bytes.length)) : change.bytes;
      cut ||= cutHere && bytes.length < change.bytes.length;
      // A write cut to nothing leaves no trace, not even a hole it would have extended the file by.
      if (bytes.length > 0) image.write(change.position, bytes);
    });
    return { image, kept, cut, tear: tearTail(image, this.durable.length, random) };
  }
}

/** Maybe tears a sector-aligned suffix of the unsynced range: all zeros or all garbage. */
function tearTail(image: GrowableBytes, syncedLength: number, random: RandomSource): CrashedFile['tear'] {
  const firstSector = Math.ceil(syncedLength / SECTOR_SIZE) * SECTOR_SIZE;
  if (firstSector >= image.length || !coin(random)) return null;
  const sectors = Math.ceil((image.length - firstSector) / SECTOR_SIZE);
  const from = firstSector + SECTOR_SIZE * randomInt(random, sectors - 1);
  const kind = coin(random) ? 'zero' : 'garbage';
  const torn = image.view(from);
  if (kind === 'zero') torn.fill(0);
  else fillGarbage(torn, random);
  return { from, kind };
}

function fillGarbage(target: Buffer, random: RandomSource): void {
  for (let offset = 0; offset < target.length; offset += 4) {
    const word = Math.floor(random() * 4294967296) >>> 0;
    for (let byte = 0; byte < 4 && offset + byte < target.length; byte++) target[offset + byte] = (word >>> (8 * byte)) & 0xff;
  }
}

/**
 * A change to directory entries. `directories` lists the directories it touches (two for a rename
 * across directories); it becomes durable when one of them is synced.
 */
type DirectoryOp =
  | { kind: 'link'; path: string; inode: Inode; directories: string[] }
  | { kind: 'unlink'; path: string; directories: string[] }
  | { kind: 'rename'; from: string; to: string; inode: Inode; directories: string[] };

function applyDirectoryOp(names: Map<string, Inode>, op: DirectoryOp): void {
  if (op.kind === 'link') names.set(op.path, op.inode);
  else if (op.kind === 'unlink') names.delete(op.path);
  else {
    names.delete(op.from);
    names.set(op.to, op.inode);
  }
}

/** The directory holding `path`: everything before the last '/', '' for the root. */
function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Directories are named without trailing slashes, the root as ''. */
function normalizeDirectory(directory: string): string {
  return directory.replace(/\/+$/, '');
}

/** An error shaped like Node's, so tests can look at `cause.code` the same way for both storages. */
function osError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

function checkCount(value: number, what: string, path: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new LsfsError('INVALID_ARGUMENT', `${what} must be a non-negative integer, got ${value}`, { path });
  }
}

/** One power-on period of the disk: a crash ends it, and kills every handle opened during it. */
class Session {
  crashed = false;
}

interface Counters {
  syncs: number;
  directorySyncs: number;
  bytesWritten: number;
}

class MemoryFile implements StorageFile {
  private closed = false;

  constructor(
    readonly path: string,
    private readonly inode: Inode,
    private readonly writable: boolean,
    private readonly session: Session,
    private readonly counters: Counters,
  ) {}

  async read(position: number, length: number): Promise<Buffer> {
    const bytes = this.usable('read').current;
    checkCount(position, 'read position', this.path);
    checkCount(length, 'read length', this.path);
    const end = Math.min(bytes.length, position + length);
    return position >= end ? Buffer.alloc(0) : Buffer.from(bytes.view(position, end));
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    const inode = this.usable('write', true);
    checkCount(position, 'write position', this.path);
    if (position + data.length > bufferConstants.MAX_LENGTH) {
      throw ioError('write', this.path, osError('EFBIG', 'file too large for the in-memory disk'));
    }
    inode.write(position, data);
    this.counters.bytesWritten += data.length;
  }

  async size(): Promise<number> {
    return this.usable('size').current.length;
  }

  async truncate(length: number): Promise<void> {
    const inode = this.usable('truncate', true);
    checkCount(length, 'truncate length', this.path);
    inode.truncate(length);
  }

  async datasync(): Promise<void> {
    this.usable('datasync').datasync();
    this.counters.syncs++;
  }

  /** Closing twice is harmless; closing a handle that a crash killed reports the crash once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.session.crashed) throw this.crashedError('close');
  }

  private usable(operation: string, needsWrite = false): Inode {
    if (this.closed) throw new LsfsError('CLOSED', `${operation} ${this.path}: file is closed`, { path: this.path });
    if (this.session.crashed) throw this.crashedError(operation);
    if (needsWrite && !this.writable) {
      throw ioError(operation, this.path, osError('EBADF', 'file is open for reading only'));
    }
    return this.inode;
  }

  private crashedError(operation: string): LsfsError {
    return new LsfsError('IO_ERROR', `storage crashed: ${operation} ${this.path} on a handle opened before the crash`, {
      path: this.path,
    });
  }
}

/** The in-memory disk. See the file comment for the model. */
export class MemoryStorage implements Storage {
  private currentNames = new Map<string, Inode>();
  private durableNames = new Map<string, Inode>();
  /** Directory operations not yet covered by a directory sync, in the order they happened. */
  private pendingDirectoryOps: DirectoryOp[] = [];
  /** Directories are durable at once: the engine never depends on creating one crash-safely. */
  private readonly directories = new Set<string>(['']);
  /** Holder token per locked path, so a release after a crash cannot free a later holder's lock. */
  private readonly locks = new Map<string, object>();
  private session = new Session();
  private readonly counters: Counters = { syncs: 0, directorySyncs: 0, bytesWritten: 0 };

  /** Completed `datasync` calls on any handle. */
  get syncCount(): number {
    return this.counters.syncs;
  }

  /** Completed directory syncs, including the one inside each `createAtomically`. */
  get directorySyncCount(): number {
    return this.counters.directorySyncs;
  }

  /** Bytes passed to `write` on any handle. */
  get bytesWritten(): number {
    return this.counters.bytesWritten;
  }

  async open(path: string, mode: 'read' | 'write'): Promise<StorageFile> {
    const inode = this.currentNames.get(path);
    if (inode === undefined) {
      const code = this.directories.has(normalizeDirectory(path)) ? 'EISDIR' : 'ENOENT';
      throw ioError('open', path, osError(code, 'cannot open'));
    }
    return new MemoryFile(path, inode, mode === 'write', this.session, this.counters);
  }

  async createAtomically(path: string, contents: Uint8Array): Promise<void> {
    if (this.existsNow(path)) throw ioError('create', path, osError('EEXIST', 'file already exists'));
    const directory = parentOf(path);
    this.requireDirectory('create', path, directory);
    // The real thing syncs the data before linking it in, so the inode is born durable.
    this.changeNames({ kind: 'link', path, inode: new Inode(contents), directories: [directory] });
    this.syncDirectoryNow(directory);
  }

  async exists(path: string): Promise<boolean> {
    return this.existsNow(path);
  }

  async remove(path: string): Promise<void> {
    if (this.isDirectory(path)) throw ioError('remove', path, osError('EISDIR', 'removing directories is not modelled'));
    if (!this.currentNames.has(path)) return;
    this.changeNames({ kind: 'unlink', path, directories: [parentOf(path)] });
  }

  async rename(from: string, to: string): Promise<void> {
    const inode = this.currentNames.get(from);
    if (inode === undefined) {
      const code = this.isDirectory(from) ? 'EISDIR' : 'ENOENT';
      throw ioError('rename', from, osError(code, 'only existing files can be renamed'));
    }
    if (this.isDirectory(to)) throw ioError('rename', to, osError('EISDIR', 'target is a directory'));
    this.requireDirectory('rename', to, parentOf(to));
    if (from === to) return;
    const directories = [...new Set([parentOf(from), parentOf(to)])];
    this.changeNames({ kind: 'rename', from, to, inode, directories });
  }

  async syncDirectory(directory: string): Promise<void> {
    this.syncDirectoryNow(directory);
  }

  async list(directory: string): Promise<string[]> {
    const name = normalizeDirectory(directory);
    this.requireDirectory('list', directory, name);
    const files = [...this.currentNames.keys()].filter((path) => parentOf(path) === name);
    const subdirectories = [...this.directories].filter((path) => path !== name && parentOf(path) === name);
    return [...new Set([...files, ...subdirectories].map(nameOf))].sort();
  }

  async makeDirectory(directory: string): Promise<void> {
    this.addDirectories(normalizeDirectory(directory));
  }

  async lock(path: string): Promise<StorageLock> {
    this.requireDirectory('lock', path, parentOf(path));
    if (this.locks.has(path)) throw new LsfsError('LOCKED', `${path} is locked by another writer`, { path });
    const holder = {};
    this.locks.set(path, holder);
    return {
      release: async () => {
        if (this.locks.get(path) === holder) this.locks.delete(path);
      },
    };
  }

  /**
   * Simulates a power loss (spec appendix A) and powers the disk on again: afterwards every handle
   * opened before is dead (`IO_ERROR`), every lock is released, and files can be opened again.
   * Pass a {@link seededRandom} so a failure can be replayed.
   */
  crash(random: RandomSource): CrashSummary {
    const before = this.currentNames;
    const names = this.crashNames(random);
    const files = this.crashFiles(names, random);
    this.currentNames = names;
    this.durableNames = new Map(names);
    this.pendingDirectoryOps = [];
    this.session.crashed = true;
    this.session = new Session();
    this.locks.clear();
    return {
      files,
      lost: [...before.keys()].filter((path) => !names.has(path)).sort(),
      revived: [...names.keys()].filter((path) => !before.has(path)).sort(),
    };
  }

  /** A copy of the bytes the program currently sees in `path`. */
  snapshot(path: string): Buffer {
    return Buffer.from(this.inodeOf('snapshot', path).current.view());
  }

  /**
   * Replaces the content of `path`, current and durable alike, creating the file (and its
   * directories) if missing: a tool to inject damage into files at rest.
   */
  setBytes(path: string, bytes: Uint8Array): void {
    const existing = this.currentNames.get(path);
    if (existing !== undefined) return existing.reset(bytes);
    this.addDirectories(parentOf(path));
    const inode = new Inode(bytes);
    this.currentNames.set(path, inode);
    this.durableNames.set(path, inode);
  }

  /** Flips one bit (bit `bitOffset % 8`, least significant first, of byte `bitOffset / 8`), like bit rot. */
  flipBit(path: string, bitOffset: number): void {
    const inode = this.inodeOf('flip bit', path);
    const byte = Math.floor(bitOffset / 8);
    if (!Number.isSafeInteger(bitOffset) || bitOffset < 0 || byte >= inode.current.length) {
      throw new LsfsError('INVALID_ARGUMENT', `bit ${bitOffset} is outside ${path}`, { path });
    }
    const mask = 1 << bitOffset % 8;
    inode.current.view()[byte]! ^= mask;
    if (byte < inode.durable.length) inode.durable.view()[byte]! ^= mask;
  }

  private existsNow(path: string): boolean {
    return this.currentNames.has(path) || this.isDirectory(path);
  }

  private syncDirectoryNow(directory: string): void {
    const name = normalizeDirectory(directory);
    this.requireDirectory('sync directory', directory, name);
    this.commitDirectory(name);
    this.counters.directorySyncs++;
  }

  private changeNames(op: DirectoryOp): void {
    applyDirectoryOp(this.currentNames, op);
    this.pendingDirectoryOps.push(op);
  }

  /**
   * Makes durable every pending operation touching `directory`. Operations of other directories may
   * stay pending since they commute with these, except across a rename spanning two directories:
   * everything before such a rename is committed with it, to keep each directory's history in order.
   */
  private commitDirectory(directory: string): void {
    const ops = this.pendingDirectoryOps;
    let lastSpanning = -1;
    ops.forEach((op, index) => {
      if (op.directories.length > 1 && op.directories.includes(directory)) lastSpanning = index;
    });
    const commits = (op: DirectoryOp, index: number) => index <= lastSpanning || op.directories.includes(directory);
    ops.filter(commits).forEach((op) => applyDirectoryOp(this.durableNames, op));
    this.pendingDirectoryOps = ops.filter((op, index) => !commits(op, index));
  }

  /**
   * The namespace after a crash: the durable one plus, for each directory, a random prefix of its
   * pending operations. An operation spanning two directories survives only within both prefixes,
   * and a dropped one ends the prefix of both.
   */
  private crashNames(random: RandomSource): Map<string, Inode> {
    const pendingPerDirectory = new Map<string, number>();
    for (const op of this.pendingDirectoryOps) {
      for (const directory of op.directories) pendingPerDirectory.set(directory, (pendingPerDirectory.get(directory) ?? 0) + 1);
    }
    const budget = new Map([...pendingPerDirectory].map(([directory, count]) => [directory, randomInt(random, count)]));
    const names = new Map(this.durableNames);
    for (const op of this.pendingDirectoryOps) {
      const survives = op.directories.every((directory) => budget.get(directory)! > 0);
      for (const directory of op.directories) budget.set(directory, survives ? budget.get(directory)! - 1 : 0);
      if (survives) applyDirectoryOp(names, op);
    }
    return names;
  }

  /** Rebuilds every surviving inode once (an inode may be reachable by more than one name). */
  private crashFiles(names: Map<string, Inode>, random: RandomSource): CrashedFile[] {
    const done = new Map<Inode, Omit<CrashedFile, 'path'>>();
    return [...names.keys()].sort().map((path) => {
      const inode = names.get(path)!;
      let outcome = done.get(inode);
      if (outcome === undefined) {
        const { image, kept, cut, tear } = inode.crashImage(random);
        outcome = {
          syncedLength: inode.durable.length,
          writtenLength: inode.current.length,
          length: image.length,
          keptChanges: kept,
          pendingChanges: inode.pending.length,
          lastWriteCut: cut,
          tear,
        };
        inode.reset(image.view());
        done.set(inode, outcome);
      }
      return { path, ...outcome };
    });
  }

  private inodeOf(operation: string, path: string): Inode {
    const inode = this.currentNames.get(path);
    if (inode === undefined) throw ioError(operation, path, osError('ENOENT', 'no such file'));
    return inode;
  }

  private isDirectory(path: string): boolean {
    return this.directories.has(normalizeDirectory(path));
  }

  private requireDirectory(operation: string, path: string, directory: string): void {
    if (!this.directories.has(directory)) throw ioError(operation, path, osError('ENOENT', `no directory '${directory}'`));
  }

  private addDirectories(directory: string): void {
    for (let path = directory; !this.directories.has(path); path = parentOf(path)) {
      if (this.currentNames.has(path)) throw ioError('make directory', directory, osError('ENOTDIR', `${path} is a file`));
      this.directories.add(path);
    }
  }
}
