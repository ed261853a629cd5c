/**
 * Joins the summaries of clean block ranges, in file order, into the summary of a clean file: the
 * checks a range could not make alone because they need the range before it — the record in
 * progress across the boundary and its length (RSF-043, RSF-050), the boundary block's
 * `first_index` (RSF-032) — and the file's end, which must be a record's end (RSF-071, §10 item 7:
 * anything after it would be a torn tail).
 */
import { assert } from '../errors.js';
import { FILE_HEADER_SIZE } from '../format/constants.js';
import type { CleanCheckGeometry, CleanRangeSummary } from './clean-check.js';

/** What a clean file holds: the counts a salvage scan of it reports (it finds no gap and no tail). */
export interface CleanFileSummary {
  /** Number of records, all whole. */
  readonly records: number;
  /** Index of the first record, or undefined when there is none. */
  readonly firstIndex: bigint | undefined;
  /** Index of the last record, or undefined when there is none. */
  readonly lastIndex: bigint | undefined;
}

/** Takes clean range summaries one by one in file order; any mismatch makes the file "not clean". */
export class CleanRangeStitcher {
  private readonly geometry: CleanCheckGeometry;
  private clean = true;
  private nextBlock = 0;
  private nextIndex: bigint;
  private records = 0;
  private pendingIndex: bigint | undefined;
  /** Data bytes the record in progress still needs (meaningful while `pendingIndex` is set). */
  private pendingRemaining = 0;
  private lastRecordEnd: number | undefined;

  constructor(geometry: CleanCheckGeometry) {
    this.geometry = geometry;
    this.nextIndex = geometry.baseIndex;
  }

  /** False once a range did not fit the ones before it. */
  get isClean(): boolean {
    return this.clean;
  }

  /** Adds the range that follows the last one added; returns false when the file is not clean. */
  add(range: CleanRangeSummary): boolean {
    assert(range.firstBlock === this.nextBlock && range.endBlock > range.firstBlock, `range [${range.firstBlock}, ${range.endBlock}) follows block ${this.nextBlock - 1}`);
    assert(range.firstBlock > 0 || (!range.startsInsideRecord && range.startFirstIndex === this.geometry.baseIndex), 'block 0 begins no continuation');
    if (this.clean) this.clean = this.join(range);
    this.nextBlock = range.endBlock;
    return this.clean;
  }

  /** The file's summary when every block was added and the file is clean; undefined otherwise. */
  finish(): CleanFileSummary | undefined {
    const { blockSize, fileSize, baseIndex } = this.geometry;
    assert(this.nextBlock === Math.ceil(fileSize / blockSize), `ranges cover all ${Math.ceil(fileSize / blockSize)} blocks, not ${this.nextBlock}`);
    if (!this.clean || this.pendingIndex !== undefined) return undefined;
    // A clean file ends exactly where its last record ends (64 when it holds none).
    const end = this.lastRecordEnd ?? FILE_HEADER_SIZE;
    if (end !== fileSize) return undefined;
    assert(this.nextIndex === baseIndex + BigInt(this.records), 'accepted first_index values number the records without a hole');
    if (this.records === 0) return { records: 0, firstIndex: undefined, lastIndex: undefined };
    return { records: this.records, firstIndex: baseIndex, lastIndex: this.nextIndex - 1n };
  }

  private join(range: CleanRangeSummary): boolean {
    // Block 0 follows nothing; any later range must fit the state the ranges before it left.
    if (!(range.firstBlock === 0 ? this.takePending(range) : this.joinBoundary(range))) return false;
    this.records += range.recordStarts;
    this.nextIndex = range.nextIndex;
    if (range.lastRecordEnd !== undefined) this.lastRecordEnd = range.lastRecordEnd;
    return true;
  }

  /** RSF-032 and RSF-043 at the boundary before `range`, and the record in progress after it. */
  private joinBoundary(range: CleanRangeSummary): boolean {
    if (this.pendingIndex === undefined) {
      if (range.startsInsideRecord || range.startFirstIndex !== this.nextIndex) return false;
      return this.takePending(range);
    }
    if (!range.startsInsideRecord || range.startFirstIndex !== this.pendingIndex) return false;
    if (range.leadingEnded) {
      // A LAST slice ends the record exactly (RSF-050); MIDDLE slices before it left bytes to come.
      if (range.leadingDataBytes !== this.pendingRemaining) return false;
      this.pendingIndex = undefined;
      return this.takePending(range);
    }
    // The whole range continues the record: its last MIDDLE slice must leave some still to come.
    assert(range.pendingIndex === this.pendingIndex && range.recordStarts === 0, 'a range that only continues a record starts none');
    if (range.leadingDataBytes >= this.pendingRemaining) return false;
    this.pendingRemaining -= range.leadingDataBytes;
    return true;
  }

  /** The record in progress at the range's end, which started in the range. */
  private takePending(range: CleanRangeSummary): boolean {
    this.pendingIndex = range.pendingIndex;
    if (range.pendingIndex !== undefined) {
      assert(range.pendingRemaining !== undefined, 'a record that started in the range has a known length');
      this.pendingRemaining = range.pendingRemaining;
    }
    return true;
  }
}
