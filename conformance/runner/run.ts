/**
 * Runs the selected cases against a testee: starts `jobs` testee processes, hands each case to a
 * free one, restarts a testee after a timeout, crash or protocol error, and turns everything that
 * happens into a {@link CaseResult}. Known failures become XFAIL / XPASS here.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Difference } from './compare.js';
import type { KnownFailures } from './known-failures.js';
import { type Manifest, type VectorCase, categoryOf } from './manifest.js';
import { PROFILE_MODULES, VectorProblem } from './profiles/index.js';
import type { CaseContext } from './profiles/types.js';
import { type CaseResult, FAILING_OUTCOMES, type HelloInfo, type Outcome } from './results.js';
import { type Json, TesteeFailure, TesteeProcess } from './testee-process.js';
import { PROTOCOL_VERSION } from '../lib/protocol.js';

export interface RunOptions {
  readonly testee: readonly string[];
  readonly manifest: Manifest;
  /** The cases to run or skip, in report order (already filtered by `--filter` and `--profile`). */
  readonly cases: readonly VectorCase[];
  readonly knownFailures: KnownFailures;
  /** Base time limit of one request, in ms, before scaling. */
  readonly timeoutMs: number;
  readonly timeoutScale: number;
  readonly jobs: number;
  readonly keepTemp?: boolean;
  /** Called when a case has finished (for the progress bar). */
  readonly onCaseDone?: (result: CaseResult) => void;
  /** Called once the first testee answered `hello`, with the cases that will actually run. */
  readonly onStarted?: (hello: HelloInfo, runnable: number) => void;
}

export interface RunResult {
  readonly hello: HelloInfo;
  readonly results: CaseResult[];
  readonly warnings: string[];
  readonly tempRoot: string | undefined;
}

/** The testee could not be started, or did not answer the first `hello` (exit status 2). */
export class StartError extends Error {}

/** Time limit of `hello`, which covers the testee's start-up (PROTOCOL.md §6). */
const HELLO_TIMEOUT_MS = 10_000;
/** Waiting for a testee to exit after `shutdown` (PROTOCOL.md §4.6). */
const SHUTDOWN_GRACE_MS = 5_000;
/** Extra time per this many bytes of a case's file or payloads (before scaling). */
const BYTES_PER_EXTRA_SECOND = 8 * 1024 * 1024;
/** Consecutive failed restarts after which the remaining cases are not attempted. */
const MAX_FAILED_RESTARTS = 3;
/** Lines of the testee's stderr kept with a failing case. */
const STDERR_LINES_KEPT = 40;

function parseHello(response: Json): HelloInfo {
  if (response.ok !== true) throw new Error(`hello failed: ${JSON.stringify(response.error)}`);
  if (typeof response.implementation !== 'string') throw new Error('the hello response has no "implementation" string');
  const profiles = response.profiles;
  if (!Array.isArray(profiles) || !profiles.every((profile) => typeof profile === 'string')) throw new Error('the hello response has no "profiles" array of strings');
  if (new Set(profiles).size !== profiles.length) throw new Error('the hello response lists a profile twice');
  const protocol = response.protocol ?? 1;
  if (protocol !== PROTOCOL_VERSION) throw new Error(`the testee speaks protocol ${JSON.stringify(protocol)}, this runner speaks ${PROTOCOL_VERSION}`);
  return { implementation: response.implementation, profiles: profiles as string[], protocol };
}

/** Starts a testee and says hello. Throws a readable Error (with its stderr) on failure. */
async function startTestee(argv: readonly string[], helloTimeoutMs: number): Promise<{ process: TesteeProcess; hello: HelloInfo }> {
  let testee: TesteeProcess;
  try {
    testee = TesteeProcess.start(argv);
  } catch (error) {
    throw new Error(`cannot start the testee: ${(error as Error).message}`);
  }
  try {
    const response = await testee.request({ op: 'hello', protocol: PROTOCOL_VERSION }, helloTimeoutMs, 'hello');
    return { process: testee, hello: parseHello(response) };
  } catch (error) {
    await testee.terminate();
    const stderr = testee.stderrSince(0).slice(-10);
    throw new Error(`${(error as Error).message}${stderr.length > 0 ? `\n  testee stderr:\n    ${stderr.join('\n    ')}` : ''}`);
  }
}

