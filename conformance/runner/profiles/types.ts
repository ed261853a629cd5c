/**
 * What a profile module provides to the runner. Each profile of PROTOCOL.md §3 (`reader`,
 * `writer`, `raft-log`) is one module that knows how to check its cases' structure in the
 * manifest and how to run one case against a testee; the runner does the rest (processes,
 * timeouts, restarts, temporary files, known failures, reports). Register a new module in
 * `profiles/index.ts`.
 */
import type { Difference } from '../compare.js';
import type { Manifest, VectorCase } from '../manifest.js';
import type { Json } from '../testee-process.js';

export interface CaseContext {
  readonly manifest: Manifest;
  /** A fresh, empty directory for this case's files; the runner removes it afterwards. */
  readonly workDir: string;
  /** Time limit of one request, `--timeout-scale` applied. */
  readonly timeoutMs: number;
  /** `timeoutMs` plus an allowance for moving `bytes` bytes (large files and payloads), scaled. */
  limitFor(bytes: number): number;
  /**
   * Sends a request to the testee (an `id` is added) and returns its response. Throws a
   * `TesteeFailure` (timeout, crash, protocol error), which ends the case.
   */
  request(message: Json, options?: { timeoutMs?: number; what?: string }): Promise<Json>;
  /** Records a wrong answer. */
  differ(difference: Difference): void;
  /** Records a response that breaks the protocol's shape (a missing or mistyped field). */
  violation(message: string): void;
  /**
   * Kills the testee's process group (SIGKILL), as a crash would, and starts a fresh testee (with
   * `hello`) for the rest of the case; the case's files stay. Throws a `TesteeFailure` (`CRASH`)
   * when the new testee does not start.
   */
  restartTestee(): Promise<void>;
}

/** Thrown by a profile when the vectors themselves are wrong (a file missing or not matching its sha256). */
export class VectorProblem extends Error {}

export interface ProfileModule {
  /** The profile name, as in `hello` and in the manifest. */
  readonly name: string;
  /** Structural problems of a case of this profile (an invalid manifest), before anything runs. */
  validate(vectorCase: VectorCase, manifest: Manifest): string[];
  /** Runs one case; wrong answers go to `context.differ`. */
  run(vectorCase: VectorCase, context: CaseContext): Promise<void>;
}
