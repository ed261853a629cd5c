/**
 * One running testee (PROTOCOL.md §1, §6): a child process in a process group of its own, JSON
 * lines on its stdin and stdout, stderr captured. Requests are strictly sequential; each has a
 * time limit after which the whole process group is killed. Whatever the testee does wrong
 * (exits, hangs, prints garbage, answers with the wrong id) becomes a {@link TesteeFailure}, never
 * an exception that escapes the runner.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

/** How a request failed for reasons other than a wrong answer. */
export type FailureKind = 'TIMEOUT' | 'CRASH' | 'PROTOCOL_ERROR';

export class TesteeFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

/** Response lines longer than this are a protocol error (the protocol promises at least 256 MiB). */
const MAX_LINE_BYTES = 512 * 1024 * 1024;
/** stderr lines kept per testee process. */
const STDERR_KEEP_LINES = 2000;
const STDERR_MAX_LINE_CHARS = 2000;

export type Json = Record<string, unknown>;

interface Waiter {
  resolve(line: Buffer): void;
  reject(error: TesteeFailure): void;
}

/** Every testee process ever started and not yet reaped, so that an interrupted run kills them. */
const live = new Set<TesteeProcess>();

/** Kills every testee process group still running (on exit, Ctrl-C). */
export function killAllTestees(): void {
  for (const testee of live) testee.kill();
}

