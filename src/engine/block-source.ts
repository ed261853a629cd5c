/**
 * Reads whole blocks of one file, as of a fixed file size, with a small LRU cache of parsed
 * blocks. Every read is bounded by the block size: nothing is allocated by a length from the file.
 */
import type { StorageFile } from '../io/storage.js';
import type { FileHeader } from '../format/file-header.js';
import { type ParsedBlock, parseBlock } from './block-parser.js';

const DEFAULT_CACHE_BLOCKS = 64;

export class BlockSource {
  readonly header: FileHeader;
  readonly file: StorageFile;
  /** File size this source reads up to; bytes beyond it are not part of the view. */
  size: number;
  private readonly cache = new Map<number, ParsedBlock>();
  private readonly cacheLimit: number;

  constructor(file: StorageFile, header: FileHeader, size: number, cacheLimit = DEFAULT_CACHE_BLOCKS) {
    this.file = file;
    this.header = header;
    this.size = size;
    this.cacheLimit = cacheLimit;
  }

  get blockSize(): number {
    return this.header.blockSize;
  }

  /** Number of blocks that hold at least one byte of the file. */
  get blockCount(): number {
    return Math.ceil(this.size / this.header.blockSize);
  }

  /** The last block's number (0 for a file of just a header). */
  get lastBlock(): number {
    return Math.max(0, this.blockCount - 1);
  }

  /** Moves the view to a new file size, dropping cached blocks the change touches. */
  resize(size: number): void {
    const firstTouched = Math.floor(Math.min(size, this.size) / this.header.blockSize);
    for (const blockNumber of [...this.cache.keys()]) if (blockNumber >= firstTouched) this.cache.delete(blockNumber);
    this.size = size;
  }

  async readBlockBytes(blockNumber: number): Promise<Buffer> {
    const start = blockNumber * this.header.blockSize;
    const length = Math.max(0, Math.min(this.header.blockSize, this.size - start));
    return length === 0 ? Buffer.alloc(0) : this.file.read(start, length);
  }

  /** The parsed block `blockNumber` (its bytes up to the view's size). */
  async block(blockNumber: number): Promise<ParsedBlock> {
    const cached = this.cache.get(blockNumber);
    if (cached !== undefined) {
      this.cache.delete(blockNumber);
      this.cache.set(blockNumber, cached);
      return cached;
    }
    const parsed = parseBlock(await this.readBlockBytes(blockNumber), blockNumber, this.header);
    this.remember(parsed);
    return parsed;
  }

  /** Parses already-read bytes of a block and caches the result. */
  adopt(bytes: Buffer, blockNumber: number): ParsedBlock {
    const parsed = parseBlock(bytes, blockNumber, this.header);
    this.remember(parsed);
    return parsed;
  }

  private remember(parsed: ParsedBlock): void {
    this.cache.set(parsed.blockNumber, parsed);
    if (this.cache.size > this.cacheLimit) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }
}
