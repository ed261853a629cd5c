/** The messages between {@link CleanCheckPool} and its worker threads (clean-check-worker.ts). */
import type { CleanCheckGeometry, CleanRangeSummary } from './clean-check.js';

/**
 * Bytes a worker reads at once, and the most a range holds: large sequential reads, few messages,
 * and a buffer small enough to keep one per worker for the life of the process.
 */
export const CLEAN_CHECK_CHUNK_BYTES = 8 << 20;

/** One range of whole blocks `[firstBlock, endBlock)` of the file open at descriptor `fd`. */
export interface CleanCheckTask {
  /** A descriptor of this process, open for reading; the worker reads through it, never closes it. */
  readonly fd: number;
  readonly geometry: CleanCheckGeometry;
  readonly firstBlock: number;
  readonly endBlock: number;
}

/**
 * A worker's answer: the range's summary (undefined: not clean), or why it could not check it.
 * `errno` is set for an operating-system failure (a read that failed), unset for a bug.
 */
export type CleanCheckReply =
  | { readonly summary: CleanRangeSummary | undefined }
  | { readonly failure: string; readonly errno: string | undefined };
