/**
 * The fast path of verify: the clean check over the whole file, on worker threads for a large file
 * on the real file system, inline otherwise. It answers with the file's summary when the file is
 * clean, and with undefined when it is not (or a worker could not read it): the caller then runs
 * the salvage scanner, which alone classifies damage, so a damaged file's verdict does not depend
 * on this module at all.
 */
import { isLsfsError } from '../errors.js';
import type { StorageFile } from '../io/storage.js';
import { type CleanCheckGeometry, CleanRangeChecker } from './clean-check.js';
import { type CleanCheckPool, sharedCleanCheckPool } from './clean-check-pool.js';
import { CLEAN_CHECK_CHUNK_BYTES } from './clean-check-protocol.js';
import { type CleanFileSummary, CleanRangeStitcher } from './clean-stitch.js';

/**
 * Where the clean check runs: `auto` on workers for a large real file and inline otherwise,
 * `inline` always on the calling thread, `workers` on workers whenever the file has a descriptor
 * (tests use it on small files), `none` not at all (verify goes straight to the salvage scan).
 */
export type CleanCheckPlace = 'auto' | 'inline' | 'workers' | 'none';

/** Options of {@link checkCleanFile}. */
export interface CleanCheckOptions {
  readonly place?: CleanCheckPlace;
  /** The worker pool to use (default: the process's shared pool). */
  readonly pool?: CleanCheckPool | undefined;
  /** Called as the checked prefix of the file grows, with bytes done and the file's size. */
  readonly onProgress?: ((bytesDone: number, bytesTotal: number) => void) | undefined;
}

/** A clean file's summary and where it was checked. */
export interface CleanCheckResult {
  readonly summary: CleanFileSummary;
  readonly checkedBy: 'inline' | 'workers';
}

/** Below this size a file is checked inline: a worker round trip and the stitching cost more than they save. */
const WORKER_MIN_FILE_BYTES = 8 << 20;
/** Smallest range handed to a worker, so that messages stay rare next to the checking. */
const RANGE_MIN_BYTES = 1 << 20;
/** Ranges per worker for a file that allows it: a worker that finishes early takes the next. */
const RANGES_PER_WORKER = 4;
/** Blocks read at once by the inline check (as the salvage scan reads). */
const INLINE_READ_BYTES = 1 << 20;
/** Progress reports at most every this many bytes. */
const PROGRESS_STEP_BYTES = 1 << 20;

/** The file's summary when the clean check finds nothing a scan would call damage; undefined otherwise. */
export async function checkCleanFile(file: StorageFile, geometry: CleanCheckGeometry, options: CleanCheckOptions = {}): Promise<CleanCheckResult | undefined> {
  const place = options.place ?? 'auto';
  if (place === 'none') return undefined;
  const fd = file.fileDescriptor;
  const pool = fd === undefined || place === 'inline' ? undefined : (options.pool ?? sharedCleanCheckPool());
  const large = geometry.fileSize >= WORKER_MIN_FILE_BYTES;
  if (fd !== undefined && pool !== undefined && (place === 'workers' || large)) {
    const summary = await checkOnWorkers(pool, fd, geometry, options.onProgress);
    return summary === undefined ? undefined : { summary, checkedBy: 'workers' };
  }
  const summary = await checkInline(file, geometry, options.onProgress);
  return summary === undefined ? undefined : { summary, checkedBy: 'inline' };
}

/** The clean check on the calling thread, through the file's own reads. */
async function checkInline(file: StorageFile, geometry: CleanCheckGeometry, onProgress: CleanCheckOptions['onProgress']): Promise<CleanFileSummary | undefined> {
  const { blockSize, fileSize } = geometry;
  const blocksPerRead = Math.max(1, Math.floor(INLINE_READ_BYTES / blockSize));
  const blockCount = Math.ceil(fileSize / blockSize);
  const checker = new CleanRangeChecker(geometry, 0);
  const progress = progressReporter(fileSize, onProgress);
  for (let block = 0; block < blockCount; block += blocksPerRead) {
    const position = block * blockSize;
    const bytes = await file.read(position, Math.min(blocksPerRead * blockSize, fileSize - position));
    if (!checker.checkBlocks(bytes, bytes.length, block)) return undefined;
    progress(position + bytes.length);
  }
  const stitcher = new CleanRangeStitcher(geometry);
  stitcher.add(checker.summary());
  return stitcher.finish();
}

/**
 * The clean check on the pool's workers, range by range, stitched in file order as the answers
 * come. The first range that is not clean stops the ranges not yet started.
 */
async function checkOnWorkers(pool: CleanCheckPool, fd: number, geometry: CleanCheckGeometry, onProgress: CleanCheckOptions['onProgress']): Promise<CleanFileSummary | undefined> {
  const ranges = splitIntoRanges(geometry, pool.size);
  const stop = new AbortController();
  // Every answer is caught at once, so that stopping early leaves no rejection unhandled.
  const answers = ranges.map(([firstBlock, endBlock]) =>
    pool.check({ fd, geometry, firstBlock, endBlock }, stop.signal).then(
      (summary) => ({ summary, failure: undefined }),
      (failure: unknown) => ({ summary: undefined, failure }),
    ),
  );
  const stitcher = new CleanRangeStitcher(geometry);
  const progress = progressReporter(geometry.fileSize, onProgress);
  try {
    for (const answer of answers) {
      const { summary, failure } = await answer;
      // A worker that could not read the file (or died) is no verdict: the salvage scan reads it again.
      if (failure !== undefined && !isLsfsError(failure, 'IO_ERROR')) throw failure;
      if (summary === undefined || !stitcher.add(summary)) return undefined;
      progress(Math.min(summary.endBlock * geometry.blockSize, geometry.fileSize));
    }
  } finally {
    stop.abort();
  }
  return stitcher.finish();
}

/** The file's blocks cut into ranges `[first, end)` of whole blocks for `workers` workers. */
export function splitIntoRanges(geometry: CleanCheckGeometry, workers: number): Array<readonly [number, number]> {
  const { blockSize, fileSize } = geometry;
  const blockCount = Math.ceil(fileSize / blockSize);
  const wantedBytes = Math.min(CLEAN_CHECK_CHUNK_BYTES, Math.max(RANGE_MIN_BYTES, Math.ceil(fileSize / (workers * RANGES_PER_WORKER))));
  const blocksPerRange = Math.max(1, Math.floor(wantedBytes / blockSize));
  const ranges: Array<readonly [number, number]> = [];
  for (let first = 0; first < blockCount; first += blocksPerRange) ranges.push([first, Math.min(blockCount, first + blocksPerRange)]);
  return ranges;
}

/** Calls `onProgress` at most every PROGRESS_STEP_BYTES as the done count grows. */
function progressReporter(total: number, onProgress: CleanCheckOptions['onProgress']): (done: number) => void {
  let reported = 0;
  return (done) => {
    if (onProgress === undefined || done - reported < PROGRESS_STEP_BYTES || done >= total) return;
    reported = done;
    onProgress(done, total);
  };
}
