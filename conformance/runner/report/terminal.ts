/**
 * The terminal report: a progress bar while the cases run (on a TTY only), then a table of cases
 * by category with their PASS / FAIL / XFAIL / XPASS / SKIP counts, the failing cases with a short
 * diff and the last lines of the testee's stderr, and a one-line verdict.
 */
import cliProgress from 'cli-progress';
import { formatDifference } from '../compare.js';
import { type CaseResult, FAILING_OUTCOMES, type HelloInfo, type Outcome, type RunSummary } from '../results.js';

export interface Style {
  bold(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
}

const plain: Style = { bold: (t) => t, red: (t) => t, green: (t) => t, yellow: (t) => t, dim: (t) => t };

function ansi(code: number): (text: string) => string {
  return (text) => `\u001b[${code}m${text}\u001b[0m`;
}

export function styleFor(stream: NodeJS.WriteStream): Style {
  const color = stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb';
  return color ? { bold: ansi(1), red: ansi(31), green: ansi(32), yellow: ansi(33), dim: ansi(2) } : plain;
}

/** A progress bar on stderr when it is a terminal; otherwise nothing. */
export class Progress {
  private bar: cliProgress.SingleBar | undefined;
  private passed = 0;
  private failed = 0;

  constructor(private readonly enabled: boolean) {}

  start(total: number): void {
    if (!this.enabled || total === 0) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: ' {bar} {value}/{total} cases | {passed} ok, {failed} failed | {current}',
        barsize: 30,
        hideCursor: true,
        clearOnComplete: true,
        stopOnComplete: false,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, { passed: 0, failed: 0, current: '' });
  }