function skipReason(vectorCase: VectorCase, claimed: ReadonlySet<string>): string | undefined {
  for (const profile of vectorCase.profiles) {
    if (!PROFILE_MODULES.has(profile)) return `this runner has no module for profile ${profile}`;
    if (!claimed.has(profile)) return `the testee does not claim profile ${profile}`;
  }
  return undefined;
}

function baseResult(vectorCase: VectorCase): Pick<CaseResult, 'id' | 'profiles' | 'category' | 'description' | 'requirements'> {
  return {
    id: vectorCase.id,
    profiles: vectorCase.profiles,
    category: categoryOf(vectorCase),
    description: vectorCase.description,
    requirements: vectorCase.requirements,
  };
}

function makeResult(vectorCase: VectorCase, outcome: Outcome, details: { reason?: string; differences?: Difference[]; violations?: string[]; stderr?: string[]; durationMs?: number }): CaseResult {
  return {
    ...baseResult(vectorCase),
    status: outcome,
    outcome,
    reason: details.reason,
    differences: details.differences ?? [],
    violations: details.violations ?? [],
    stderr: details.stderr ?? [],
    durationMs: details.durationMs ?? 0,
    knownFailure: undefined,
  };
}

/** Marks known failures: a failing listed case is XFAIL, a passing one XPASS. */
export function markKnownFailure(result: CaseResult, knownFailures: KnownFailures): CaseResult {
  const reason = knownFailures.get(result.id);
  if (reason === undefined) return result;
  result.knownFailure = reason;
  if (FAILING_OUTCOMES.has(result.outcome)) result.status = 'XFAIL';
  else if (result.outcome === 'PASS') result.status = 'XPASS';
  return result;
}

/** Marks known failures in `results` and warns about listed ids that name no case. */
export function applyKnownFailures(results: CaseResult[], knownFailures: KnownFailures, allIds: ReadonlySet<string>): string[] {
  const warnings: string[] = [];
  for (const result of results) markKnownFailure(result, knownFailures);
  for (const id of knownFailures.keys()) {
    if (!allIds.has(id)) warnings.push(`known failure ${id} names no case of the manifest (a stale entry?)`);
  }
  return warnings;
}

class Worker {
  private testee: TesteeProcess | undefined;
  private failedRestarts = 0;
  private caseNumber = 0;

  constructor(
    private readonly number: number,
    private readonly options: RunOptions,
    private readonly tempRoot: string,
    private readonly helloTimeoutMs: number,
    testee?: TesteeProcess,
  ) {
    this.testee = testee;
  }

  /** A running testee, restarted if needed; a string says why there is none. */
  private async ensureTestee(): Promise<TesteeProcess | string> {
    if (this.testee?.alive === true) return this.testee;
    if (this.testee !== undefined) await this.testee.terminate();
    this.testee = undefined;
    if (this.failedRestarts >= MAX_FAILED_RESTARTS) return `not run: the testee failed to restart ${MAX_FAILED_RESTARTS} times in a row`;
    try {
      this.testee = (await startTestee(this.options.testee, this.helloTimeoutMs)).process;
      this.failedRestarts = 0;
      return this.testee;
    } catch (error) {
      this.failedRestarts++;
      return `the testee could not be (re)started: ${(error as Error).message}`;
    }
  }

