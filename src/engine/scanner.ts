/**
 * The forward scan of spec §9: reads blocks in order, follows the slice sequence across blocks,
 * reassembles records and classifies damage. Strict scans stop at the first damage (an error if
 * interior, the torn tail otherwise); salvage scans report gaps and go on (RSF-071, RSF-072).
 */
import { assert } from '../errors.js';
import { MAX_RECORD_INDEX, RECORD_HEADER_SIZE, SliceKind } from '../format/constants.js';
import { type Damage, damage, damageToError } from '../format/damage.js';
import type { BlockItem, ParsedBlock, SliceItem } from './block-parser.js';
import type { BlockSource } from './block-source.js';
import type { Gap, LsfsRecord, ScanReport } from './record.js';
import { hasIntactStructureAfter } from './structure-probe.js';

/**
 * How a read treats damage: `strict` stops at the first interior damage and fails with it (spec
 * RSF-071); `salvage` skips damage and reports it as gaps (RSF-072).
 */
export type ScanMode = 'strict' | 'salvage';

export interface ScanOptions {
  readonly mode: ScanMode;
  /** Block to start at; the scan then begins at the first record that starts in it. Default 0. */
  readonly startBlock?: number;
  /** Records with a lower index are read but not yielded. */
  readonly fromIndex?: bigint;
  /** Blocks to read at once (read-ahead for full scans). */
  readonly readAheadBlocks?: number;
  /** False for a check-only scan (verify): payloads are checked but not copied out (default true). */
  readonly materialize?: boolean;
}

const NO_PAYLOAD = Buffer.alloc(0);

interface PendingRecord {
  readonly index: bigint;
  readonly typeCode: bigint;
  readonly offset: number;
  readonly payloadLength: number;
  /** The payload being reassembled; empty in a check-only scan. */
  readonly payload: Buffer;
  /** Record data bytes (header and payload) placed so far. */
  filled: number;
}

interface OpenGap {
  readonly code: string;
  readonly offset: number;
  readonly message: string;
  /** End of the last lost range in the gap: bytes after it are not lost (yet). */
  end: number;
}

/** Thrown inside the scan to stop it at the torn tail (strict and salvage alike). */
class TailReached {}

export class Scanner {
  private readonly source: BlockSource;
  private readonly options: ScanOptions;
  readonly report: ScanReport = { gaps: [], tail: undefined };
  private nextIndex: bigint;
  private pending: PendingRecord | undefined;
  /** File offset where the last whole record read ends: E of spec §10. */
  private lastRecordEnd: number;
  /** End of the last returned record or reported gap: where a torn tail would start (salvage). */
  private coveredEnd: number;
  private gap: OpenGap | undefined;
  private lastReturnedIndex: bigint | undefined;
  /** True until the first block's leading continuation (if any) has been passed over. */
  private resyncing: boolean;
  private readonly out: LsfsRecord[] = [];

  constructor(source: BlockSource, options: ScanOptions) {
    this.source = source;
    this.options = options;
    this.nextIndex = source.header.baseIndex;
    const startBlock = options.startBlock ?? 0;
    this.lastRecordEnd = startBlock === 0 ? 64 : startBlock * source.blockSize;
    this.coveredEnd = this.lastRecordEnd;
    this.resyncing = startBlock > 0;
  }

  /** Yields records in index order; throws the interior damage in strict mode. */
  async *records(): AsyncGenerator<LsfsRecord> {
    for await (const batch of this.batches()) yield* batch;
  }

  /** Calls `onRecord` for each record in index order: a full scan without a promise per record. */
  async visit(onRecord: (record: LsfsRecord) => void): Promise<void> {
    for await (const batch of this.batches()) for (const record of batch) onRecord(record);
  }

  /** The records block by block; after interior damage (strict), those before it, then the error. */
  private async *batches(): AsyncGenerator<LsfsRecord[]> {
    const startBlock = this.options.startBlock ?? 0;
    const readAhead = Math.max(1, this.options.readAheadBlocks ?? 1);
    try {
      for (let block = startBlock; block <= this.source.lastBlock; block += readAhead) {
        const blocks = await this.readBlocks(block, Math.min(readAhead, this.source.lastBlock - block + 1));
        for (const parsed of blocks) {
          await this.consumeBlock(parsed);
          yield this.drain();
        }
      }
      this.finish();
    } catch (stop) {
      yield this.drain();
      if (!(stop instanceof TailReached)) throw stop;
      return;
    }
    yield this.drain();
  }

  private drain(): LsfsRecord[] {
    const from = this.options.fromIndex;
    const records = this.out.splice(0);
    return from === undefined ? records : records.filter((record) => record.index >= from);
  }

  private async readBlocks(first: number, count: number): Promise<ParsedBlock[]> {
    if (count === 1) return [await this.source.block(first)];
    const { blockSize } = this.source;
    const start = first * blockSize;
    const bytes = await this.source.file.read(start, Math.min(count * blockSize, this.source.size - start));
    const blocks: ParsedBlock[] = [];
    for (let i = 0; i < count; i++) blocks.push(this.source.adopt(bytes.subarray(i * blockSize, (i + 1) * blockSize), first + i));
    return blocks;
  }

