/**
 * The benchmark runner (issue 6): LSFS beside SQLite, LMDB, LevelDB and raw fs appends.
 *
 *   npm run bench               quick profile (about two minutes on two cores)
 *   npm run bench -- --full     full profile
 *
 * Options: --full, --reps N, --only ID[,ID...] (row ids or prefixes: w1, w2, w4-64MiB, ...),
 * --stores ID[,ID...] (lsfs, raw, sqlite, lmdb, level), --docs (regenerate docs/benchmarks.md),
 * --keep (keep the data directory), --tmp DIR (default os.tmpdir()), --lsfs raft|recordlog (the
 * LSFS API under test: the Raft log, default, or the engine's RecordLog), --sync
 * inline|thread-pool (how LSFS's NodeStorage and raw fs run fdatasync; default inline, LSFS's own).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { formatSize, FULL, QUICK, type Profile } from './lib/profile.js';
import { freeBytesAt, machineInfo } from './lib/machine.js';
import type { BuildJson, Results, RowJson, StoreResult } from './lib/results.js';
import { median, spread } from './lib/stats.js';
import { checkTargets, formatNumber, formatRatio, svgChart, targetsText, terminalTable } from './report.js';
import { RESULTS_DIR, renderDocs } from './render.js';
import { ALL_STORES, type LsfsVariant, loadStores, lsfsChoice } from './stores/index.js';
import { syncChoice } from './stores/sync-choice.js';
import type { Store, StoreId } from './stores/types.js';
import type { SyncMode } from '../src/index.js';
import { type BuiltLog, type Context, type Row, ENTRY_SIZE, buildLog, rows as allRows } from './workloads.js';

interface Options {
  full: boolean;
  reps: number | undefined;
  only: string[] | undefined;
  stores: StoreId[];
  docs: boolean;
  keep: boolean;
  tmp: string;
  lsfs: LsfsVariant;
  sync: SyncMode;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { full: false, reps: undefined, only: undefined, stores: ALL_STORES, docs: false, keep: false, tmp: tmpdir(), lsfs: 'raft', sync: 'inline' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--full':
        options.full = true;
        break;
      case '--quick':
        options.full = false;
        break;
      case '--reps':
        options.reps = Number.parseInt(value(), 10);
        break;
      case '--only':
        options.only = value().split(',');
        break;
      case '--stores': {
        const ids = value().split(',') as StoreId[];
        for (const id of ids) if (!ALL_STORES.includes(id)) throw new Error(`unknown store ${id}; stores: ${ALL_STORES.join(', ')}`);
        options.stores = ALL_STORES.filter((id) => id === 'lsfs' || ids.includes(id));
        break;
      }
      case '--docs':
        options.docs = true;
        break;
      case '--keep':
        options.keep = true;
        break;
      case '--tmp':
        options.tmp = value();
        break;
      case '--lsfs': {
        const variant = value();
        if (variant !== 'raft' && variant !== 'recordlog') throw new Error('--lsfs takes raft or recordlog');
        options.lsfs = variant;
        break;
      }
      case '--sync': {
        const mode = value();
        if (mode !== 'inline' && mode !== 'thread-pool') throw new Error('--sync takes inline or thread-pool');
        options.sync = mode;
        break;
      }
      case '--help':
        console.log('usage: node dist/bench/run.js [--full] [--reps N] [--only w1,w4] [--stores lsfs,sqlite,...] [--lsfs raft|recordlog] [--sync inline|thread-pool] [--docs] [--keep] [--tmp DIR]');
        process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default:
        throw new Error(`unknown option ${arg} (try --help)`);
    }
  }
  return options;
}

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
}

const KEYED: StoreId[] = ['lsfs', 'sqlite', 'lmdb', 'level'];
/** Disk a keyed store needs per payload byte of a built log, with margin (LevelDB compactions, SQLite WAL). */
const SPACE_FACTOR = 2;

