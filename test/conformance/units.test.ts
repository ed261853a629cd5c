/** Units of the conformance runner: command-line splitting, case selection, known failures, diffs, reports. */
import { describe, expect, it } from 'vitest';
import { type Difference, diffJson, diffRecords, formatDifference } from '../../conformance/runner/compare.js';
import { KnownFailuresError, parseKnownFailures } from '../../conformance/runner/known-failures.js';
import { ManifestError, caseFilter, parseManifest } from '../../conformance/runner/manifest.js';
import { diffExact, raftLogProfile } from '../../conformance/runner/profiles/raft-log.js';
import { decodeRaftArguments, encodeRaftResult } from '../../conformance/testees/raft-sessions.js';
import { junitReport, xmlEscape } from '../../conformance/runner/report/files.js';
import { categoryTable } from '../../conformance/runner/report/terminal.js';
import { type CaseResult, exitStatusOf, summarize } from '../../conformance/runner/results.js';
import { applyKnownFailures } from '../../conformance/runner/run.js';
import { ShellWordsError, joinShellWords, splitShellWords } from '../../conformance/runner/shell-words.js';
import { parseXml } from './support.js';

describe('splitShellWords', () => {
  it('splits like a POSIX shell, without expansion', () => {
    expect(splitShellWords('python3 conformance/examples/python/lsfs_testee.py')).toEqual(['python3', 'conformance/examples/python/lsfs_testee.py']);
    expect(splitShellWords(`  a   'b c'  "d \\"e\\" $HOME" f\\ g ''  `)).toEqual(['a', 'b c', 'd "e" $HOME', 'f g', '']);
    expect(splitShellWords(`x'y'"z"`)).toEqual(['xyz']);
    expect(splitShellWords(`"a\\b" 'c\\d'`)).toEqual(['a\\b', 'c\\d']);
    expect(splitShellWords('*.py ~/x')).toEqual(['*.py', '~/x']);
    expect(splitShellWords('')).toEqual([]);
  });

  it('rejects unterminated quotes and a trailing backslash', () => {
    expect(() => splitShellWords(`a 'b`)).toThrow(ShellWordsError);
    expect(() => splitShellWords(`a "b`)).toThrow(ShellWordsError);
    expect(() => splitShellWords('a \\')).toThrow(ShellWordsError);
  });

  it('joins words back into a command line that splits the same', () => {
    const words = ['node', '/a b/c.js', "it's", 'x'];
    expect(splitShellWords(joinShellWords(words))).toEqual(words);
  });
});

describe('caseFilter', () => {
  it('matches substrings, or whole ids with * and ? globs', () => {
    const ids = ['valid/one-record', 'valid/block-size/512', 'damaged/torn/cut-1', 'writer/refuse/block-size-0'];
    const select = (...patterns: string[]) => ids.filter(caseFilter(patterns));
    expect(select()).toEqual(ids);
    expect(select('block-size')).toEqual(['valid/block-size/512', 'writer/refuse/block-size-0']);
    expect(select('valid/*')).toEqual(['valid/one-record', 'valid/block-size/512']);
    expect(select('*/cut-?')).toEqual(['damaged/torn/cut-1']);
    expect(select('valid/*', 'writer')).toEqual(['valid/one-record', 'valid/block-size/512', 'writer/refuse/block-size-0']);
    expect(select('valid/one-*.x')).toEqual([]);
  });
});

