/**
 * `lsfs-conformance`: runs the golden test vectors against an LSFS implementation that speaks
 * conformance/PROTOCOL.md, and reports. Exit status: 0 when every case passes (known failures
 * allowed), 1 when a case fails or a known failure unexpectedly passes, 2 on usage errors (bad
 * options, an unreadable manifest, a testee that does not start).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { type KnownFailures, KnownFailuresError, loadKnownFailures } from './known-failures.js';
import { ManifestError, caseFilter, loadManifest } from './manifest.js';
import { PROFILE_MODULES } from './profiles/index.js';
import { jsonReport, junitReport, writeReportFile } from './report/files.js';
import { Progress, styleFor, terminalReport } from './report/terminal.js';
import { type CaseResult, FAILING_OUTCOMES, type Outcome, exitStatusOf, summarize } from './results.js';
import { formatDifference } from './compare.js';
import { StartError, runCases } from './run.js';
import { ShellWordsError, joinShellWords, splitShellWords } from './shell-words.js';
import { killAllTestees } from './testee-process.js';

export const EXIT_OK = 0;
export const EXIT_FAILURES = 1;
export const EXIT_USAGE = 2;

/** The repository root, from dist/conformance/runner/main.js (or conformance/runner/main.ts). */
function repositoryRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '..', '..', '..'), resolve(here, '..', '..')];
  return candidates.find((candidate) => existsSync(join(candidate, 'package.json')) && existsSync(join(candidate, 'conformance'))) ?? candidates[0]!;
}

/** The reference testee, compiled next to this runner. */
export function referenceTesteeCommand(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [process.execPath, resolve(here, '..', 'testees', 'reference.js')];
}

/** The known failures of the reference testee, when the file exists. */
function defaultKnownFailures(): string | undefined {
  const path = join(repositoryRoot(), 'conformance', 'known-failures', 'reference.json');
  return existsSync(path) ? path : undefined;
}

function defaultVectorsDir(): string {
  const local = resolve('test-vectors');
  return existsSync(local) ? local : join(repositoryRoot(), 'test-vectors');
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) throw new InvalidArgumentError('must be a positive integer');
  return number;
}

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('must be a positive number');
  return number;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface CliOptions {
  testee?: string;
  vectors?: string;
  profile?: string;
  filter: string[];
  json?: string;
  junit?: string;
  knownFailures?: string;
  allowUnexpectedPasses: boolean;
  timeoutMs: number;
  timeoutScale: number;
  jobs: number;
  keepTemp: boolean;
  list: boolean;
  verbose: boolean;
  progress: boolean;
  writeFailures?: string;
}

function buildCommand(): Command {
  const defaultJobs = Math.max(1, Math.min(availableParallelism(), 8));
  return new Command('lsfs-conformance')
    .description('Run the LSFS golden test vectors against an implementation that speaks conformance/PROTOCOL.md.')
    .option('--testee <command>', 'command line of the implementation under test (default: the reference engine)')
    .option('--vectors <dir>', 'directory holding manifest.json (default: test-vectors/)')
    .option('--profile <list>', `comma-separated profiles to run (${[...PROFILE_MODULES.keys()].join(', ')}; default: all the testee claims)`)
    .option('--filter <pattern>', 'run only cases whose id contains this text, or matches this glob (* and ?); repeatable', collect, [])
    .option('--json <file>', 'write the full report as JSON')
    .option('--junit <file>', 'write a JUnit XML report (for CI systems)')
    .option('--known-failures <file>', 'JSON list of case ids expected to fail (default with the reference testee and vectors: conformance/known-failures/reference.json)')
    .option('--allow-unexpected-passes', 'a listed known failure that passes does not fail the run', false)
    .addOption(new Option('--timeout-ms <n>', 'time limit of each request of a case, in ms').argParser(positiveInteger).default(10_000))
    .addOption(new Option('--timeout-scale <x>', 'multiply every time limit (slow builds, interpreters)').argParser(positiveNumber).default(1))
    .addOption(new Option('--jobs <n>', 'testee processes run in parallel').argParser(positiveInteger).default(defaultJobs))
    .option('--keep-temp', 'keep the temporary directory with the files of every case', false)
    .option('--list', 'list the selected cases and exit', false)
    .option('--verbose', 'also list known failures and skipped cases', false)
    .option('--no-progress', 'no progress bar')
    .option('--write-failures <file>', 'write the ids of the failing cases (with reasons) as a known-failures file')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .showHelpAfterError('(see lsfs-conformance --help)');
}

