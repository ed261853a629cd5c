/**
 * Machine-readable reports: `--json FILE` (everything the runner knows, schema
 * `lsfs-conformance-report/1`) and `--junit FILE` (JUnit XML for CI systems: one `<testsuite>` per
 * category, one `<testcase>` per case; failures as `<failure>`, timeouts, crashes, protocol and
 * vector errors as `<error>`, skips and known failures as `<skipped>`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatDifference } from '../compare.js';
import { type CaseResult, FAILING_OUTCOMES, type HelloInfo, type Outcome, type RunSummary } from '../results.js';

export interface ReportInput {
  readonly testee: string;
  readonly hello: HelloInfo;
  readonly vectors: { readonly path: string; readonly generator: string };
  readonly results: readonly CaseResult[];
  readonly summary: RunSummary;
  readonly warnings: readonly string[];
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly exitStatus: number;
}

export const JSON_REPORT_SCHEMA = 'lsfs-conformance-report/1';

export function jsonReport(input: ReportInput): unknown {
  return {
    schema: JSON_REPORT_SCHEMA,
    startedAt: input.startedAt.toISOString(),
    durationMs: input.durationMs,
    testee: { command: input.testee, implementation: input.hello.implementation, profiles: input.hello.profiles, protocol: input.hello.protocol },
    vectors: input.vectors,
    exitStatus: input.exitStatus,
    summary: { total: input.summary.total, failed: input.summary.failed, unexpectedPasses: input.summary.unexpectedPasses, ...input.summary.counts },
    warnings: input.warnings,
    cases: input.results.map((result) => ({
      id: result.id,
      profiles: result.profiles,
      category: result.category,
      status: result.status,
      outcome: result.outcome,
      ...(result.reason === undefined ? {} : { reason: result.reason }),
      ...(result.knownFailure === undefined ? {} : { knownFailure: result.knownFailure }),
      durationMs: result.durationMs,
      requirements: result.requirements,
      differences: result.differences.map((difference) => ({
        path: difference.path,
        expected: difference.expected ?? null,
        actual: difference.actual ?? null,
        text: formatDifference(difference),
      })),
      violations: result.violations,
      stderr: result.stderr,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// JUnit XML

/** Text safe in XML 1.0: escaped, and without the characters XML cannot hold at all. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${xmlEscape(String(value))}"`)
    .join('');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function failureText(result: CaseResult): string {
  const lines: string[] = [];
  if (result.reason !== undefined) lines.push(result.reason);
  lines.push(...result.violations.map((violation) => `protocol: ${violation}`));
  lines.push(...result.differences.map(formatDifference));
  if (result.description !== '') lines.push('', result.description);
  return lines.join('\n');
}

function testcase(result: CaseResult): string {
  const open = `    <testcase${attributes({ classname: `lsfs.${result.category}`, name: result.id, time: seconds(result.durationMs) })}`;
  const body: string[] = [];
  const outcome = result.outcome;
  if (result.status === 'SKIP') {
    body.push(`      <skipped${attributes({ message: result.reason ?? 'skipped' })}/>`);
  } else if (result.status === 'XFAIL') {
    body.push(`      <skipped${attributes({ message: `known failure${result.knownFailure ? `: ${result.knownFailure}` : ''} (${outcome}: ${result.reason ?? ''})` })}/>`);
  } else if (result.status === 'XPASS') {
    body.push(`      <failure${attributes({ type: 'XPASS', message: 'listed as a known failure but passes: remove it from the known-failures file' })}/>`);
  } else if (outcome === 'FAIL') {
    const first = result.differences[0];
    body.push(`      <failure${attributes({ type: 'FAIL', message: first === undefined ? (result.reason ?? 'failed') : formatDifference(first) })}>${xmlEscape(failureText(result))}</failure>`);
  } else if (FAILING_OUTCOMES.has(outcome)) {
    body.push(`      <error${attributes({ type: outcome, message: (result.reason ?? outcome).split('\n')[0]! })}>${xmlEscape(failureText(result))}</error>`);
  }
  if (result.stderr.length > 0) body.push(`      <system-err>${xmlEscape(result.stderr.join('\n'))}</system-err>`);
  return body.length === 0 ? `${open}/>` : `${open}>\n${body.join('\n')}\n    </testcase>`;
}

export function junitReport(input: ReportInput): string {
  const byCategory = new Map<string, CaseResult[]>();
  for (const result of input.results) {
    const list = byCategory.get(result.category) ?? [];
    list.push(result);
    byCategory.set(result.category, list);
  }
  const count = (results: readonly CaseResult[]) => ({
    tests: results.length,
    failures: results.filter((result) => result.outcome === 'FAIL' && result.status !== 'XFAIL').length + results.filter((result) => result.status === 'XPASS').length,
    errors: results.filter((result) => result.status !== 'XFAIL' && result.outcome !== 'FAIL' && FAILING_OUTCOMES.has(result.outcome as Outcome)).length,
    skipped: results.filter((result) => result.status === 'SKIP' || result.status === 'XFAIL').length,
    time: seconds(results.reduce((sum, result) => sum + result.durationMs, 0)),
  });
  const suites = [...byCategory.keys()].sort().map((category) => {
    const results = byCategory.get(category)!;
    return [`  <testsuite${attributes({ name: category, ...count(results), timestamp: input.startedAt.toISOString().replace(/\.\d+Z$/, '') })}>`, ...results.map(testcase), '  </testsuite>'].join('\n');
  });
  const all = count(input.results);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: `lsfs-conformance: ${input.hello.implementation}`, tests: all.tests, failures: all.failures, errors: all.errors, skipped: all.skipped, time: seconds(input.durationMs) })}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

export async function writeReportFile(path: string, contents: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, contents);
}