describe('parseManifest', () => {
  const base = { schema: 'lsfs-vectors/1', formatVersion: 1, generator: 'g', numberOfCases: 1 };
  it('accepts the manifest shape and derives profiles', () => {
    const manifest = parseManifest({ ...base, cases: [{ id: 'valid/x', profile: 'reader', description: 'd', requirements: ['RSF-001'], flags: [] }] }, '/m.json', '/');
    expect(manifest.cases[0]).toMatchObject({ id: 'valid/x', profiles: ['reader'], requirements: ['RSF-001'] });
  });

  it('rejects a wrong schema, bad or duplicate ids and a wrong case count', () => {
    expect(() => parseManifest({ ...base, schema: 'other', cases: [] }, '/m.json', '/')).toThrow(/"schema"/);
    expect(() => parseManifest({ ...base, cases: [{ id: 'A', profile: 'reader' }] }, '/m.json', '/')).toThrow(/cases\[0\]\.id/);
    expect(() =>
      parseManifest(
        {
          ...base,
          numberOfCases: 2,
          cases: [
            { id: 'a', profile: 'reader' },
            { id: 'a', profile: 'reader' },
          ],
        },
        '/m.json',
        '/',
      ),
    ).toThrow(/appears twice/);
    expect(() => parseManifest({ ...base, numberOfCases: 5, cases: [] }, '/m.json', '/')).toThrow(ManifestError);
  });
});

describe('parseKnownFailures', () => {
  it('accepts ids, {id, reason} objects, an id → reason map, and {"cases": ...}', () => {
    expect([...parseKnownFailures(['a', { id: 'b', reason: 'why' }], 'f')]).toEqual([
      ['a', ''],
      ['b', 'why'],
    ]);
    expect([...parseKnownFailures({ a: 'x', b: 'y' }, 'f')]).toEqual([
      ['a', 'x'],
      ['b', 'y'],
    ]);
    expect([...parseKnownFailures({ cases: ['a'], comment: 'ignored' }, 'f')]).toEqual([['a', '']]);
  });

  it('rejects duplicates and entries that are not ids', () => {
    expect(() => parseKnownFailures(['a', 'a'], 'f')).toThrow(KnownFailuresError);
    expect(() => parseKnownFailures([3], 'f')).toThrow(/case ids/);
    expect(() => parseKnownFailures('a', 'f')).toThrow(/JSON array/);
  });
});

describe('diffs', () => {
  it('names the field that differs, e.g. strict.error.offset', () => {
    const out: Difference[] = [];
    diffJson('strict.error', { code: 'CHECKSUM_MISMATCH', offset: 4096 }, { code: 'CHECKSUM_MISMATCH', offset: 4128, message: 'extra fields are ignored' }, out);
    expect(out.map(formatDifference)).toEqual(['strict.error.offset: expected 4096, got 4128']);
  });

  it('compares null and objects, and array lengths', () => {
    const out: Difference[] = [];
    diffJson('strict.tail', { code: 'TORN_TAIL', offset: 90 }, null, out);
    diffJson('salvage.gaps', [{ code: 'BAD_MAGIC', offset: 1, length: 2 }], [], out);
    expect(out.map(formatDifference)).toEqual(['strict.tail: expected {"code":"TORN_TAIL","offset":90}, got null', 'salvage.gaps.length: expected 1, got 0']);
  });

  it('lists missing and extra record indexes, and requires hex to be absent above 4096 bytes', () => {
    const record = (index: string, hex?: string) => ({ index, type: '1', length: 1, sha256: 'a'.repeat(64), ...(hex === undefined ? {} : { hex }) });
    const out: Difference[] = [];
    diffRecords('strict.records', [record('0', '00'), record('1', '01'), record('2', '02')], [record('0', '00'), record('3', '03')], out);
    expect(out.map(formatDifference)).toEqual(['strict.records: expected 3 records, got 2; missing indexes 1, 2; extra index 3']);
    const hexOut: Difference[] = [];
    diffRecords('lookup', [record('0')], [record('0', '00')], hexOut);
    expect(hexOut.map(formatDifference)).toEqual(['lookup[0].hex: expected absent, got "00"']);
  });
});

