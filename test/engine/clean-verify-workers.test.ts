/**
 * The fast verify on worker threads, on real files: the built engine (dist/, as `lsfs verify` and
 * the benchmarks run it — the TypeScript sources have no compiled worker script) must give exactly
 * the salvage scan's report (RSF-072), whether the damage sits in the first range, the last range,
 * or only shows across a range boundary (a record's length, a block's first_index), and a worker
 * that dies or cannot read must not hang verify.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseBlock } from '../../src/engine/block-parser.js';
import { encodeBlockHeader } from '../../src/format/block-header.js';
import { BLOCK_HEADER_SIZE, SliceKind } from '../../src/format/constants.js';
import { crc32c, sliceContextCrc } from '../../src/format/crc32c.js';
import { type FileHeader, decodeFileHeader } from '../../src/format/file-header.js';
import { patternPayload } from '../support/arbitraries.js';
import { buildFile } from '../support/build-file.js';

type Engine = typeof import('../../src/index.js');
type ReaderModule = typeof import('../../src/engine/block-reader.js');
type PoolModule = typeof import('../../src/engine/clean-check-pool.js');
type VerifyModule = typeof import('../../src/engine/clean-verify.js');
type Pool = import('../../src/engine/clean-check-pool.js').CleanCheckPool;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST_ENGINE = join(ROOT, 'dist', 'src', 'engine');
const WORKER_SCRIPT = pathToFileURL(join(DIST_ENGINE, 'clean-check-worker.js'));
const BLOCK_SIZE = 4096;
const FILE_ID = 0x0123456789abcdefn;
/** Four workers cut the test file into ranges of about 1.2 MiB: its 4 MB records span whole ranges. */
const TEST_POOL_WORKERS = 4;

let dir: string;
let engine: Engine;
let poolModule: PoolModule;
let verifyModule: VerifyModule;

/** True when some engine source is newer than its build (or there is none). */
async function buildIsStale(): Promise<boolean> {
  for (const folder of ['engine', 'format', 'io']) {
    for (const name of await readdir(join(ROOT, 'src', folder))) {
      if (!name.endsWith('.ts')) continue;
      const built = join(ROOT, 'dist', 'src', folder, name.replace(/\.ts$/, '.js'));
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(ROOT, 'src', folder, name)).mtimeMs) return true;
    }
  }
  return false;
}

