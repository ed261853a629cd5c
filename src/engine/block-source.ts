/**
 * Reads whole blocks of one file, as of a fixed file size, with a small LRU cache of parsed
 * blocks. Every read is bounded by the block size: nothing is allocated by a length from the file.
 */
import type { StorageFile } from '../io/storage.js';
import type { FileHeader } from '../format/file-header.js';
import { type ParsedBlock, parseBlock } from './block-parser.js';
import { decodeBlockHeader } from '../format/block-header.js';
import { BLOCK_HEADER_SIZE } from '../format/constants.js';
import type { Damage } from '../format/damage.js';

const DEFAULT_CACHE_BLOCKS = 64;
/** Block headers remembered for lookups: 1 Mi entries is about 100 MB of index at most. */
const FIRST_INDEX_CACHE_LIMIT = 1 << 20;

export class BlockSource {
  readonly header: FileHeader;
  readonly file: StorageFile;
  /** File size this source reads up to; bytes beyond it are not part of the view. */
  size: number;
  private readonly cache = new Map<number, ParsedBlock>();
  /** `first_index` of blocks whose header was checked: they never change while the file only grows. */
  private readonly firstIndexes = new Map<number, bigint>();
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
    for (const blockNumber of [...this.firstIndexes.keys()]) if (blockNumber >= firstTouched) this.firstIndexes.delete(blockNumber);
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

  /**
   * The checked `first_index` of a block from its header alone (one 32-byte read, then cached):
   * what the binary search of lookups needs. Returns the damage when the header is bad.
   */
  async firstIndexOf(blockNumber: number): Promise<bigint | Damage> {
    if (blockNumber === 0) return this.header.baseIndex;
    const known = this.firstIndexes.get(blockNumber);
    if (known !== undefined) return known;
    const offset = blockNumber * this.header.blockSize;
    const bytes = await this.file.read(offset, Math.min(BLOCK_HEADER_SIZE, this.size - offset));
    const decoded = decodeBlockHeader(bytes, blockNumber, offset, this.header.fileId, this.header.blockSize);
    if ('code' in decoded) return decoded;
    if (this.firstIndexes.size >= FIRST_INDEX_CACHE_LIMIT) this.firstIndexes.clear();
    this.firstIndexes.set(blockNumber, decoded.firstIndex);
    return decoded.firstIndex;
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