describe('the raft-log profile', () => {
  const manifestOf = (steps: unknown[]) => parseManifest({ schema: 'lsfs-vectors/1', cases: [{ id: 'raft/x', profile: 'raft-log', parameters: { segmentBytes: 1024 }, steps }] }, '/m.json', '/');

  it('accepts call and kill steps, and names what is wrong with others', () => {
    const good = manifestOf([{ call: { method: 'start' }, expected: { result: null } }, { kill: true }, { session: 1, call: { method: 'read', args: { index: '1' } }, expected: { error: { code: 'CLOSED', offset: null } } }]);
    expect(raftLogProfile.validate(good.cases[0]!, good)).toEqual([]);
    const bad = manifestOf([
      { call: { method: 'compact' }, expected: { result: null } },
      { call: { method: 'setTerm', args: { trem: '1' } }, expected: { result: null } },
      { call: { method: 'getTerm' }, expected: { result: '0', error: { code: 'CLOSED', offset: null } } },
      { kill: 'yes' },
      { call: { method: 'getTerm' }, expected: { error: { code: 'CLOSED', offset: 0 } } },
    ]);
    expect(raftLogProfile.validate(bad.cases[0]!, bad)).toEqual([
      'steps[0].call.method "compact" is not a method of the raft-log profile',
      'steps[1].call.args has members setTerm does not take: trem',
      'steps[2].expected must hold exactly one of "result" and "error"',
      'steps[3] must be exactly {"kill": true} or a call step',
      'steps[4].expected.error must be {"code": string, "offset": null}',
    ]);
  });

  it('compares results exactly: missing and extra members, array lengths, null against a value', () => {
    const out: Difference[] = [];
    diffExact('steps[3].read.result', { index: '1', term: '2', serial: null }, { index: '1', term: '3', leaderId: null }, out);
    diffExact('steps[4].appendMulti.result', [], [{ index: '1' }], out);
    diffExact('steps[5].getClusterConfig.result', null, {}, out);
    expect(out.map(formatDifference)).toEqual([
      'steps[3].read.result.term: expected "2", got "3"',
      'steps[3].read.result.serial: expected null, got absent',
      'steps[3].read.result.leaderId: expected absent, got null',
      'steps[4].appendMulti.result.length: expected 0, got 1',
      'steps[5].getClusterConfig.result: expected null, got {}',
    ]);
  });

  it('decodes u64 strings, hex and nulls, and refuses other encodings with INVALID_ARGUMENT', () => {
    expect(decodeRaftArguments('insert', { entry: { term: '2', index: '5', command: '6869', result: null, serial: '7', leaderId: null, committed: true } })).toEqual([
      { term: 2, index: 5, command: new Uint8Array([0x68, 0x69]), result: null, serial: 7, leaderId: null },
    ]);
    expect(decodeRaftArguments('read', {})).toEqual([]);
    // 2^53 and above become numbers that are not safe integers: the API refuses them (RLG-012).
    expect(Number.isSafeInteger(decodeRaftArguments('setTerm', { term: '9007199254740993' })[0])).toBe(false);
    for (const [method, args] of [
      ['setTerm', { term: 5 }],
      ['setTerm', { term: '05' }],
      ['setTerm', {}],
      ['append', { entry: { term: '1', command: 'ABCD' } }],
      ['append', { entry: { term: '1', error: 'no' } }],
      ['appendMulti', { entries: {} }],
      ['installSnapshot', { snapshot: { index: '1' } }],
    ] as const) {
      expect(() => decodeRaftArguments(method, args), `${method} ${JSON.stringify(args)}`).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('encodes results: counts as decimal strings, absent values as null, entries with every member', () => {
    expect(encodeRaftResult('getFirstIndex', undefined)).toBeNull();
    expect(encodeRaftResult('getLastIndex', 9007199254740991)).toBe('9007199254740991');
    expect(encodeRaftResult('setTerm', undefined)).toBeNull();
    expect(
      encodeRaftResult('read', { index: 3, term: 1, command: new Uint8Array([1]), result: undefined, error: false, code: 'CLIENT_COMMAND', serial: undefined, leaderId: '', committed: true, applied: false }),
    ).toEqual({ index: '3', term: '1', command: '01', result: null, error: false, code: 'CLIENT_COMMAND', serial: null, leaderId: '', committed: true, applied: false });
  });
});

function result(id: string, outcome: CaseResult['outcome'], extra: Partial<CaseResult> = {}): CaseResult {
  return {
    id,
    profiles: ['reader'],
    category: id.slice(0, id.lastIndexOf('/')),
    description: 'a <case> & "its" description',
    requirements: [],
    status: outcome,
    outcome,
    reason: outcome === 'PASS' ? undefined : `why \u0000 ${id}`,
    differences: outcome === 'FAIL' ? [{ path: 'strict.error.offset', expected: 4096, actual: 4128 }] : [],
    violations: [],
    stderr: outcome === 'PASS' ? [] : ['line <1>', 'ctrl \u001b[31m'],
    durationMs: 12,
    knownFailure: undefined,
    ...extra,
  };
}

describe('known failures and exit status', () => {
  it('turns listed failures into XFAIL and listed passes into XPASS', () => {
    const results = [result('a/pass', 'PASS'), result('a/fail', 'FAIL'), result('a/crash', 'CRASH'), result('a/skip', 'SKIP'), result('a/other', 'FAIL')];
    const known = new Map([
      ['a/pass', ''],
      ['a/fail', 'known'],
      ['a/crash', ''],
      ['a/skip', ''],
      ['gone', ''],
    ]);
    const warnings = applyKnownFailures(results, known, new Set(results.map((r) => r.id)));
    expect(results.map((r) => r.status)).toEqual(['XPASS', 'XFAIL', 'XFAIL', 'SKIP', 'FAIL']);
    expect(warnings).toEqual(['known failure gone names no case of the manifest (a stale entry?)']);
    const summary = summarize(results);
    expect(summary).toMatchObject({ failed: 1, unexpectedPasses: 1 });
    expect(exitStatusOf(summary, false)).toBe(1);
    expect(exitStatusOf(summarize(results.filter((r) => r.id !== 'a/other')), false)).toBe(1);
    expect(exitStatusOf(summarize(results.filter((r) => r.id !== 'a/other')), true)).toBe(0);
  });

  it('tabulates cases by category', () => {
    const table = categoryTable([result('x/a', 'PASS'), result('x/b', 'TIMEOUT'), result('y/c', 'SKIP')]);
    expect(table[0]).toMatch(/^category\s+PASS\s+FAIL\s+XFAIL\s+XPASS\s+SKIP\s+TOTAL$/);
    expect(table).toContainEqual(expect.stringMatching(/^x\s+1\s+1\s+0\s+0\s+0\s+2$/));
    expect(table.at(-1)).toMatch(/^all\s+1\s+1\s+0\s+0\s+1\s+3$/);
  });
});

describe('JUnit XML', () => {
  it('escapes markup and drops characters XML cannot hold', () => {
    expect(xmlEscape(`<a href="x">&'\u0000\u0007\ud800`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;\ufffd\ufffd\ufffd');
  });

  it('is well-formed whatever the case texts hold, with the right counts', () => {
    const results = [result('s/pass', 'PASS'), result('s/fail', 'FAIL'), result('s/crash', 'CRASH'), result('t/skip', 'SKIP'), result('t/xfail', 'FAIL', { status: 'XFAIL', knownFailure: 'bug <1>' })];
    const xml = junitReport({
      testee: 'node "x.js"',
      hello: { implementation: 'impl <&>', profiles: ['reader'], protocol: 1 },
      vectors: { path: '/v/manifest.json', generator: 'g' },
      results,
      summary: summarize(results),
      warnings: [],
      startedAt: new Date(0),
      durationMs: 1500,
      exitStatus: 1,
    });
    const root = parseXml(xml);
    expect(root.attributes).toMatchObject({ name: 'lsfs-conformance: impl <&>', tests: '5', failures: '1', errors: '1', skipped: '2', time: '1.500' });
    const suites = root.children;
    expect(suites.map((suite) => suite.attributes.name)).toEqual(['s', 't']);
    const fail = suites[0]!.children[1]!;
    expect(fail.children[0]!.name).toBe('failure');
    expect(fail.children[0]!.attributes.message).toBe('strict.error.offset: expected 4096, got 4128');
    expect(fail.children[1]!.text).toBe('line <1>\nctrl \ufffd[31m');
    expect(suites[1]!.children[1]!.children[0]!.attributes.message).toMatch(/^known failure: bug <1>/);
  });
});
