/**
 * The `lsfs` CLI end to end: the built launcher run as a subprocess, as a user or a script runs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAUNCHER = join(ROOT, 'bin', 'lsfs.js');
const U64_MAX = '18446744073709551615';

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let dir: string;

beforeAll(async () => {
  // `npm test` builds first (pretest); a bare `vitest run` may find no build.
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) {
    const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
  }
  dir = await mkdtemp(join(tmpdir(), 'lsfs-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function lsfs(args: readonly string[], input = ''): Run {
  const result = spawnSync(process.execPath, [LAUNCHER, ...args], { cwd: dir, input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function fileIn(name: string): string {
  return join(dir, name);
}

interface Rec {
  readonly type: string;
  readonly hex: string;
}

function jsonl(records: readonly Rec[]): string {
  return records.map((record) => `${JSON.stringify(record)}\n`).join('');
}

function textRecords(count: number, prefix = 'record', firstType = 0): Rec[] {
  return Array.from({ length: count }, (_, i) => ({ type: String(firstType + i), hex: Buffer.from(`${prefix}-${i}`).toString('hex') }));
}

interface DumpedRecord {
  readonly index: string;
  readonly type: string;
  readonly hex: string;
}

function parseDump(stdout: string): DumpedRecord[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as DumpedRecord);
}

/** Writes `records` to a new file and checks that the write succeeded. */
function create(name: string, records: readonly Rec[], options: readonly string[] = []): string {
  const path = fileIn(name);
  const run = lsfs(['write', path, ...options], jsonl(records));
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return path;
}

/** Flips a byte of the payload that holds `marker`: a slice checksum then fails. */
async function corruptPayload(path: string, marker: string): Promise<void> {
  const bytes = await readFile(path);
  const at = bytes.indexOf(Buffer.from(marker));
  expect(at).toBeGreaterThan(0);
  bytes[at] = bytes[at]! ^ 0xff;
  await writeFile(path, bytes);
}

/** 100 small records in 512-byte blocks, one of them (index 50) holding `marker`. */
function recordsWithMarker(marker: string): Rec[] {
  const records = textRecords(100);
  records[50] = { type: '50', hex: Buffer.from(marker).toString('hex') };
  return records;
}

