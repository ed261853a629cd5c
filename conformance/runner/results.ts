/** Case results and the run's outcome, shared by the runner and its reports. */
import type { Difference } from './compare.js';

/** What happened when the case ran, before known failures are taken into account. */
export type Outcome = 'PASS' | 'FAIL' | 'TIMEOUT' | 'CRASH' | 'PROTOCOL_ERROR' | 'ERROR' | 'SKIP';

/**
 * The reported status: the outcome, except that a listed known failure that fails is `XFAIL` and
 * one that passes is `XPASS` ("unexpectedly passing").
 */
export type Status = Outcome | 'XFAIL' | 'XPASS';

export const FAILING_OUTCOMES: ReadonlySet<Outcome> = new Set(['FAIL', 'TIMEOUT', 'CRASH', 'PROTOCOL_ERROR', 'ERROR']);

export interface CaseResult {
  readonly id: string;
  readonly profiles: readonly string[];
  readonly category: string;
  readonly description: string;
  readonly requirements: readonly string[];
  status: Status;
  readonly outcome: Outcome;
  /** One line: why the case failed, errored or was skipped. */
  readonly reason: string | undefined;
  readonly differences: readonly Difference[];
  /** Responses that broke the protocol's shape. */
  readonly violations: readonly string[];
  /** The testee's stderr while the case ran (last lines), kept for failing cases. */
  readonly stderr: readonly string[];
  readonly durationMs: number;
  /** Set when the case is listed in the known-failures file (the reason given there, maybe empty). */
  knownFailure: string | undefined;
}

export interface HelloInfo {
  readonly implementation: string;
  readonly profiles: readonly string[];
  readonly protocol: number;
}

export interface RunSummary {
  readonly total: number;
  readonly counts: Readonly<Record<Status, number>>;
  /** Cases that fail the run: failures outside the known-failures list. */
  readonly failed: number;
  readonly unexpectedPasses: number;
}

export const STATUSES: readonly Status[] = ['PASS', 'FAIL', 'TIMEOUT', 'CRASH', 'PROTOCOL_ERROR', 'ERROR', 'XFAIL', 'XPASS', 'SKIP'];

export function summarize(results: readonly CaseResult[]): RunSummary {
  const counts = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<Status, number>;
  for (const result of results) counts[result.status]++;
  const failed = results.filter((result) => FAILING_OUTCOMES.has(result.status as Outcome)).length;
  return { total: results.length, counts, failed, unexpectedPasses: counts.XPASS };
}

/** Exit status of a finished run (PROTOCOL.md §8): 0 clean, 1 failures or unexpected passes. */
export function exitStatusOf(summary: RunSummary, allowUnexpectedPasses: boolean): 0 | 1 {
  return summary.failed > 0 || (summary.unexpectedPasses > 0 && !allowUnexpectedPasses) ? 1 : 0;
}
