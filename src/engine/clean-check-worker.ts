/**
 * The worker thread of {@link CleanCheckPool}: checks one range of blocks at a time with the clean
 * check, reading the file itself through the descriptor the main thread holds open (worker
 * threads share the process's descriptors), into one buffer it reuses for every range.
 */
import { readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { assert } from '../errors.js';
import { type CleanRangeSummary, CleanRangeChecker } from './clean-check.js';
import { CLEAN_CHECK_CHUNK_BYTES, type CleanCheckReply, type CleanCheckTask } from './clean-check-protocol.js';

/** Reused for every range: the largest read this worker makes. */
let chunk: Buffer | undefined;

/** The range's summary when it is clean; undefined when it is not, or the file ended early. */
function checkRange(task: CleanCheckTask): CleanRangeSummary | undefined {
  const { geometry, firstBlock, endBlock, fd } = task;
  const { blockSize, fileSize } = geometry;
  assert(blockSize <= CLEAN_CHECK_CHUNK_BYTES && firstBlock < endBlock, `range [${firstBlock}, ${endBlock}) of ${blockSize}-byte blocks fits the chunk`);
  chunk ??= Buffer.allocUnsafe(CLEAN_CHECK_CHUNK_BYTES);
  const blocksPerChunk = Math.floor(CLEAN_CHECK_CHUNK_BYTES / blockSize);
  const checker = new CleanRangeChecker(geometry, firstBlock);
  for (let block = firstBlock; block < endBlock; block += blocksPerChunk) {
    const position = block * blockSize;
    const wanted = Math.min(Math.min(blocksPerChunk, endBlock - block) * blockSize, fileSize - position);
    if (wanted <= 0 || readFully(fd, chunk, wanted, position) !== wanted) return undefined;
    if (!checker.checkBlocks(chunk, wanted, block)) return undefined;
  }
  return checker.summary();
}

/** Reads `length` bytes at `position` into the start of `into`; fewer only at the end of the file. */
function readFully(fd: number, into: Buffer, length: number, position: number): number {
  let filled = 0;
  while (filled < length) {
    const bytesRead = readSync(fd, into, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

const port = parentPort;
assert(port !== null, 'clean-check-worker runs as a worker thread');
port.on('message', (task: CleanCheckTask) => {
  let reply: CleanCheckReply;
  try {
    reply = { summary: checkRange(task) };
  } catch (error) {
    // An I/O error (a closed descriptor, EIO): the main thread falls back to the scanner; a bug: it throws.
    const errno = (error as NodeJS.ErrnoException | undefined)?.code;
    reply = { failure: error instanceof Error ? `${error.name}: ${error.message}` : String(error), errno: typeof errno === 'string' ? errno : undefined };
  }
  port.postMessage(reply);
});