function usage(message: string): number {
  process.stderr.write(`lsfs-conformance: ${message}\n`);
  return EXIT_USAGE;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const command = buildCommand();
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    throw error;
  }
  const options = command.opts<CliOptions>();
  if (command.args.length > 0) return usage(`unexpected argument ${JSON.stringify(command.args[0])}`);

  let testee: string[];
  try {
    testee = options.testee === undefined ? referenceTesteeCommand() : splitShellWords(options.testee);
  } catch (error) {
    if (error instanceof ShellWordsError) return usage(`--testee: ${error.message}`);
    throw error;
  }
  if (testee.length === 0) return usage('--testee: the command line is empty');

  let profiles: string[] | undefined;
  if (options.profile !== undefined) {
    profiles = options.profile.split(',').map((name) => name.trim()).filter((name) => name !== '');
    const unknown = profiles.filter((name) => !PROFILE_MODULES.has(name));
    if (unknown.length > 0) return usage(`--profile: unknown profile ${unknown.join(', ')} (known: ${[...PROFILE_MODULES.keys()].join(', ')})`);
  }

  const vectorsDir = resolve(options.vectors ?? defaultVectorsDir());
  let manifest;
  try {
    manifest = await loadManifest(vectorsDir);
  } catch (error) {
    if (error instanceof ManifestError) return usage(error.message);
    throw error;
  }
  const structural: string[] = [];
  for (const vectorCase of manifest.cases) {
    for (const profile of vectorCase.profiles) {
      const module = PROFILE_MODULES.get(profile);
      if (module !== undefined) structural.push(...module.validate(vectorCase, manifest).map((problem) => `case ${vectorCase.id}: ${problem}`));
    }
  }
  if (structural.length > 0) return usage(`${manifest.path} has invalid cases:\n  ${structural.slice(0, 20).join('\n  ')}`);

  let knownFailures: KnownFailures = new Map();
  // The reference testee comes with its own list (the engine's known deviations from the spec).
  const knownFailuresPath = options.knownFailures ?? (options.testee === undefined && options.vectors === undefined ? defaultKnownFailures() : undefined);
  if (knownFailuresPath !== undefined) {
    try {
      knownFailures = await loadKnownFailures(knownFailuresPath);
    } catch (error) {
      if (error instanceof KnownFailuresError) return usage(error.message);
      throw error;
    }
  }

  const matches = caseFilter(options.filter);
  const selected = manifest.cases.filter((vectorCase) => matches(vectorCase.id) && (profiles === undefined || vectorCase.profiles.every((profile) => profiles!.includes(profile))));
  if (selected.length === 0) return usage(`no case of ${manifest.path} matches the --filter / --profile given`);
  if (options.list) {
    for (const vectorCase of selected) process.stdout.write(`${vectorCase.id}\t${vectorCase.profiles.join(',')}\t${vectorCase.description}\n`);
    return EXIT_OK;
  }

  const testeeDisplay = joinShellWords(testee);
  const progress = new Progress(options.progress && process.stderr.isTTY === true);
  const startedAt = new Date();
  const onSignal = (): void => {
    progress.stop();
    killAllTestees();
    process.stderr.write('lsfs-conformance: interrupted\n');
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', killAllTestees);

  let run;
  try {
    run = await runCases({
      testee,
      manifest,
      cases: selected,
      knownFailures,
      timeoutMs: options.timeoutMs,
      timeoutScale: options.timeoutScale,
      jobs: options.jobs,
      keepTemp: options.keepTemp,
      onStarted: (_hello, runnable) => progress.start(runnable),
      onCaseDone: (result) => progress.caseDone(result),
    });
  } catch (error) {
    progress.stop();
    if (error instanceof StartError) return usage(`the testee did not start (${testeeDisplay}): ${error.message}`);
    throw error;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  progress.stop();
  const durationMs = Date.now() - startedAt.getTime();
  const summary = summarize(run.results);
  const exitStatus = exitStatusOf(summary, options.allowUnexpectedPasses);
  const warnings = [...run.warnings];
  if (run.tempRoot !== undefined) warnings.push(`case files kept in ${run.tempRoot}`);
  if (summary.counts.SKIP === summary.total) warnings.push('every case was skipped: does the testee claim the profiles in its hello?');

  process.stdout.write(
    terminalReport(
      {
        testee: testeeDisplay,
        hello: run.hello,
        vectors: `${manifest.path}${manifest.generator === '' ? '' : ` (${manifest.generator})`}`,
        knownFailures: knownFailuresPath === undefined ? undefined : `${knownFailuresPath} (${knownFailures.size} cases)`,
        results: run.results,
        summary,
        warnings,
        durationMs,
        exitStatus,
        allowUnexpectedPasses: options.allowUnexpectedPasses,
        verbose: options.verbose,
      },
      styleFor(process.stdout),
    ),
  );
  const reportInput = { testee: testeeDisplay, hello: run.hello, vectors: { path: manifest.path, generator: manifest.generator }, results: run.results, summary, warnings, startedAt, durationMs, exitStatus };
  if (options.json !== undefined) await writeReportFile(options.json, `${JSON.stringify(jsonReport(reportInput), null, 2)}\n`);
  if (options.junit !== undefined) await writeReportFile(options.junit, junitReport(reportInput));
  if (options.writeFailures !== undefined) {
    const failing = run.results.filter((result) => FAILING_OUTCOMES.has(result.outcome as Outcome));
    const list = failing.map((result) => ({ id: result.id, reason: result.knownFailure || failureSummary(result) }));
    await writeReportFile(options.writeFailures, `${JSON.stringify(list, null, 2)}\n`);
  }
  return exitStatus;
}

/** One line on why a case failed: the steps that differ and the first difference. */
function failureSummary(result: CaseResult): string {
  if (result.outcome !== 'FAIL') return `${result.outcome}: ${(result.reason ?? '').split('\n')[0]}`;
  const steps = [...new Set(result.differences.map((difference) => difference.path.split('.')[0]!))];
  const first = result.differences[0];
  const text = first === undefined ? '' : `: ${formatDifference(first)}`;
  const line = `differs in ${steps.join(', ')}${text}`;
  return line.length > 240 ? `${line.slice(0, 239)}…` : line;
}

/** Entry point of the launcher (conformance/bin/lsfs-conformance.js). */
export async function runCli(): Promise<void> {
  let status: number;
  try {
    status = await main();
  } catch (error) {
    killAllTestees();
    process.stderr.write(`lsfs-conformance: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    status = EXIT_USAGE;
  }
  process.exitCode = status;
}