beforeAll(async () => {
  // `npm test` builds first (pretest); a bare `vitest run` may find no build, or an old one.
  if (await buildIsStale()) {
    const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
  }
  engine = (await import(pathToFileURL(join(ROOT, 'dist', 'src', 'index.js')).href)) as Engine;
  poolModule = (await import(pathToFileURL(join(DIST_ENGINE, 'clean-check-pool.js')).href)) as PoolModule;
  verifyModule = (await import(pathToFileURL(join(DIST_ENGINE, 'clean-verify.js')).href)) as VerifyModule;
  dir = await mkdtemp(join(tmpdir(), 'lsfs-clean-verify-'));
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Verdicts {
  workers: Awaited<ReturnType<InstanceType<ReaderModule['BlockReader']>['verifyWith']>>;
  inline: Awaited<ReturnType<InstanceType<ReaderModule['BlockReader']>['verifyWith']>>;
  scan: Awaited<ReturnType<InstanceType<ReaderModule['BlockReader']>['verifyBySalvageScan']>>;
  ranges: number;
}

/** Writes `bytes` to a real file and verifies it three ways: clean check on workers, inline, and the salvage scan alone. */
async function verifyThreeWays(name: string, bytes: Buffer, pool?: Pool): Promise<Verdicts> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const reader = await engine.BlockReader.open(new engine.NodeStorage(), path, { salvage: true });
  try {
    const used = pool ?? new poolModule.CleanCheckPool(WORKER_SCRIPT, TEST_POOL_WORKERS);
    const checks = vi.spyOn(used, 'check');
    const workers = await reader.verifyWith({ place: 'workers', pool: used });
    const ranges = checks.mock.calls.length;
    checks.mockRestore();
    const inline = await reader.verifyWith({ place: 'inline' });
    const scan = await reader.verifyBySalvageScan();
    return { workers, inline, scan, ranges };
  } finally {
    await reader.close();
  }
}

function expectSameVerdicts(v: Verdicts, clean: boolean): void {
  expect(v.workers.report).toStrictEqual(v.scan);
  expect(v.inline.report).toStrictEqual(v.scan);
  expect(v.workers.checkedBy).toBe(clean ? 'workers' : 'salvage-scan');
  expect(v.inline.checkedBy).toBe(clean ? 'inline' : 'salvage-scan');
  expect(v.scan.gaps.length === 0 && v.scan.tail === undefined).toBe(clean);
}

/** A file of about 17 MiB whose records cross range boundaries: small ones, and big ones that span whole ranges. */
function mixedFile(): Buffer {
  const lengths: number[] = [];
  for (let i = 0; i < 200; i++) lengths.push(i % 50 === 7 ? 4_000_000 : i % 9 === 0 ? 70_000 + i : 256);
  return buildFile(lengths.map((length, i) => ({ typeCode: BigInt(i), payload: patternPayload(length, i) })), { blockSize: BLOCK_SIZE, fileId: FILE_ID }).bytes;
}

/** The ranges the workers get for a file of `size` bytes. */
function rangesOf(size: number): Array<readonly [number, number]> {
  return verifyModule.splitIntoRanges({ blockSize: BLOCK_SIZE, fileId: FILE_ID, baseIndex: 0n, fileSize: size }, TEST_POOL_WORKERS);
}

interface SliceAt {
  readonly offset: number;
  readonly kind: SliceKind;
  readonly dataLength: number;
}

function slicesOf(bytes: Buffer): SliceAt[] {
  const header = decodeFileHeader(bytes.subarray(0, 64)) as FileHeader;
  const slices: SliceAt[] = [];
  for (let block = 0; block * BLOCK_SIZE < bytes.length; block++) {
    for (const item of parseBlock(bytes.subarray(block * BLOCK_SIZE, (block + 1) * BLOCK_SIZE), block, header).items) {
      if (item.type === 'slice') slices.push({ offset: item.slice.offset, kind: item.slice.kind, dataLength: item.slice.dataLength });
    }
  }
  return slices;
}

/** Rewrites the slice's header check and trailer for its own place: every checksum right, whatever its fields say. */
function resealSlice(bytes: Buffer, slice: SliceAt): void {
  const context = sliceContextCrc(FILE_ID, slice.offset);
  bytes.writeUInt16LE(crc32c(bytes.subarray(slice.offset, slice.offset + 6), context) & 0xffff, slice.offset + 6);
  const end = slice.offset + 8 + slice.dataLength;
  bytes.writeUInt32LE(crc32c(bytes.subarray(slice.offset, end), context), end);
}

/** The FIRST slice of a record that starts in the range before `boundaryBlock` and ends after it. */
function firstSliceAcross(slices: readonly SliceAt[], boundaryBlock: number, spanningWholeRange: boolean, rangeEnd: number): SliceAt {
  const boundary = boundaryBlock * BLOCK_SIZE;
  for (let i = 0; i < slices.length; i++) {
    const slice = slices[i]!;
    if (slice.kind !== SliceKind.First || slice.offset >= boundary) continue;
    let last = i + 1;
    while (slices[last]!.kind === SliceKind.Middle) last++;
    const lastOffset = slices[last]!.offset;
    if (lastOffset > boundary && (!spanningWholeRange || lastOffset >= rangeEnd * BLOCK_SIZE)) return slice;
  }
  throw new Error(`no record crosses block ${boundaryBlock}`);
}

describe('fast verify on worker threads', () => {
  // covers RSF-072
  it('RSF-072: a clean file is checked on workers, range by range, with the salvage scan\'s report', async () => {
    const bytes = mixedFile();
    expect(rangesOf(bytes.length).length).toBeGreaterThan(3);
    const v = await verifyThreeWays('clean.lsfs', bytes);
    expectSameVerdicts(v, true);
    expect(v.ranges).toBe(rangesOf(bytes.length).length);
    expect(v.workers.report.records).toBe(200);
  });

  // covers RSF-011, RSF-072
  it('RSF-011 RSF-072: damage in the first range and in the last range falls back to the salvage scan', async () => {
    const bytes = mixedFile();
    const first = Buffer.from(bytes);
    first[5000]! ^= 0x10;
    expectSameVerdicts(await verifyThreeWays('first-range.lsfs', first), false);
    const last = Buffer.from(bytes);
    last[bytes.length - 100]! ^= 0x01;
    expectSameVerdicts(await verifyThreeWays('last-range.lsfs', last), false);
    // A torn tail in the last range, and a file cut right after a block header.
    expectSameVerdicts(await verifyThreeWays('torn.lsfs', bytes.subarray(0, bytes.length - 77)), false);
    const cutAtBlock = Math.floor(bytes.length / BLOCK_SIZE) * BLOCK_SIZE + BLOCK_HEADER_SIZE;
    expectSameVerdicts(await verifyThreeWays('after-header.lsfs', bytes.subarray(0, cutAtBlock)), false);
  });

  // covers RSF-011, RSF-042
  it('RSF-011 RSF-042: a slice whose CRC was recomputed over the wrong bytes is caught on workers too', async () => {
    const bytes = mixedFile();
    const slices = slicesOf(bytes);
    for (const slice of [slices[3]!, slices[Math.floor(slices.length / 2)]!, slices.at(-2)!]) {
      const out = Buffer.from(bytes);
      out[slice.offset + 8 + Math.floor(slice.dataLength / 2)]! ^= 0x04;
      const end = slice.offset + 8 + slice.dataLength;
      // Over the slice's bytes as if it lay one block further on: a moved slice, checksummed for its new place.
      out.writeUInt32LE(crc32c(out.subarray(slice.offset, end), sliceContextCrc(FILE_ID, slice.offset + BLOCK_SIZE)), end);
      const v = await verifyThreeWays(`resealed-${slice.offset}.lsfs`, out);
      expectSameVerdicts(v, false);
      expect(v.scan.gaps.map((gap) => gap.code)).toEqual(['CHECKSUM_MISMATCH']);
    }
  });

  // covers RSF-032, RSF-043, RSF-050
  it('RSF-032 RSF-043 RSF-050: damage that only shows across a range boundary is caught', async () => {
    const bytes = mixedFile();
    const ranges = rangesOf(bytes.length);
    const slices = slicesOf(bytes);
    const boundary = ranges[1]![0];

    // A record that crosses into the next range, its length off by one (its checksums right).
    const longer = Buffer.from(bytes);
    const across = firstSliceAcross(slices, boundary, false, 0);
    longer.writeUInt32LE(longer.readUInt32LE(across.offset + 16) + 1, across.offset + 16);
    resealSlice(longer, across);
    const v1 = await verifyThreeWays('longer-across.lsfs', longer);
    expectSameVerdicts(v1, false);
    expect(v1.scan.gaps[0]!.code).toBe('BAD_SLICE');

    // A record that spans a whole range: the length only shows at its LAST slice, two ranges on.
    let spanned: SliceAt | undefined;
    for (let r = 1; r < ranges.length - 1 && spanned === undefined; r++) {
      try {
        spanned = firstSliceAcross(slices, ranges[r]![0], true, ranges[r]![1]);
      } catch {
        // no record spans range r whole; try the next
      }
    }
    expect(spanned).toBeDefined();
    const shorter = Buffer.from(bytes);
    shorter.writeUInt32LE(shorter.readUInt32LE(spanned!.offset + 16) - 1, spanned!.offset + 16);
    resealSlice(shorter, spanned!);
    expectSameVerdicts(await verifyThreeWays('shorter-spanning.lsfs', shorter), false);

    // The first block of a range with a wrong first_index and a right header checksum.
    for (const range of ranges.slice(1, 4)) {
      const reindexed = Buffer.from(bytes);
      const at = range[0] * BLOCK_SIZE;
      encodeBlockHeader({ fileId: FILE_ID, blockNumber: range[0], firstIndex: reindexed.readBigUInt64LE(at + 24) + 1n }, reindexed, at);
      const v = await verifyThreeWays(`reindexed-${range[0]}.lsfs`, reindexed);
      expectSameVerdicts(v, false);
      expect(v.scan.gaps.map((gap) => gap.code)).toContain('INDEX_OUT_OF_ORDER');
    }
  });

  // covers RSF-032, RSF-071
  it('RSF-032 RSF-071: a renumbered suffix, and a file that ends after a block header or inside padding, are caught', async () => {
    // Empty payloads: 24-byte FULL slices, so every block begins with a record start; block 0 holds
    // exactly 168 of them, every later block 169 and 8 bytes of padding.
    const bytes = buildFile(Array.from({ length: 150_000 }, (_, i) => ({ typeCode: BigInt(i), payload: Buffer.alloc(0) })), { blockSize: BLOCK_SIZE, fileId: FILE_ID }).bytes;
    expectSameVerdicts(await verifyThreeWays('empty-records.lsfs', bytes), true);
    // Every block from a range's first block on numbered one higher, checksums right: each range is
    // consistent in itself, only the boundary shows it. In this file a range begins with a record
    // start; in the mixed file, inside a record.
    const mixed = mixedFile();
    for (const [file, range] of [...rangesOf(bytes.length).slice(1, 3).map((range) => [bytes, range] as const), [mixed, rangesOf(mixed.length)[2]!] as const]) {
      const renumbered = Buffer.from(file);
      for (let block = range[0]; block * BLOCK_SIZE < file.length; block++) {
        const at = block * BLOCK_SIZE;
        encodeBlockHeader({ fileId: FILE_ID, blockNumber: block, firstIndex: renumbered.readBigUInt64LE(at + 24) + 1n }, renumbered, at);
      }
      const v = await verifyThreeWays(`renumbered-${range[0]}.lsfs`, renumbered);
      expectSameVerdicts(v, false);
      expect(v.scan.gaps.map((gap) => gap.code)).toContain('INDEX_OUT_OF_ORDER');
    }
    // Cut right after a block header that follows a block ending in a whole record, and inside padding.
    const blocks = Math.floor(bytes.length / BLOCK_SIZE);
    expectSameVerdicts(await verifyThreeWays('cut-after-header.lsfs', bytes.subarray(0, (blocks - 1) * BLOCK_SIZE + BLOCK_HEADER_SIZE)), false);
    expectSameVerdicts(await verifyThreeWays('cut-at-block-0-end.lsfs', bytes.subarray(0, BLOCK_SIZE)), true);
    expectSameVerdicts(await verifyThreeWays('cut-after-padding.lsfs', bytes.subarray(0, 2 * BLOCK_SIZE)), false);
    expectSameVerdicts(await verifyThreeWays('cut-in-padding.lsfs', bytes.subarray(0, 2 * BLOCK_SIZE - 4)), false);
  });

  it('a worker that dies, fails to start or cannot read does not hang verify: it falls back', async () => {
    const exits = join(dir, 'exits.mjs');
    await writeFile(exits, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n");
    const throws = join(dir, 'throws.mjs');
    await writeFile(throws, "throw new Error('broken worker');\n");
    const bytes = mixedFile();
    for (const script of [exits, throws]) {
      const broken = new poolModule.CleanCheckPool(pathToFileURL(script), 2);
      await expect(broken.check({ fd: 0, geometry: { blockSize: BLOCK_SIZE, fileId: FILE_ID, baseIndex: 0n, fileSize: 8192 }, firstBlock: 0, endBlock: 2 })).rejects.toMatchObject({ code: 'IO_ERROR' });
      const v = await verifyThreeWays(`with-${script.endsWith('exits.mjs') ? 'exiting' : 'throwing'}-workers.lsfs`, bytes, broken);
      expect(v.workers.checkedBy).toBe('salvage-scan');
      expect(v.workers.report).toStrictEqual(v.scan);
      expect(v.scan.gaps).toEqual([]);
    }
    // A descriptor that is not open: the worker's read fails with EBADF, the check with IO_ERROR.
    const pool = new poolModule.CleanCheckPool(WORKER_SCRIPT, 1);
    await expect(pool.check({ fd: 987_654, geometry: { blockSize: BLOCK_SIZE, fileId: FILE_ID, baseIndex: 0n, fileSize: 8192 }, firstBlock: 0, endBlock: 2 })).rejects.toMatchObject({ code: 'IO_ERROR' });
  });

  it('the shared pool neither keeps a process alive nor lets it exit during a verify', async () => {
    const path = join(dir, 'child.lsfs');
    await writeFile(path, mixedFile());
    const script = `
      const { BlockReader, NodeStorage } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'src', 'index.js')).href)});
      const reader = await BlockReader.open(new NodeStorage(), ${JSON.stringify(path)});
      const outcome = await reader.verifyWith({ place: 'workers' });
      console.log(outcome.checkedBy, outcome.report.records);
    `;
    const started = Date.now();
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('workers 200');
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