  private async consumeBlock(block: ParsedBlock): Promise<void> {
    this.currentBlock = block;
    if (block.headerDamage !== undefined) {
      await this.onDamage(block.headerDamage, undefined);
      return;
    }
    let items = block.items;
    if (this.resyncing) {
      items = this.resyncAt(block);
    } else if (!(await this.checkFirstIndex(block))) {
      return;
    }
    for (const item of items) {
      if (item.type === 'damage') {
        await this.onDamage(item.damage, item.resumeAt === undefined ? undefined : item.startsRecord);
        if (item.resumeAt === undefined) return;
        continue;
      }
      try {
        this.onSlice(item);
      } catch (error) {
        if (!(error instanceof SequenceDamage)) throw error;
        await this.onDamage(error.found, error.startsRecord);
      }
    }
  }

  /**
   * Starting in the middle of the file: the block's `first_index` sets the index, and a leading
   * continuation of a record that started before the scan is passed over, not judged.
   */
  private resyncAt(block: ParsedBlock): readonly BlockItem[] {
    this.resyncing = false;
    const firstIndex = block.firstIndex as bigint;
    if (!startsWithContinuation(block.items)) {
      this.nextIndex = firstIndex;
      return block.items;
    }
    this.nextIndex = firstIndex + 1n;
    const [leading, ...rest] = block.items;
    if (leading?.type === 'slice' && leading.slice.kind === SliceKind.Last) {
      this.lastRecordEnd = leading.slice.offset + leading.slice.size;
      this.coveredEnd = this.lastRecordEnd;
    }
    return rest;
  }

  /** RSF-032: the block's `first_index` against the index the scan expects. False when the block is skipped. */
  private async checkFirstIndex(block: ParsedBlock): Promise<boolean> {
    const firstIndex = block.firstIndex as bigint;
    const continues = startsWithContinuation(block.items);
    // Block 0 is reached by no earlier block: its first_index (the base index) is never out of order.
    const accepted =
      block.blockNumber === 0 || (this.options.mode === 'salvage' && this.gap !== undefined ? this.afterGap(firstIndex) : firstIndex === this.expectedFirstIndex(continues));
    if (accepted) {
      // RSF-073: the block's own first_index numbers the records that start in it.
      this.nextIndex = continues ? firstIndex + 1n : firstIndex;
      return true;
    }
    const found = damage('INDEX_OUT_OF_ORDER', block.offset, block.bytes.length, `block ${block.blockNumber} has first_index ${firstIndex}, expected ${this.expectedFirstIndex(continues)}`);
    await this.onDamage(found, undefined);
    return false;
  }

  /**
   * RSF-032: the record in progress; with none, the index before the next record's when the block
   * begins with a MIDDLE or LAST slice (an orphan, judged as BAD_SLICE next); else the next index.
   */
  private expectedFirstIndex(continues: boolean): bigint {
    if (this.pending !== undefined) return this.pending.index;
    return continues ? this.nextIndex - 1n : this.nextIndex;
  }

  /** RSF-072 (4): after a gap a block's first_index is trusted unless it is not past the last record returned. */
  private afterGap(firstIndex: bigint): boolean {
    return this.lastReturnedIndex === undefined ? firstIndex >= this.source.header.baseIndex : firstIndex > this.lastReturnedIndex;
  }

  private onSlice(item: SliceItem): void {
    const { slice } = item;
    if (slice.kind === SliceKind.Full || slice.kind === SliceKind.First) {
      this.startRecord(item);
    } else {
      this.continueRecord(item);
    }
  }

  private startRecord(item: SliceItem): void {
    const { slice, recordHeader } = item;
    if (this.pending !== undefined) throw this.sequenceError(item, `a ${SliceKind[slice.kind]} slice while record ${this.pending.index} is in progress`, true);
    if (this.nextIndex > MAX_RECORD_INDEX) throw new SequenceDamage(damage('INDEX_OVERFLOW', slice.offset, slice.size, 'record index exceeds the largest index'), true);
    const header = recordHeader!;
    const bytes = this.blockBytesOf(slice.offset);
    const index = this.nextIndex++;
    const materialize = this.options.materialize !== false;
    if (slice.kind === SliceKind.Full) {
      const payload = materialize ? Buffer.from(bytes.subarray(slice.dataStart + RECORD_HEADER_SIZE, slice.dataStart + slice.dataLength)) : NO_PAYLOAD;
      this.emit({ index, typeCode: header.typeCode, payload, offset: slice.offset }, slice.offset + slice.size);
      return;
    }
    // RSF-005: a record whose rest needs more bytes than the file holds cannot be whole here (a
    // crash cut it, or its length is damaged): check it slice by slice, allocate nothing for it.
    const stillNeeded = RECORD_HEADER_SIZE + header.payloadLength - slice.dataLength;
    const canComplete = stillNeeded <= this.source.size - (slice.offset + slice.size);
    const payload = materialize && canComplete ? Buffer.allocUnsafe(header.payloadLength) : NO_PAYLOAD;
    if (payload !== NO_PAYLOAD) bytes.copy(payload, 0, slice.dataStart + RECORD_HEADER_SIZE, slice.dataStart + slice.dataLength);
    this.pending = { index, typeCode: header.typeCode, offset: slice.offset, payloadLength: header.payloadLength, payload, filled: slice.dataLength };
  }