export class TesteeProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Buffer[] = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private waiter: Waiter | undefined;
  private nextId = 1;
  private exitDescription: string | undefined;
  private stdoutClosed = false;
  private overlong = false;
  private readonly stderrLines: string[] = [];
  private stderrPartial = '';
  /** Number of stderr lines ever completed: marks for {@link stderrSince}. */
  private stderrCount = 0;
  private readonly exited: Promise<void>;
  readonly argv: readonly string[];

  private constructor(argv: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }) {
    this.argv = argv;
    this.child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // A process group of its own: a timeout kills the testee and everything it started.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitDescription = signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
        // Lines it wrote just before exiting may still be in the pipe: let them arrive first.
        setTimeout(() => this.failWaiter('CRASH', `the testee ${this.exitDescription}`), 100);
        resolve();
      });
      this.child.once('error', (error) => {
        this.exitDescription ??= `could not be started: ${error.message}`;
        this.failWaiter('CRASH', `the testee ${this.exitDescription}`);
        live.delete(this);
        resolve();
      });
    });
    void this.exited.then(() => live.delete(this));
    this.child.stdin.on('error', () => undefined); // EPIPE when the testee died: reported as CRASH
    this.child.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    this.child.stdout.on('end', () => {
      this.stdoutClosed = true;
      // Give 'exit' a moment to arrive, so the report says "exited with status N" when it did.
      setTimeout(() => this.failWaiter('CRASH', `the testee ${this.exitDescription ?? 'closed its stdout'}`), 50);
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => this.onStderr(text));
  }

  /** Starts a testee; the caller sends `hello`. Rejects when the command cannot be started. */
  static start(argv: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): TesteeProcess {
    if (argv.length === 0) throw new Error('the testee command line is empty');
    return new TesteeProcess(argv, options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitDescription === undefined && !this.stdoutClosed;
  }

  private onStdout(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(10, start); newline !== -1; newline = chunk.indexOf(10, start)) {
      this.pending.push(chunk.subarray(start, newline));
      const line = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
      this.pending = [];
      this.pendingBytes = 0;
      start = newline + 1;
      if (this.overlong) {
        this.overlong = false;
        continue;
      }
      this.deliver(line);
    }
    if (start < chunk.length && !this.overlong) {
      this.pending.push(chunk.subarray(start));
      this.pendingBytes += chunk.length - start;
      if (this.pendingBytes > MAX_LINE_BYTES) {
        this.overlong = true;
        this.pending = [];
        this.pendingBytes = 0;
        this.failWaiter('PROTOCOL_ERROR', `a stdout line longer than ${MAX_LINE_BYTES} bytes`);
      }
    }
  }

  private deliver(line: Buffer): void {
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve(line);
    } else {
      this.lines.push(line);
    }
  }

  private failWaiter(kind: FailureKind, message: string): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    this.waiter = undefined;
    waiter.reject(new TesteeFailure(kind, message));
  }

  private onStderr(text: string): void {
    const parts = (this.stderrPartial + text).split('\n');
    this.stderrPartial = parts.pop() ?? '';
    for (const line of parts) {
      this.stderrLines.push(line.length > STDERR_MAX_LINE_CHARS ? `${line.slice(0, STDERR_MAX_LINE_CHARS)}…` : line);
      this.stderrCount++;
      if (this.stderrLines.length > STDERR_KEEP_LINES) this.stderrLines.shift();
    }
    if (this.stderrPartial.length > 64 * STDERR_MAX_LINE_CHARS) this.stderrPartial = this.stderrPartial.slice(-STDERR_MAX_LINE_CHARS);
  }

  /** A mark for {@link stderrSince}: the number of stderr lines so far. */
  stderrMark(): number {
    return this.stderrCount;
  }

  /** stderr lines written since `mark` (the last ones kept), including an unfinished last line. */
  stderrSince(mark: number): string[] {
    const count = Math.min(this.stderrCount - mark, this.stderrLines.length);
    const lines = count > 0 ? this.stderrLines.slice(-count) : [];
    if (this.stderrPartial !== '') lines.push(this.stderrPartial);
    return lines;
  }

  private nextLine(timeoutMs: number, what: string): Promise<Buffer> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (!this.alive) return Promise.reject(new TesteeFailure('CRASH', `the testee ${this.exitDescription ?? 'closed its stdout'} before answering ${what}`));
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.waiter?.resolve !== onLine) return;
        this.waiter = undefined;
        this.kill();
        reject(new TesteeFailure('TIMEOUT', `no answer to ${what} within ${timeoutMs} ms: killed the testee's process group`));
      }, timeoutMs);
      const onLine = (line: Buffer): void => {
        clearTimeout(timer);
        resolve(line);
      };
      this.waiter = {
        resolve: onLine,
        reject: (error) => {
          clearTimeout(timer);
          reject(new TesteeFailure(error.kind, `${error.message} while handling ${what}`));
        },
      };
    });
  }

  /**
   * Sends one request (an `id` is added) and returns the response object. Rejects with a
   * {@link TesteeFailure}; after a failure the process must not be used again (kill it).
   */
  async request(message: Json, timeoutMs: number, what = String(message.op)): Promise<Json> {
    const id = this.nextId++;
    const line = `${JSON.stringify({ id, ...message })}\n`;
    if (!this.alive) throw new TesteeFailure('CRASH', `the testee ${this.exitDescription ?? 'closed its stdout'} before ${what}`);
    this.child.stdin.write(line);
    const answer = await this.nextLine(timeoutMs, what);
    const text = answer.toString('utf8');
    let response: unknown;
    try {
      response = JSON.parse(text);
    } catch {
      throw new TesteeFailure('PROTOCOL_ERROR', `answer to ${what} is not JSON: ${preview(text)}`);
    }
    if (typeof response !== 'object' || response === null || Array.isArray(response)) {
      throw new TesteeFailure('PROTOCOL_ERROR', `answer to ${what} is not a JSON object: ${preview(text)}`);
    }
    const fields = response as Json;
    if (fields.id !== id) {
      throw new TesteeFailure('PROTOCOL_ERROR', `answer to ${what} has id ${JSON.stringify(fields.id)}, expected ${id}: ${preview(text)}`);
    }
    if (fields.ok !== true && fields.ok !== false) {
      throw new TesteeFailure('PROTOCOL_ERROR', `answer to ${what} has no boolean "ok": ${preview(text)}`);
    }
    return fields;
  }

  /** Kills the testee's whole process group (SIGKILL). Harmless when it is gone. */
  kill(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      if (process.platform === 'win32') this.child.kill('SIGKILL');
      else process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /** Sends `shutdown`, waits up to `graceMs` for the exit, then kills the process group. */
  async shutdown(graceMs: number): Promise<void> {
    if (this.alive) {
      try {
        await this.request({ op: 'shutdown' }, graceMs);
        this.child.stdin.end();
      } catch {
        // a testee that cannot shut down is killed below
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const exitedInTime = await Promise.race([this.exited.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))]);
    clearTimeout(timer);
    // Kill the group anyway: the testee may have left children behind.
    this.kill();
    if (!exitedInTime) await this.exited;
    this.child.stdout.destroy();
    this.child.stderr.destroy();
  }

  /** Kills the process group and waits for the testee to be reaped. */
  async terminate(): Promise<void> {
    this.kill();
    await this.exited;
    this.child.stdout.destroy();
    this.child.stderr.destroy();
  }
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > 200 ? `${flat.slice(0, 200)}…` : flat);
}
