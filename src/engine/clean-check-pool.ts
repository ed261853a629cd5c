/**
 * A small pool of worker threads that run the clean check (clean-check.ts) over ranges of a file,
 * so that verify uses more than one core. Created on first use and shared by every verify of the
 * process: a worker costs ~40 ms to start, more than checking a 64 MiB segment takes, so a pool
 * per call would eat the gain. Idle workers are unref()'d and never keep a process alive; a worker
 * holds a ref only while it has a range to check, so that a verify waiting on it is not cut short.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LsfsError, assert } from '../errors.js';
import type { CleanRangeSummary } from './clean-check.js';
import type { CleanCheckReply, CleanCheckTask } from './clean-check-protocol.js';

/** Most workers a pool runs: verify is bound by memory bandwidth and CRC calls long before this. */
const POOL_WORKERS_MAX = 4;

interface QueuedCheck {
  readonly task: CleanCheckTask;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (summary: CleanRangeSummary | undefined) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Worker threads that check ranges of blocks, one range per worker at a time, in the order asked.
 * {@link CleanCheckPool.check} rejects with `IO_ERROR` when a worker could not read the file or
 * failed (crashed, exited); the caller then falls back to the salvage scanner.
 */
export class CleanCheckPool {
  private readonly script: URL;
  /** Number of workers the pool may start. */
  readonly size: number;
  private readonly idle: Worker[] = [];
  private readonly running = new Map<Worker, QueuedCheck>();
  private readonly queue: QueuedCheck[] = [];
  private started = 0;

  /** A pool of up to `size` workers running `script` (clean-check-worker.js, or a stand-in in tests). */
  constructor(script: URL, size: number) {
    assert(Number.isSafeInteger(size) && size >= 1, `a pool has at least one worker, not ${size}`);
    this.script = script;
    this.size = size;
  }

  /**
   * Checks one range: its summary when it is clean, undefined when it is not. A check whose
   * `signal` is aborted before a worker takes it up resolves undefined without running.
   */
  check(task: CleanCheckTask, signal?: AbortSignal): Promise<CleanRangeSummary | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ task, signal, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.signal?.aborted === true) {
        this.queue.shift();
        next.resolve(undefined);
        continue;
      }
      const worker = this.idle.pop() ?? (this.started < this.size ? this.spawn() : undefined);
      if (worker === undefined) return;
      this.queue.shift();
      this.running.set(worker, next);
      worker.ref();
      worker.postMessage(next.task);
    }
  }

  private spawn(): Worker {
    // No inherited node flags: the worker needs none, and some break it (`--input-type` makes it fail to start).
    const worker = new Worker(this.script, { execArgv: [] });
    worker.unref();
    this.started++;
    worker.on('message', (reply: CleanCheckReply) => this.onReply(worker, reply));
    worker.on('error', (error) => this.onGone(worker, `failed: ${error.message}`, error));
    worker.on('exit', (code) => this.onGone(worker, `exited with code ${code}`, undefined));
    return worker;
  }

  private onReply(worker: Worker, reply: CleanCheckReply): void {
    const current = this.running.get(worker);
    assert(current !== undefined, 'a worker replies only to the range it was given');
    this.running.delete(worker);
    worker.unref();
    this.idle.push(worker);
    if ('summary' in reply) current.resolve(reply.summary);
    else if (reply.errno !== undefined) current.reject(new LsfsError('IO_ERROR', `clean check of descriptor ${current.task.fd}: ${reply.failure}`));
    else current.reject(new Error(`LSFS clean-check worker failed: ${reply.failure}`));
    this.dispatch();
  }

  /** A worker that died: its range fails (IO_ERROR), and a new worker may take its place. */
  private onGone(worker: Worker, what: string, cause: Error | undefined): void {
    const index = this.idle.indexOf(worker);
    if (index >= 0) this.idle.splice(index, 1);
    const current = this.running.get(worker);
    if (current === undefined && index < 0) return; // already handled ('error' comes before 'exit')
    this.running.delete(worker);
    this.started--;
    current?.reject(new LsfsError('IO_ERROR', `clean-check worker ${what}`, { cause }));
    // An 'error' is followed by 'exit': make sure this worker is not counted or used twice.
    worker.removeAllListeners('message');
    this.dispatch();
  }
}

/** The compiled worker script beside this module (absent when the engine runs from its TypeScript sources). */
const WORKER_SCRIPT = new URL('./clean-check-worker.js', import.meta.url);

let sharedPool: CleanCheckPool | null | undefined;

/**
 * The process's shared pool, created on first use; undefined when workers would not help (fewer
 * than two cores) or cannot run (no compiled worker script, as under a TypeScript test runner).
 */
export function sharedCleanCheckPool(): CleanCheckPool | undefined {
  if (sharedPool === undefined) {
    const size = Math.min(availableParallelism(), POOL_WORKERS_MAX);
    sharedPool = size >= 2 && existsSync(fileURLToPath(WORKER_SCRIPT)) ? new CleanCheckPool(WORKER_SCRIPT, size) : null;
  }
  return sharedPool ?? undefined;
}