/** The open sizes that fit on the disk, largest dropped first; messages for what was skipped. */
function sizesThatFit(profile: Profile, keyedStores: number, free: number, skipped: string[]): number[] {
  const reserve = profile.unsyncedBytes * 4 + (512 << 20);
  const sizes = [...profile.openSizes].sort((a, b) => a - b);
  while (sizes.length > 0) {
    const need = sizes.reduce((sum, size) => sum + size, 0) * keyedStores * SPACE_FACTOR + reserve;
    if (need <= free) break;
    const dropped = sizes.pop()!;
    const message = `${formatSize(dropped)} logs (workloads 4–6): ${(need / 2 ** 30).toFixed(1)} GiB needed, ${(free / 2 ** 30).toFixed(1)} GiB free in the temp dir`;
    skipped.push(message);
    log(`skipping ${message}`);
  }
  return sizes;
}

async function measureRow(row: Row, stores: readonly Store[], context: Context, defaultReps: number): Promise<RowJson> {
  const taking = stores.filter((store) => row.stores.includes(store.id));
  const reps = row.reps ?? defaultReps;
  const samples = new Map<StoreId, { value: number; score: number; extra?: Record<string, number> }[]>();
  const errors = new Map<StoreId, string>();
  const once = async (store: Store, keep: boolean): Promise<void> => {
    if (errors.has(store.id)) return;
    try {
      const sample = await row.run(store, context);
      if (keep) samples.set(store.id, [...(samples.get(store.id) ?? []), { ...sample, ...(sample.extra === undefined ? {} : { extra: { ...sample.extra } }) }]);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.set(store.id, message);
      log(`  ${store.label}: error: ${message}`);
    }
  };
  const started = Date.now();
  if (row.warmUp) for (const store of taking) await once(store, false);
  for (let rep = 0; rep < reps; rep++) {
    // Alternate: each repetition starts with the next store.
    for (let k = 0; k < taking.length; k++) await once(taking[(rep + k) % taking.length]!, true);
  }
  const results: Partial<Record<StoreId, StoreResult>> = {};
  for (const store of taking) {
    const kept = samples.get(store.id) ?? [];
    const values = kept.map((sample) => sample.value);
    results[store.id] = {
      samples: kept,
      value: median(values),
      score: median(kept.map((sample) => sample.score)),
      spread: spread(values),
      ...(errors.has(store.id) ? { error: errors.get(store.id)! } : {}),
    };
  }
  const lsfsScore = results.lsfs?.score;
  for (const store of taking) {
    const result = results[store.id]!;
    if (store.id !== 'lsfs' && lsfsScore !== undefined && Number.isFinite(lsfsScore) && result.error === undefined) result.ratio = result.score / lsfsScore;
  }
  const summary = taking
    .map((store) => {
      const result = results[store.id]!;
      if (result.error !== undefined) return `${store.label} error`;
      return `${store.label} ${formatNumber(result.value, row.unit)}${result.ratio === undefined ? '' : ` (${formatRatio(result.ratio)})`}`;
    })
    .join(' | ');
  log(`${row.id.padEnd(10)} ${summary}   [${row.unit}, ${((Date.now() - started) / 1000).toFixed(1)} s]`);
  return { id: row.id, workload: row.workload, title: row.title, short: row.short, unit: row.unit, better: row.better, ...(row.note === undefined ? {} : { note: row.note }), reps, results };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const base = options.full ? FULL : QUICK;
  const profile: Profile = options.reps === undefined ? base : { ...base, reps: options.reps, syncReps: options.reps };
  const startedAt = new Date();
  const root = mkdtempSync(join(options.tmp, 'lsfs-bench-'));
  const cleanup = (): void => {
    if (!options.keep) rmSync(root, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const machine = machineInfo(root);
    lsfsChoice.variant = options.lsfs;
    syncChoice.mode = options.sync;
    const { stores, missing } = await loadStores(options.stores);
    if (lsfsChoice.fallbackReason !== undefined) log(`note: ${lsfsChoice.fallbackReason}`);
    log(`LSFS benchmarks, ${profile.name} profile: ${machine.cpuModel}, ${machine.cores} cores, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, ${machine.fsType} at ${machine.tempDir}, Node ${machine.node}`);
    for (const store of stores) log(`  ${store.label.padEnd(8)} ${store.version}`);
    for (const gone of missing) log(`  left out: ${gone.id}: ${gone.reason}`);
    if (machine.loadAverage[0]! > machine.cores / 2) log(`warning: load average ${machine.loadAverage.join(' ')} on ${machine.cores} cores: other work will skew the results`);
    const skipped: string[] = [];
    let counter = 0;
    const logs = new Map<number, Map<StoreId, BuiltLog>>();
    const wantsRow = (id: string): boolean => options.only === undefined || options.only.some((prefix) => id.startsWith(prefix));
    const needsLogs = ['w4', 'w5', 'w6'].some((id) => options.only === undefined || options.only.some((prefix) => id.startsWith(prefix) || prefix.startsWith(id)));
    const keyed = stores.filter((store) => KEYED.includes(store.id));
    const sizes = needsLogs ? sizesThatFit(profile, keyed.length, freeBytesAt(root), skipped) : [];
    const builds: BuildJson[] = [];
    for (const size of sizes) {
      const byStore = new Map<StoreId, BuiltLog>();
      for (const store of keyed) {
        const count = Math.floor(size / ENTRY_SIZE);
        process.stdout.write(`building ${formatSize(size)} log (${count.toLocaleString('en-US')} entries) for ${store.label}... `);
        const built = await buildLog(store, join(root, `built-${formatSize(size).replace(' ', '')}-${store.id}`), count);
        log(`${(built.buildMs / 1000).toFixed(1)} s, ${(built.usage.apparent / 2 ** 20).toFixed(0)} MiB on disk`);
        byStore.set(store.id, built);
        builds.push({ size, store: store.id, entries: built.entries, buildMs: built.buildMs, apparentBytes: built.usage.apparent, allocatedBytes: built.usage.allocated });
      }
      logs.set(size, byStore);
    }
    const largeSize = sizes.length > 0 ? Math.max(...sizes) : undefined;
    if (largeSize === undefined && needsLogs) skipped.push('workloads 5 and 6: no large log could be built');
    const context: Context = {
      profile,
      logs,
      largeSize,
      fresh(label: string) {
        const dir = join(root, `${label}-${counter++}`);
        mkdirSync(dir, { recursive: true });
        return dir;
      },
    };
    const measured: RowJson[] = [];
    for (const row of allRows(profile, sizes, largeSize)) {
      if (!wantsRow(row.id)) continue;
      measured.push(await measureRow(row, stores, context, profile.reps));
    }
    const finishedAt = new Date();
    const lsfs = stores.find((store) => store.id === 'lsfs');
    const results: Results = {
      format: 'lsfs-bench/1',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      loadAverageEnd: loadavg().map((load) => Math.round(load * 100) / 100),
      command: `node ${process.execArgv.join(' ')} ${relative(process.cwd(), process.argv[1] ?? '')} ${process.argv.slice(2).join(' ')}`.replace(/\s+/g, ' ').trim(),
      nodeFlags: process.execArgv,
      profile,
      machine,
      lsfsVariant: `${lsfs?.version ?? 'missing'}${lsfsChoice.fallbackReason === undefined ? '' : ` (${lsfsChoice.fallbackReason})`}`,
      stores: stores.map((store) => ({ id: store.id, label: store.label, version: store.version, settings: store.settings, verifyMeasures: store.verifyMeasures })),
      missing,
      skipped,
      builds,
      rows: measured,
      targets: [],
    };
    results.targets = checkTargets(results);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const jsonPath = join(RESULTS_DIR, `${timestamp(startedAt)}.json`);
    writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
    let svgPath = jsonPath.replace(/\.json$/, '.svg');
    if (options.docs) svgPath = renderDocs(jsonPath);
    else writeFileSync(svgPath, svgChart(results));
    log('');
    log(terminalTable(results));
    log('');
    log('(in brackets: the peer relative to LSFS, higher-is-better basis; below ×1.00 LSFS is ahead)');
    log('');
    log(targetsText(results.targets));
    log('');
    log(`wrote ${relative(process.cwd(), jsonPath)} and ${relative(process.cwd(), svgPath)}${options.docs ? ' and docs/benchmarks.md' : ''} (${results.durationSeconds.toFixed(0)} s)`);
  } finally {
    cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