describe('lsfs write and dump', () => {
  const bigPayload = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff)).toString('hex');
  const records: Rec[] = [
    { type: '1', hex: '68656c6c6f' },
    { type: U64_MAX, hex: '' },
    { type: '0', hex: bigPayload },
    { type: '42', hex: 'FF00aa' },
  ];

  it('round-trips records, including an empty payload, the largest type and a payload spanning blocks', async () => {
    const path = fileIn('round-trip.lsfs');
    const write = lsfs(['write', path, '--block-size', '512'], jsonl(records));
    expect(write.stderr).toBe('');
    expect(write.status).toBe(0);
    expect(JSON.parse(write.stdout)).toEqual({ appended: 4, firstIndex: '0', lastIndex: '3', size: (await stat(path)).size });
    const dump = lsfs(['dump', path]);
    expect(dump.status).toBe(0);
    expect(dump.stderr).toBe('');
    expect(parseDump(dump.stdout)).toEqual(records.map((record, i) => ({ index: String(i), type: record.type, hex: record.hex.toLowerCase() })));
  });

  it('dumps newest first with --reverse and from an index with --from', () => {
    const path = create('order.lsfs', textRecords(300), ['--block-size', '512', '--base-index', '1000']);
    const reverse = parseDump(lsfs(['dump', path, '--reverse']).stdout);
    expect(reverse.map((record) => record.index)).toEqual(Array.from({ length: 300 }, (_, i) => String(1299 - i)));
    const from = lsfs(['dump', path, '--from', '1250']);
    expect(from.status).toBe(0);
    expect(parseDump(from.stdout).map((record) => record.index)).toEqual(Array.from({ length: 50 }, (_, i) => String(1250 + i)));
    expect(lsfs(['dump', path, '--from', '5000']).stdout).toBe('');
  });

  it('rejects --reverse with --from, and malformed numbers', () => {
    const path = create('options.lsfs', textRecords(3));
    for (const args of [
      ['dump', path, '--reverse', '--from', '1'],
      ['dump', path, '--from', '01'],
      ['dump', path, '--from', U64_MAX + '0'],
      ['write', fileIn('bad-block.lsfs'), '--block-size', '1000'],
      ['write', fileIn('bad-id.lsfs'), '--file-id', 'abc'],
    ]) {
      const run = lsfs(args);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/^lsfs: INVALID_ARGUMENT: [^\n]+\n$/);
    }
    expect(existsSync(fileIn('bad-block.lsfs'))).toBe(false);
  });

  it('appends to an existing file, and refuses options that contradict its header', async () => {
    const path = create('append.lsfs', textRecords(5, 'first'), ['--block-size', '1024', '--file-id', '00112233aabbccdd']);
    const more = lsfs(['write', path, '--block-size', '1024'], jsonl(textRecords(3, 'second')));
    expect(more.status).toBe(0);
    expect(JSON.parse(more.stdout)).toMatchObject({ appended: 3, firstIndex: '5', lastIndex: '7' });
    const before = await readFile(path);
    for (const option of [['--block-size', '512'], ['--base-index', '9'], ['--file-id', '0000000000000001']]) {
      const conflict = lsfs(['write', path, ...option], jsonl(textRecords(1)));
      expect(conflict.status).toBe(2);
      expect(conflict.stderr).toMatch(/^lsfs: INVALID_ARGUMENT: the existing file does not match [^\n]+\n$/);
    }
    expect((await readFile(path)).equals(before)).toBe(true);
    const dumped = parseDump(lsfs(['dump', path]).stdout);
    expect(dumped.map((record) => Buffer.from(record.hex, 'hex').toString())).toEqual([
      ...textRecords(5, 'first').map((record) => Buffer.from(record.hex, 'hex').toString()),
      ...textRecords(3, 'second').map((record) => Buffer.from(record.hex, 'hex').toString()),
    ]);
    expect(lsfs(['inspect', path]).stdout).toContain('00112233aabbccdd');
  });

  it('stops at a bad input line, keeping the records before it and nothing after', () => {
    const badLines = [
      'not json',
      '[1, 2]',
      '{"type": 5, "hex": "00"}',
      '{"type": "-1", "hex": "00"}',
      '{"type": "007", "hex": "00"}',
      `{"type": "${U64_MAX}6", "hex": "00"}`,
      '{"type": "1", "hex": "abc"}',
      '{"type": "1", "hex": "zz"}',
      '{"type": "1", "hex": "00", "extra": true}',
      '{"type": "1"}',
      '{"sync": false}',
    ];
    badLines.forEach((bad, n) => {
      const path = fileIn(`bad-line-${n}.lsfs`);
      const input = `${jsonl(textRecords(2))}\n{"sync": true}\n${jsonl(textRecords(1, 'third', 2))}${bad}\n${jsonl(textRecords(2, 'after'))}`;
      const run = lsfs(['write', path], input);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^lsfs: INVALID_ARGUMENT: stdin line 6: [^\n]+\n$/);
      expect(parseDump(lsfs(['dump', path]).stdout).map((record) => record.type)).toEqual(['0', '1', '2']);
    });
  });

  it('handles large input streamed through stdin', () => {
    const path = create('many.lsfs', textRecords(20_000, 'streamed'));
    const dump = lsfs(['dump', path]);
    const dumped = parseDump(dump.stdout);
    expect(dumped).toHaveLength(20_000);
    expect(dumped[19_999]).toEqual({ index: '19999', type: '19999', hex: Buffer.from('streamed-19999').toString('hex') });
  });

  it('stops quietly when the reader of stdout goes away', () => {
    const path = create('pipe.lsfs', textRecords(20_000, 'x'.repeat(100)));
    const run = spawnSync('sh', ['-c', `"${process.execPath}" "${LAUNCHER}" dump "${path}" | head -n 1`], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(parseDump(run.stdout)).toHaveLength(1);
  });
});

