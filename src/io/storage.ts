/**
 * The small I/O interface the engine runs on (issue: "file access sits behind a small I/O
 * interface"). Two implementations: {@link NodeStorage} (the real file system) and
 * {@link MemoryStorage} (an in-memory disk that tests can crash, spec appendix A).
 *
 * Every method rejects with an `LsfsError`: `IO_ERROR` for an operating-system failure,
 * `LOCKED` for a held lock, `CLOSED` for use after close.
 */

/** An open file. Positions and lengths are byte counts below 2^53. */
export interface StorageFile {
  /** The path the file was opened at. */
  readonly path: string;
  /**
   * The operating-system descriptor of a real file of this process, while it is open; undefined
   * for other storage (MemoryStorage). Verify reads a large file through it from worker threads.
   */
  readonly fileDescriptor?: number | undefined;
  /** Reads up to `length` bytes at `position`; the result is shorter only at the end of the file. */
  read(position: number, length: number): Promise<Buffer>;
  /** Writes all of `data` at `position` (the file grows as needed). */
  write(data: Uint8Array, position: number): Promise<void>;
  /** The file's current length. */
  size(): Promise<number>;
  /** Cuts the file to `length` bytes. */
  truncate(length: number): Promise<void>;
  /** Makes the file's data and length durable (fdatasync). */
  datasync(): Promise<void>;
  /** Closes the file; later calls on it fail with `CLOSED`. */
  close(): Promise<void>;
}

/** An exclusive writer lock on a path, held until released or the process ends. */
export interface StorageLock {
  /** Releases the lock, so that another writer may take it. */
  release(): Promise<void>;
}

/** Where files live: the operations the engine needs from a file system. */
export interface Storage {
  /** Opens an existing file; `IO_ERROR` (with the cause's `code` ENOENT) when it does not exist. */
  open(path: string, mode: 'read' | 'write'): Promise<StorageFile>;
  /**
   * Creates `path` holding exactly `contents`, so that no reader ever sees a partial file at
   * `path` (spec RSF-023): a temporary file in the same directory, synced, renamed, and the
   * directory synced. Fails with `IO_ERROR` (EEXIST) if `path` exists.
   */
  createAtomically(path: string, contents: Uint8Array): Promise<void>;
  /** True when a file exists at `path`. */
  exists(path: string): Promise<boolean>;
  /** Removes a file; removing a missing file is not an error. */
  remove(path: string): Promise<void>;
  /** Renames atomically, replacing `to` if it exists. */
  rename(from: string, to: string): Promise<void>;
  /** Makes the directory's entries (creations, renames, removals) durable. */
  syncDirectory(directory: string): Promise<void>;
  /** Names (not paths) of the entries of a directory, sorted. */
  list(directory: string): Promise<string[]>;
  /** Creates a directory and its parents if missing. */
  makeDirectory(directory: string): Promise<void>;
  /** Takes the exclusive writer lock of `path` (spec RSF-065); `LOCKED` if another writer holds it. */
  lock(path: string): Promise<StorageLock>;
}