  caseDone(result: CaseResult): void {
    if (result.outcome === 'SKIP') return;
    if (result.status === 'PASS' || result.status === 'XFAIL') this.passed++;
    else this.failed++;
    this.bar?.increment(1, { passed: this.passed, failed: this.failed, current: result.id });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The table of categories: one row each, then a total. */
export function categoryTable(results: readonly CaseResult[]): string[] {
  const columns = ['PASS', 'FAIL', 'XFAIL', 'XPASS', 'SKIP', 'TOTAL'] as const;
  const rows = new Map<string, Record<(typeof columns)[number], number>>();
  const total = { PASS: 0, FAIL: 0, XFAIL: 0, XPASS: 0, SKIP: 0, TOTAL: 0 };
  for (const result of results) {
    let row = rows.get(result.category);
    if (row === undefined) rows.set(result.category, (row = { PASS: 0, FAIL: 0, XFAIL: 0, XPASS: 0, SKIP: 0, TOTAL: 0 }));
    const column = FAILING_OUTCOMES.has(result.status as Outcome) ? 'FAIL' : (result.status as 'PASS' | 'XFAIL' | 'XPASS' | 'SKIP');
    for (const target of [row, total]) {
      target[column]++;
      target.TOTAL++;
    }
  }
  const names = [...rows.keys()].sort();
  const width = Math.max(8, ...names.map((name) => name.length)) + 2;
  const line = (name: string, row: Record<string, number>): string => `${pad(name, width)}${columns.map((column) => pad(String(row[column]), 7, true)).join('')}`;
  const header = `${pad('category', width)}${columns.map((column) => pad(column, 7, true)).join('')}`;
  return [header, '-'.repeat(header.length), ...names.map((name) => line(name, rows.get(name)!)), '-'.repeat(header.length), line('all', total)];
}

const MAX_DIFFERENCES_SHOWN = 8;
const MAX_STDERR_SHOWN = 12;

function caseDetails(result: CaseResult, style: Style): string[] {
  const lines: string[] = [];
  const profiles = result.profiles.join(',');
  const statusLabel = result.status === 'XPASS' ? 'XPASS (unexpectedly passing)' : result.status;
  lines.push(`${style.bold(style.red(statusLabel))}  ${result.id}  ${style.dim(`[${profiles}]`)}`);
  if (result.description !== '') lines.push(`    ${style.dim(result.description)}`);
  if (result.status === 'XPASS') {
    lines.push(`    listed as a known failure${result.knownFailure ? ` (${result.knownFailure})` : ''} but passes: remove it from the list`);
    return lines;
  }
  if (result.reason !== undefined && result.outcome !== 'FAIL') lines.push(`    ${result.reason.split('\n').join('\n    ')}`);
  for (const violation of result.violations.slice(0, MAX_DIFFERENCES_SHOWN)) lines.push(`    protocol: ${violation}`);
  for (const difference of result.differences.slice(0, MAX_DIFFERENCES_SHOWN)) lines.push(`    ${formatDifference(difference)}`);
  const more = result.differences.length - MAX_DIFFERENCES_SHOWN;
  if (more > 0) lines.push(`    … and ${more} more difference${more === 1 ? '' : 's'} (see --json)`);
  if (result.stderr.length > 0) {
    lines.push(`    ${style.dim(`testee stderr (last ${Math.min(result.stderr.length, MAX_STDERR_SHOWN)} lines):`)}`);
    for (const line of result.stderr.slice(-MAX_STDERR_SHOWN)) lines.push(`      ${style.dim(line)}`);
  }
  return lines;
}

export interface TerminalReportInput {
  readonly testee: string;
  readonly hello: HelloInfo;
  readonly vectors: string;
  readonly knownFailures?: string | undefined;
  readonly results: readonly CaseResult[];
  readonly summary: RunSummary;
  readonly warnings: readonly string[];
  readonly durationMs: number;
  readonly exitStatus: number;
  readonly allowUnexpectedPasses: boolean;
  readonly verbose: boolean;
}

export function terminalReport(input: TerminalReportInput, style: Style): string {
  const { results, summary } = input;
  const out: string[] = [];
  out.push(`${style.bold('LSFS conformance')}: ${input.hello.implementation} (profiles: ${input.hello.profiles.join(', ') || 'none'})`);
  out.push(style.dim(`testee: ${input.testee}`));
  out.push(style.dim(`vectors: ${input.vectors}`));
  if (input.knownFailures !== undefined) out.push(style.dim(`known failures: ${input.knownFailures}`));
  out.push('');
  out.push(...categoryTable(results));
  const failing = results.filter((result) => FAILING_OUTCOMES.has(result.status as Outcome) || result.status === 'XPASS');
  if (failing.length > 0) {
    out.push('');
    out.push(style.bold(`Failing cases (${failing.length}):`));
    for (const result of failing) out.push(...caseDetails(result, style));
  }
  if (input.verbose) {
    const xfail = results.filter((result) => result.status === 'XFAIL');
    if (xfail.length > 0) {
      out.push('');
      out.push(style.bold(`Known failures that failed as expected (${xfail.length}):`));
      for (const result of xfail) out.push(`  XFAIL  ${result.id}${result.knownFailure ? `  ${style.dim(result.knownFailure)}` : ''}  ${style.dim(`(${result.reason ?? ''})`)}`);
    }
    const skipped = results.filter((result) => result.status === 'SKIP');
    if (skipped.length > 0) {
      out.push('');
      out.push(style.bold(`Skipped (${skipped.length}):`));
      for (const result of skipped) out.push(`  SKIP   ${result.id}  ${style.dim(result.reason ?? '')}`);
    }
  }
  for (const warning of input.warnings) out.push(style.yellow(`warning: ${warning}`));
  out.push('');
  const { counts } = summary;
  const parts = [
    `${counts.PASS} passed`,
    `${summary.failed} failed`,
    ...(counts.XFAIL > 0 ? [`${counts.XFAIL} known failures`] : []),
    ...(counts.XPASS > 0 ? [`${counts.XPASS} unexpectedly passing${input.allowUnexpectedPasses ? ' (allowed)' : ''}`] : []),
    ...(counts.SKIP > 0 ? [`${counts.SKIP} skipped`] : []),
  ];
  const kinds = (['TIMEOUT', 'CRASH', 'PROTOCOL_ERROR', 'ERROR'] as const).filter((kind) => counts[kind] > 0).map((kind) => `${counts[kind]} ${kind}`);
  const verdict = input.exitStatus === 0 ? style.green(style.bold('OK')) : style.red(style.bold('FAILED'));
  out.push(`${verdict}: ${summary.total} cases: ${parts.join(', ')}${kinds.length > 0 ? ` (of the failures: ${kinds.join(', ')})` : ''} in ${(input.durationMs / 1000).toFixed(1)} s`);
  return `${out.join('\n')}\n`;
}