describe('lsfs on damaged files', () => {
  it('strict dump prints the records before interior damage, then the error; salvage skips it', async () => {
    const path = create('flipped.lsfs', recordsWithMarker('THE-MIDDLE-RECORD'), ['--block-size', '512']);
    await corruptPayload(path, 'THE-MIDDLE-RECORD');
    const strict = lsfs(['dump', path]);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toMatch(/^lsfs: CHECKSUM_MISMATCH: [^\n]+ at offset \d+\n$/);
    expect(parseDump(strict.stdout).map((record) => record.index)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    const salvage = lsfs(['dump', path, '--salvage']);
    expect(salvage.status).toBe(1);
    expect(salvage.stderr).toMatch(/^lsfs: gap: CHECKSUM_MISMATCH at offset \d+, \d+ bytes: [^\n]+\n$/);
    const indexes = parseDump(salvage.stdout).map((record) => Number(record.index));
    expect(indexes).toEqual(Array.from({ length: 100 }, (_, i) => i).filter((i) => i !== 50));
  });

  it('reads a file whose last block is damaged, which the engine reader refuses to open', async () => {
    const records = textRecords(30);
    records[28] = { type: '28', hex: Buffer.from('LAST-BLOCK-MARKER').toString('hex') };
    const path = create('last-block.lsfs', records, ['--block-size', '512']);
    await corruptPayload(path, 'LAST-BLOCK-MARKER');
    const strict = lsfs(['dump', path]);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toMatch(/^lsfs: CHECKSUM_MISMATCH: /);
    expect(parseDump(strict.stdout)).toHaveLength(28);
    const salvage = lsfs(['dump', path, '--salvage']);
    expect(salvage.status).toBe(1);
    expect(parseDump(salvage.stdout).map((record) => record.index)).toContain('29');
    const verify = lsfs(['verify', path]);
    expect(verify.status).toBe(1);
    expect(verify.stdout).toMatch(/damage: CHECKSUM_MISMATCH at offset \d+/);
    const inspect = lsfs(['inspect', path]);
    expect(inspect.status).toBe(0);
    expect(inspect.stdout).toMatch(/records:\s+29\n/);
  });

  it('reports a torn tail as a warning: the whole records are still dumped', async () => {
    const path = create('torn.lsfs', textRecords(40), ['--block-size', '512']);
    await truncate(path, (await stat(path)).size - 5);
    for (const args of [['dump', path], ['dump', path, '--salvage'], ['dump', path, '--reverse']]) {
      const run = lsfs(args);
      expect(run.status).toBe(0);
      expect(run.stderr).toMatch(/^lsfs: warning: TORN_TAIL at offset \d+ \(\d+ bytes after the last whole record\)\n$/);
      expect(parseDump(run.stdout)).toHaveLength(39);
    }
    const inspect = lsfs(['inspect', path]);
    expect(inspect.stdout).toMatch(/torn tail:\s+\d+ bytes at offset \d+/);
    const append = lsfs(['write', path], jsonl(textRecords(1, 'new')));
    expect(append.status).toBe(0);
    expect(append.stderr).toMatch(/^lsfs: warning: TORN_TAIL: cut \d+ bytes at offset \d+\n$/);
    expect(JSON.parse(append.stdout)).toMatchObject({ appended: 1, firstIndex: '39', lastIndex: '39' });
  });
});

describe('lsfs verify', () => {
  it('exits 0 for a clean file, 1 for damage (listing each place), 2 for a missing file', async () => {
    const clean = create('verify-clean.lsfs', textRecords(100), ['--block-size', '512']);
    const ok = lsfs(['verify', clean]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('100 intact records');
    expect(ok.stdout).toContain('result: ok');

    const flipped = create('verify-flipped.lsfs', recordsWithMarker('VERIFY-MARKER'), ['--block-size', '512']);
    await corruptPayload(flipped, 'VERIFY-MARKER');
    await truncate(flipped, (await stat(flipped)).size - 3);
    const damaged = lsfs(['verify', flipped]);
    expect(damaged.status).toBe(1);
    expect(damaged.stdout).toMatch(/damage: CHECKSUM_MISMATCH at offset \d+, \d+ bytes: /);
    expect(damaged.stdout).toMatch(/damage: TORN_TAIL at offset \d+, \d+ bytes/);
    expect(damaged.stdout).toContain('2 damaged places');

    const missing = lsfs(['verify', fileIn('no-such-file.lsfs')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^lsfs: IO_ERROR: [^\n]+\n$/);
  });

  it('treats a file that is not LSFS as damage of its header', async () => {
    const path = fileIn('not-lsfs.txt');
    await writeFile(path, 'hello, this is not an LSFS file at all, and it is long enough to hold a header.\n');
    const run = lsfs(['verify', path]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^lsfs: BAD_MAGIC: [^\n]+\n$/);
  });
});

describe('lsfs inspect', () => {
  it('describes the header, the records and each block', () => {
    const path = create('inspect.lsfs', textRecords(30), ['--block-size', '512', '--base-index', '7']);
    const run = lsfs(['inspect', path]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/block size:\s+512 bytes/);
    expect(run.stdout).toMatch(/records:\s+30\n/);
    expect(run.stdout).toMatch(/base index:\s+7\n/);
    expect(run.stdout).toMatch(/first index:\s+7\n/);
    expect(run.stdout).toMatch(/last index:\s+36\n/);
    expect(run.stdout).toMatch(/^\s+0\s+0\s+7\s+\d+\s+\d+\s+ok\s+FULL×\d+/m);
  });

  it('shows only the first and last blocks of a large file unless --all-blocks', () => {
    const path = create('inspect-big.lsfs', textRecords(3000), ['--block-size', '512']);
    const short = lsfs(['inspect', path]);
    const blocks = Number(/blocks:\s+(\d+)/.exec(short.stdout)?.[1]);
    expect(blocks).toBeGreaterThan(40);
    expect(short.stdout).toContain(`… ${blocks - 40} blocks …`);
    const rows = (text: string) => text.split('\n').filter((line) => /\s(ok|[A-Z_]{5,})\s/.test(line) && /^\s+\d+\s/.test(line)).length;
    expect(rows(short.stdout)).toBe(40);
    expect(rows(lsfs(['inspect', path, '--all-blocks']).stdout)).toBe(blocks);
  });
});

describe('lsfs usage', () => {
  it('reports usage errors and OS errors on one line with exit status 2', () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /^lsfs: USAGE: unknown command 'frobnicate'\n$/],
      [[], /^lsfs: USAGE: [^\n]+\n$/],
      [['dump'], /^lsfs: USAGE: missing required argument 'file'\n$/],
      [['dump', 'a', 'b'], /^lsfs: USAGE: [^\n]+\n$/],
      [['dump', 'x.lsfs', '--bogus'], /^lsfs: USAGE: [^\n]+\n$/],
      [['dump', 'missing.lsfs'], /^lsfs: IO_ERROR: [^\n]+\n$/],
      [['inspect', 'missing.lsfs'], /^lsfs: IO_ERROR: [^\n]+\n$/],
    ];
    for (const [args, expected] of cases) {
      const run = lsfs(args);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(expected);
    }
  });

  it('prints help for the program and for each command', () => {
    for (const args of [['--help'], ['write', '--help'], ['dump', '--help'], ['inspect', '--help'], ['verify', '--help'], ['help', 'dump']]) {
      const run = lsfs(args);
      expect(run.status).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain('Usage: lsfs');
    }
    expect(lsfs(['dump', '--help']).stdout).toContain('--reverse');
  });
});
