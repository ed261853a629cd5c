/**
 * The conformance runner end to end (conformance/bin/lsfs-conformance.js, built into dist/): the
 * reference testee passes the fixture vectors (test/conformance/fixtures/vectors, made by
 * make-vectors.mjs); a testee that returns wrong payloads, crashes, hangs or breaks the protocol
 * fails the cases concerned with a reason while the run goes on; known failures, reports, exit
 * statuses and options behave as conformance/README.md says.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { FIXTURE_VECTORS, REAL_VECTORS, ROOT, broken, parseXml, runRunner, type XmlElement } from './support.js';

interface JsonCase {
  id: string;
  status: string;
  outcome: string;
  reason?: string;
  differences: { path: string; text: string }[];
  violations: string[];
  stderr: string[];
}
interface JsonReport {
  schema: string;
  exitStatus: number;
  summary: Record<string, number>;
  warnings: string[];
  testee: { implementation: string; profiles: string[] };
  cases: JsonCase[];
}

let dir: string;
const FIXTURE_CASES = 17;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lsfs-conformance-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function report(name: string): Promise<JsonReport> {
  return JSON.parse(await readFile(join(dir, name), 'utf8')) as JsonReport;
}

function byId(json: JsonReport): Map<string, JsonCase> {
  return new Map(json.cases.map((c) => [c.id, c]));
}

/** True once `pid` has exited (a zombie not yet reaped by init counts as gone); waits up to 5 s. */
async function isGone(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (/^\d+ \(.*\) Z/.test(stat)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

function hasPython(): boolean {
  try {
    execFileSync('python3', ['-c', 'import sys; assert sys.version_info >= (3, 11)'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('lsfs-conformance', () => {
  it('passes every fixture case with the reference testee (the default)', async () => {
    const run = await runRunner(['--json', join(dir, 'reference.json'), '--jobs', '2']);
    expect(run.stderr).toBe('');
    expect(run.status, run.stdout).toBe(0);
    const json = await report('reference.json');
    expect(json.schema).toBe('lsfs-conformance-report/1');
    expect(json.summary.total).toBe(FIXTURE_CASES);
    expect(json.summary.PASS).toBe(FIXTURE_CASES);
    expect(json.testee.profiles).toEqual(['reader', 'writer', 'raft-log']);
    expect(run.stdout).toMatch(/^OK: 17 cases: 17 passed, 0 failed/m);
    // the table of categories
    expect(run.stdout).toMatch(/^valid\s+4\s+0\s+0\s+0\s+0\s+4$/m);
  });

  it('catches a testee that returns wrong payload bytes, with a field-level diff', async () => {
    const run = await runRunner(['--testee', broken('flip-payload'), '--json', join(dir, 'flip.json')]);
    expect(run.status).toBe(1);
    const json = await report('flip.json');
    const cases = byId(json);
    // every case that reads records with payload bytes fails; files without records still pass
    expect(cases.get('valid/five-records')!.status).toBe('FAIL');
    expect(cases.get('valid/multi-block')!.status).toBe('FAIL');
    expect(cases.get('valid/header-only')!.status).toBe('PASS');
    expect(cases.get('damage/file-magic')!.status).toBe('PASS');
    expect(cases.get('writer/records-and-syncs')!.status).toBe('PASS');
    const texts = cases.get('valid/five-records')!.differences.map((d) => d.text);
    expect(texts).toContainEqual(expect.stringMatching(/^strict\.records\[1\]\.sha256: expected "[0-9a-f]{64}", got "[0-9a-f]{64}"$/));
    expect(texts).toContainEqual(expect.stringMatching(/^strict\.records\[1\]\.hex: expected "[0-9a-f]+", got "[0-9a-f]+"$/));
    expect(run.stdout).toMatch(/^FAIL {2}valid\/five-records {2}\[reader\]$/m);
    expect(run.stdout).toMatch(/^ {4}strict\.records\[1\]\.sha256: expected/m);
  });

  it('reports a crash as CRASH with the testee stderr, restarts it and goes on', async () => {
    const run = await runRunner(['--testee', broken('crash', 'five-records'), '--json', join(dir, 'crash.json'), '--jobs', '1']);
    expect(run.status).toBe(1);
    const json = await report('crash.json');
    const crashed = byId(json).get('valid/five-records')!;
    expect(crashed.status).toBe('CRASH');
    expect(crashed.reason).toMatch(/exited with status 3/);
    expect(crashed.stderr).toContain('broken-testee: simulated crash');
    expect(json.summary.PASS).toBe(FIXTURE_CASES - 1);
    expect(run.stdout).toMatch(/broken-testee: simulated crash/);
  });

  it('times out a hanging testee, kills its process group and restarts it for the next case', async () => {
    const started = Date.now();
    const run = await runRunner(['--testee', broken('hang', 'five-records'), '--timeout-ms', '500', '--jobs', '1', '--json', join(dir, 'hang.json')]);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(run.status).toBe(1);
    const json = await report('hang.json');
    const hung = byId(json).get('valid/five-records')!;
    expect(hung.status).toBe('TIMEOUT');
    expect(hung.reason).toMatch(/no answer to strict within 500 ms/);
    expect(json.summary.PASS).toBe(FIXTURE_CASES - 1);
    // the child the hanging testee started is gone too (the whole process group was killed)
    const pid = Number(/child pid (\d+)/.exec(hung.stderr.join('\n'))?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(await isGone(pid)).toBe(true);
  });

  it('turns non-JSON lines, wrong ids, missing fields and stray stdout into protocol errors', async () => {
    const faults = ['garbage', 'wrong-id', 'missing-field', 'noisy'] as const;
    const runs = await Promise.all(faults.map((fault) => runRunner(['--testee', broken(fault, 'five-records'), '--filter', 'valid/', '--json', join(dir, `${fault}.json`), '--jobs', '1'])));
    const reasons: Record<string, RegExp> = {
      garbage: /answer to strict is not JSON: "this is not JSON"/,
      'wrong-id': /answer to strict has id \d+, expected \d+/,
      'missing-field': /strict\.tail is missing/,
      noisy: /answer to strict is not JSON: "log: reading a file"/,
    };
    for (const [i, fault] of faults.entries()) {
      expect(runs[i]!.status, fault).toBe(1);
      const json = await report(`${fault}.json`);
      const failed = byId(json).get('valid/five-records')!;
      expect(failed.status, fault).toBe('PROTOCOL_ERROR');
      expect(failed.reason, fault).toMatch(reasons[fault]!);
      // the other cases ran normally after the testee was restarted (or kept, for a bad field)
      expect(json.summary.PASS, fault).toBe(3);
    }
  });

  it('marks known failures XFAIL, flags XPASS and stale entries', async () => {
    const list = join(dir, 'known.json');
    await writeFile(
      list,
      JSON.stringify([
        { id: 'valid/five-records', reason: 'payloads are flipped' },
        'valid/multi-block',
        'valid/base-index',
        { id: 'valid/header-only', reason: 'listed, but passes' },
        'no/such-case',
      ]),
    );
    const args = ['--testee', broken('flip-payload'), '--filter', 'valid/', '--known-failures', list];
    const strict = await runRunner([...args, '--json', join(dir, 'known.json.out')]);
    expect(strict.status).toBe(1);
    const json = await report('known.json.out');
    const cases = byId(json);
    expect(cases.get('valid/five-records')!.status).toBe('XFAIL');
    expect(cases.get('valid/header-only')!.status).toBe('XPASS');
    expect(json.summary.failed).toBe(0);
    expect(json.summary.unexpectedPasses).toBe(1);
    expect(json.warnings).toContainEqual(expect.stringMatching(/no\/such-case names no case/));
    expect(strict.stdout).toMatch(/XPASS \(unexpectedly passing\) {2}valid\/header-only/);
    expect(strict.stdout).toMatch(/remove it from the list/);

    const allowed = await runRunner([...args, '--allow-unexpected-passes']);
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toMatch(/1 unexpectedly passing \(allowed\)/);

    // without the passing entry the run is clean: the flipped payloads are all known failures
    await writeFile(list, JSON.stringify({ 'valid/five-records': 'flipped', 'valid/multi-block': 'flipped', 'valid/base-index': 'flipped' }));
    const clean = await runRunner(args);
    expect(clean.status).toBe(0);
    expect(clean.stdout).toMatch(/OK: 4 cases: 1 passed, 0 failed, 3 known failures/);
  });

  it('writes a well-formed JUnit XML report that matches the JSON report', async () => {
    const junit = join(dir, 'report.xml');
    const run = await runRunner(['--testee', broken('crash', 'block-magic'), '--junit', junit, '--json', join(dir, 'junit.json')]);
    expect(run.status).toBe(1);
    const root = parseXml(await readFile(junit, 'utf8'));
    expect(root.name).toBe('testsuites');
    const testcases = root.children.flatMap((suite: XmlElement) => {
      expect(suite.name).toBe('testsuite');
      expect(Number(suite.attributes.tests)).toBe(suite.children.length);
      return suite.children;
    });
    expect(testcases).toHaveLength(FIXTURE_CASES);
    expect(Number(root.attributes.tests)).toBe(FIXTURE_CASES);
    const json = await report('junit.json');
    const crashed = testcases.find((testcase) => testcase.attributes.name === 'damage/block-magic')!;
    expect(crashed.attributes.classname).toBe('lsfs.damage');
    const error = crashed.children.find((child) => child.name === 'error')!;
    expect(error.attributes.type).toBe('CRASH');
    expect(error.text).toMatch(/exited with status 3/);
    expect(crashed.children.find((child) => child.name === 'system-err')!.text).toMatch(/simulated crash/);
    expect(Number(root.attributes.errors)).toBe(json.summary.CRASH);
    expect(Number(root.attributes.failures)).toBe(json.summary.FAIL);
    const passed = testcases.filter((testcase) => testcase.children.length === 0);
    expect(passed).toHaveLength(json.summary.PASS!);
  });

  it('skips the cases of profiles the testee does not claim, and --profile selects profiles', async () => {
    const readerOnly = await runRunner(['--testee', broken('profiles=reader'), '--json', join(dir, 'reader-only.json')]);
    expect(readerOnly.status).toBe(0);
    const json = await report('reader-only.json');
    expect(json.summary.SKIP).toBe(5);
    expect(byId(json).get('writer/empty')!.reason).toBe('the testee does not claim profile writer');
    expect(readerOnly.stdout).toMatch(/12 passed, 0 failed, 5 skipped/);

    const writerOnly = await runRunner(['--profile', 'writer', '--list']);
    expect(writerOnly.status).toBe(0);
    expect(writerOnly.stdout.trim().split('\n').map((line) => line.split('\t')[0])).toEqual([
      'writer/empty',
      'writer/records-and-syncs',
      'writer/refuse-too-large',
      'writer/refuse-block-size',
      'writer/index-overflow',
    ]);
  });

  it('selects cases by substring or glob with --filter', async () => {
    const ids = async (...filters: string[]) => {
      const run = await runRunner(['--list', ...filters.flatMap((filter) => ['--filter', filter])]);
      expect(run.status).toBe(0);
      return run.stdout.trim().split('\n').map((line) => line.split('\t')[0]);
    };
    expect(await ids('torn')).toEqual(['torn/cut-in-slice', 'torn/cut-in-multi-block-record', 'torn/zeroed-tail']);
    expect(await ids('valid/*-*')).toEqual(['valid/header-only', 'valid/five-records', 'valid/multi-block', 'valid/base-index']);
    expect(await ids('*magic', 'writer/empty')).toEqual(['damage/block-magic', 'damage/file-magic', 'writer/empty']);
  });

  it('exits with status 2 on usage errors and on a testee that does not start', async () => {
    const cases: [string[], RegExp][] = [
      [['--no-such-option'], /unknown option/],
      [['--profile', 'raft-logs'], /unknown profile raft-logs/],
      [['--profile', 'raft-log'], /no case .* matches/],
      [['--vectors', join(dir, 'missing')], /cannot read the vector manifest/],
      [['--filter', 'nothing-matches-this'], /no case .* matches/],
      [['--timeout-ms', '0'], /must be a positive integer/],
      [['--testee', join(dir, 'no-such-testee')], /the testee did not start/],
      [['--testee', broken('silent-hello'), '--timeout-scale', '0.05'], /did not start.*no answer to hello within 500 ms/s],
      [['--testee', '"unterminated'], /unterminated double quote/],
      [['--known-failures', join(dir, 'missing.json')], /cannot read the known-failures file/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runRunner(args)));
    for (const [i, [args, message]] of cases.entries()) {
      expect(runs[i]!.status, args.join(' ')).toBe(2);
      expect(runs[i]!.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('refuses a manifest with invalid cases (exit status 2)', async () => {
    const vectors = join(dir, 'bad-vectors');
    await rm(vectors, { recursive: true, force: true });
    await mkdir(vectors, { recursive: true });
    const manifest = JSON.parse(await readFile(join(FIXTURE_VECTORS, 'manifest.json'), 'utf8')) as { cases: Record<string, unknown>[] };
    delete manifest.cases[0]!.sha256;
    manifest.cases[1]!.id = 'Not A Valid Id';
    await writeFile(join(vectors, 'manifest.json'), JSON.stringify(manifest));
    const run = await runRunner(['--vectors', vectors]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/cases\[1\]\.id must be a string of lowercase letters/);
  });

  it.skipIf(!hasPython())('passes the fixture vectors with the Python example testee', async () => {
    const run = await runRunner(['--testee', 'python3 conformance/examples/python/lsfs_testee.py', '--jobs', '2']);
    expect(run.status, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/OK: 17 cases: 17 passed/);
  });

  it('runs the Kaitai testee on the reader cases (it now needs no known failures)', async () => {
    const run = await runRunner(['--testee', `${process.execPath} ${join(ROOT, 'dist/conformance/testees/kaitai.js')}`, '--known-failures', join(ROOT, 'test/conformance/fixtures/kaitai-known-failures.json'), '--json', join(dir, 'kaitai.json')]);
    expect(run.status, run.stdout).toBe(0);
    const json = await report('kaitai.json');
    expect(json.summary).toMatchObject({ PASS: 12, XFAIL: 0, SKIP: 5, failed: 0 });
  });
});

/** The raft-log cases of test-vectors/ (empty before the manifest exists). */
const RAFT_CASES: string[] = existsSync(join(REAL_VECTORS, 'manifest.json'))
  ? (JSON.parse(readFileSync(join(REAL_VECTORS, 'manifest.json'), 'utf8')) as { cases: { id: string; profile: string }[] }).cases.filter((c) => c.profile === 'raft-log').map((c) => c.id)
  : [];

/** The golden vectors of test-vectors/ with the testees of this repository and their known-failures lists. */
describe.skipIf(!existsSync(join(REAL_VECTORS, 'manifest.json')))('lsfs-conformance on test-vectors/', () => {
  it('passes with the reference testee and its known failures (npm run conformance)', async () => {
    const run = await runRunner(['--json', join(dir, 'real-reference.json')], 120_000, true);
    expect(run.status, run.stdout).toBe(0);
    const json = await report('real-reference.json');
    expect(json.summary.failed).toBe(0);
    expect(json.summary.unexpectedPasses).toBe(0);
    expect(json.warnings).toEqual([]);
  });

  it.skipIf(!hasPython())('passes every reader and writer case with the Python example (it does not claim raft-log)', async () => {
    const run = await runRunner(['--testee', 'python3 conformance/examples/python/lsfs_testee.py', '--jobs', '2'], 180_000, true);
    expect(run.status, run.stdout).toBe(0);
    const [, total, passed, skipped] = /^OK: (\d+) cases: (\d+) passed, 0 failed, (\d+) skipped/m.exec(run.stdout) ?? [];
    expect(Number(passed) + Number(skipped)).toBe(Number(total));
    expect(Number(skipped)).toBe(RAFT_CASES.length);
  });

  it('passes every reader case with the Kaitai testee, its known-failures list empty', async () => {
    const run = await runRunner(['--testee', `${process.execPath} ${join(ROOT, 'dist/conformance/testees/kaitai.js')}`, '--known-failures', join(ROOT, 'conformance/known-failures/kaitai.json'), '--json', join(dir, 'real-kaitai.json')], 120_000, true);
    expect(run.status, run.stdout).toBe(0);
    const json = await report('real-kaitai.json');
    expect(json.warnings).toEqual([]);
    expect(json.summary.XFAIL).toBe(0);
    expect(json.summary.failed).toBe(0);
  });
});

/**
 * The raft-log profile on test-vectors/ (covers RLG-010, RLG-011, RLG-021, RLG-023 through the
 * runner): the reference testee (LsfsRaftLog on the real file system) passes every trace, including
 * the kills; testees with a Raft bug fail exactly the traces that show it, at the step that shows it.
 */
describe.skipIf(RAFT_CASES.length === 0)('lsfs-conformance, raft-log profile', () => {
  const raftRun = async (name: string, testee?: string): Promise<{ run: Awaited<ReturnType<typeof runRunner>>; json: JsonReport }> => {
    const run = await runRunner([...(testee === undefined ? [] : ['--testee', testee]), '--profile', 'raft-log', '--json', join(dir, name), '--jobs', '4'], 120_000, true);
    return { run, json: await report(name) };
  };

  it('passes every raft-log case with the reference testee, kills included', async () => {
    const { run, json } = await raftRun('raft-reference.json');
    expect(run.status, run.stdout).toBe(0);
    expect(json.summary.total).toBe(RAFT_CASES.length);
    expect(json.summary.PASS).toBe(RAFT_CASES.length);
    expect(RAFT_CASES).toContain('raft/kill/after-every-change');
    expect(run.stdout).toMatch(new RegExp(`^OK: ${RAFT_CASES.length} cases: ${RAFT_CASES.length} passed, 0 failed`, 'm'));
  });

  it('fails a testee that forgets its vote on restart (RLG-021, RLG-011), at the first getVotedFor after a restart or kill', async () => {
    const { run, json } = await raftRun('raft-forget-vote.json', broken('forget-vote'));
    expect(run.status).toBe(1);
    const cases = byId(json);
    for (const id of ['raft/term-vote/one-vote-per-term', 'raft/term-vote/set-term', 'raft/restart/after-every-change', 'raft/kill/after-every-change']) {
      expect(cases.get(id)!.status, id).toBe('FAIL');
    }
    expect(cases.get('raft/term-vote/one-vote-per-term')!.differences.map((d) => d.text)).toEqual([
      expect.stringMatching(/^steps\[\d+\]\.getVotedFor\.result: expected "raft:\/\/n1", got null \(the trace stops at step \d+ of \d+\)$/),
    ]);
    // The kill really replaced the testee process: its stderr shows the runner's marker.
    expect(cases.get('raft/kill/after-every-change')!.stderr).toContain('--- killed by the runner (SIGKILL), restarted ---');
    // Traces that never vote are unaffected.
    for (const id of ['raft/insert/conflict-truncates', 'raft/snapshot/refusals', 'raft/append/fields']) expect(cases.get(id)!.status, id).toBe('PASS');
  });

  it('fails a testee that does not truncate on insert (RLG-023), and only the traces with a conflict', async () => {
    const { run, json } = await raftRun('raft-no-truncate.json', broken('no-truncate'));
    expect(run.status).toBe(1);
    const cases = byId(json);
    const conflict = cases.get('raft/insert/conflict-truncates')!;
    expect(conflict.status).toBe('FAIL');
    expect(conflict.differences[0]!.text).toMatch(/^steps\[\d+\]\.insert\.result\./);
    for (const id of ['raft/term-vote/one-vote-per-term', 'raft/insert/at-next-index', 'raft/snapshot/inside-log', 'raft/empty/new-log']) expect(cases.get(id)!.status, id).toBe('PASS');
  });

  it('skips the raft-log cases of a testee that does not claim the profile', async () => {
    const run = await runRunner(['--testee', broken('profiles=reader,writer'), '--filter', 'raft/', '--json', join(dir, 'raft-skip.json')], 60_000, true);
    expect(run.status).toBe(0);
    const json = await report('raft-skip.json');
    expect(json.summary.SKIP).toBe(RAFT_CASES.length);
  });
});