  async runCase(vectorCase: VectorCase): Promise<CaseResult> {
    const started = Date.now();
    const first = await this.ensureTestee();
    if (typeof first === 'string') return makeResult(vectorCase, 'CRASH', { reason: first, durationMs: Date.now() - started });
    // The testee of the case: a `kill` step of a raft-log case replaces it (restartTestee).
    let testee = first;
    const module = PROFILE_MODULES.get(vectorCase.profiles[0]!)!;
    const workDir = join(this.tempRoot, `w${this.number}-${++this.caseNumber}`);
    await mkdir(workDir, { recursive: true });
    const differences: Difference[] = [];
    const violations: string[] = [];
    let mark = testee.stderrMark();
    /** stderr of the testees the case killed. */
    const earlierStderr: string[] = [];
    const scale = this.options.timeoutScale;
    const timeoutMs = Math.max(1, Math.round(this.options.timeoutMs * scale));
    const context: CaseContext = {
      manifest: this.options.manifest,
      workDir,
      timeoutMs,
      limitFor: (bytes) => timeoutMs + Math.round((Math.max(0, bytes) / BYTES_PER_EXTRA_SECOND) * 1000 * scale),
      request: (message, requestOptions = {}) => testee.request(message, requestOptions.timeoutMs ?? timeoutMs, requestOptions.what ?? String(message.op)),
      differ: (difference) => void differences.push(difference),
      violation: (message) => void violations.push(message),
      restartTestee: async () => {
        earlierStderr.push(...testee.stderrSince(mark), '--- killed by the runner (SIGKILL), restarted ---');
        await testee.terminate();
        this.testee = undefined;
        try {
          testee = (await startTestee(this.options.testee, this.helloTimeoutMs)).process;
        } catch (error) {
          throw new TesteeFailure('CRASH', `the testee could not be restarted after the runner killed it: ${(error as Error).message}`);
        }
        this.testee = testee;
        mark = testee.stderrMark();
      },
    };
    let outcome: Outcome = 'PASS';
    let reason: string | undefined;
    try {
      await module.run(vectorCase, context);
      if (violations.length > 0) {
        outcome = 'PROTOCOL_ERROR';
        reason = violations[0];
      } else if (differences.length > 0) {
        outcome = 'FAIL';
        reason = `${differences.length} difference${differences.length === 1 ? '' : 's'}`;
      }
    } catch (error) {
      if (error instanceof TesteeFailure) {
        outcome = error.kind;
        reason = error.message;
        // The session is out of step (or dead): a fresh testee for the next case.
        await testee.terminate();
      } else if (error instanceof VectorProblem) {
        outcome = 'ERROR';
        reason = `vector problem: ${error.message}`;
      } else {
        outcome = 'ERROR';
        reason = `runner error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
      }
    } finally {
      if (this.options.keepTemp !== true) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    }
    const stderr = outcome === 'PASS' ? [] : [...earlierStderr, ...testee.stderrSince(mark)].slice(-STDERR_LINES_KEPT);
    return makeResult(vectorCase, outcome, { reason, differences, violations, stderr, durationMs: Date.now() - started });
  }

  async stop(): Promise<void> {
    await this.testee?.shutdown(SHUTDOWN_GRACE_MS);
    this.testee = undefined;
  }
}

export async function runCases(options: RunOptions): Promise<RunResult> {
  const scale = options.timeoutScale;
  const helloTimeoutMs = Math.max(1, Math.round(HELLO_TIMEOUT_MS * scale));
  let first: { process: TesteeProcess; hello: HelloInfo };
  try {
    first = await startTestee(options.testee, helloTimeoutMs);
  } catch (error) {
    throw new StartError((error as Error).message);
  }
  const { hello } = first;
  const claimed = new Set(hello.profiles);
  const results: (CaseResult | undefined)[] = new Array(options.cases.length).fill(undefined);
  const queue: number[] = [];
  options.cases.forEach((vectorCase, position) => {
    const why = skipReason(vectorCase, claimed);
    if (why === undefined) queue.push(position);
    else results[position] = markKnownFailure(makeResult(vectorCase, 'SKIP', { reason: why }), options.knownFailures);
  });
  options.onStarted?.(hello, queue.length);
  for (const result of results) if (result !== undefined) options.onCaseDone?.(result);

  const tempRoot = await mkdtemp(join(tmpdir(), 'lsfs-conformance-'));
  const workerCount = Math.max(1, Math.min(options.jobs, queue.length));
  const workers: Worker[] = [];
  try {
    for (let i = 0; i < workerCount; i++) workers.push(new Worker(i, options, tempRoot, helloTimeoutMs, i === 0 ? first.process : undefined));
    if (queue.length === 0) await first.process.shutdown(SHUTDOWN_GRACE_MS);
    let next = 0;
    await Promise.all(
      workers.map(async (worker) => {
        while (next < queue.length) {
          const position = queue[next++]!;
          const result = markKnownFailure(await worker.runCase(options.cases[position]!), options.knownFailures);
          results[position] = result;
          options.onCaseDone?.(result);
        }
        await worker.stop();
      }),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.stop().catch(() => undefined)));
    if (options.keepTemp !== true) await rm(tempRoot, { recursive: true, force: true }).catch(() => undefined);
  }
  const finished = results as CaseResult[];
  const allIds = new Set(options.manifest.cases.map((vectorCase) => vectorCase.id));
  const warnings = applyKnownFailures(finished, options.knownFailures, allIds);
  return { hello, results: finished, warnings, tempRoot: options.keepTemp === true ? tempRoot : undefined };
}