  private continueRecord(item: SliceItem): void {
    const { slice } = item;
    const pending = this.pending;
    if (pending === undefined) throw this.sequenceError(item, `a ${SliceKind[slice.kind]} slice continues no record`, false);
    const total = RECORD_HEADER_SIZE + pending.payloadLength;
    const after = pending.filled + slice.dataLength;
    if (slice.kind === SliceKind.Middle ? after >= total : after !== total) {
      throw this.sequenceError(item, `slices of record ${pending.index} hold ${after} of its ${total} data bytes`, false);
    }
    const bytes = this.blockBytesOf(slice.offset);
    if (pending.payload !== NO_PAYLOAD) bytes.copy(pending.payload, pending.filled - RECORD_HEADER_SIZE, slice.dataStart, slice.dataStart + slice.dataLength);
    pending.filled = after;
    if (slice.kind === SliceKind.Last) {
      this.pending = undefined;
      this.emit({ index: pending.index, typeCode: pending.typeCode, payload: pending.payload, offset: pending.offset }, slice.offset + slice.size);
    }
  }

  private emit(record: LsfsRecord, end: number): void {
    this.closeGap();
    this.lastReturnedIndex = record.index;
    this.lastRecordEnd = end;
    this.coveredEnd = end;
    this.out.push(record);
  }

  private sequenceError(item: SliceItem, message: string, startsRecord: boolean): SequenceDamage {
    const { slice } = item;
    return new SequenceDamage(damage('BAD_SLICE', slice.offset, slice.size, message), startsRecord);
  }

  private blockBytesOf(offset: number): Buffer {
    return this.currentBlockBytes(Math.floor(offset / this.source.blockSize));
  }

  private currentBlock: ParsedBlock | undefined;
  private currentBlockBytes(blockNumber: number): Buffer {
    const block = this.currentBlock;
    assert(block !== undefined && block.blockNumber === blockNumber, `block ${blockNumber} is the block being scanned`);
    return block.bytes;
  }

  /**
   * Handles damage: strict scans stop (an error when interior, the torn tail otherwise); salvage
   * scans open or extend a gap (RSF-072). `startsRecord` is defined when the scan resumes after the
   * damaged slice, and says whether that slice used up an index (RSF-073).
   */
  private async onDamage(found: Damage, startsRecord: boolean | undefined): Promise<void> {
    const interior = await hasIntactStructureAfter(this.source, found.offset);
    if (this.options.mode === 'strict') {
      if (interior) throw damageToError(found, this.source.file.path);
      this.endAtTail();
    }
    if (!interior) {
      this.closeGap();
      this.endAtTail();
    }
    // A record in progress is lost from its FIRST slice on; the damage loses its own range.
    const start = Math.min(found.offset, this.pending?.offset ?? found.offset);
    const end = found.offset + found.length;
    this.pending = undefined;
    if (this.gap === undefined) this.gap = { code: found.code, offset: start, message: found.message, end };
    else this.gap.end = Math.max(this.gap.end, end);
    if (startsRecord === true) this.nextIndex++;
  }

  /** Stops the scan: bytes after the last returned record or gap are the torn tail (spec §10). */
  private endAtTail(): never {
    const start = this.coveredEnd;
    if (start < this.source.size) this.report.tail = { code: 'TORN_TAIL', offset: start, length: this.source.size - start };
    this.pending = undefined;
    throw new TailReached();
  }

  /** Reports the open gap, which ends where its last lost range ends. */
  private closeGap(): void {
    if (this.gap === undefined) return;
    const { code, offset, end, message } = this.gap;
    this.report.gaps.push({ code, offset, length: end - offset, message } satisfies Gap);
    this.coveredEnd = Math.max(this.coveredEnd, end);
    this.gap = undefined;
  }

  /** The end of the file: an open gap is reported; bytes after the last record or gap are the torn tail. */
  private finish(): void {
    this.closeGap();
    if (this.coveredEnd < this.source.size) this.endAtTail();
  }
}

/** Damage found by the cross-block sequence rules; the scan resumes at the next slice. */
class SequenceDamage extends Error {
  constructor(readonly found: Damage, readonly startsRecord: boolean) {
    super(found.message);
  }
}

function startsWithContinuation(items: readonly BlockItem[]): boolean {
  const first = items[0];
  if (first === undefined) return false;
  const kind = first.type === 'slice' ? first.slice.kind : first.kind;
  return kind === SliceKind.Middle || kind === SliceKind.Last;
}
