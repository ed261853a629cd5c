/**
 * The workloads of issue 6. Each row runs one workload on every store that can take part; the
 * runner calls `run` once per store to warm up, then `reps` times per store, alternating stores.
 * Everything that is not the measured operation (creating the store and appending its first
 * entry, generating entries, closing, deleting) happens outside the timed part. The runner never
 * forces a garbage collection: a forced full GC before each run kept LSFS's JavaScript from
 * reaching its optimized steady state (the Raft append path ran at half speed), which no server
 * sees.
 */
import { crc32c } from '@node-rs/crc32';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { type Entry, entries, entryOf, seededIndexes } from './lib/data.js';
import { type DiskUsage, diskUsage } from './lib/files.js';
import { type Profile, formatSize } from './lib/profile.js';
import { median, now } from './lib/stats.js';
import type { LogHandle, Store, StoreId } from './stores/types.js';

export interface Sample {
  /** The number shown, in the row's unit. */
  readonly value: number;
  /** Higher is better: what ratios compare (throughput, or 1 / time, or 1 / bytes). */
  readonly score: number;
  readonly extra?: Readonly<Record<string, number>>;
}

export interface BuiltLog {
  readonly dir: string;
  readonly entries: number;
  readonly buildMs: number;
  readonly usage: DiskUsage;
}

export interface Context {
  readonly profile: Profile;
  /** Logs built for workloads 4 to 6: payload size -> store -> log. */
  readonly logs: Map<number, Map<StoreId, BuiltLog>>;
  /** The largest log built (workloads 5 and 6), or undefined when none could be. */
  readonly largeSize: number | undefined;
  /** A new empty directory under the run's temp dir. */
  fresh(label: string): string;
}

export interface Row {
  readonly id: string;
  readonly workload: number;
  readonly title: string;
  /** A label short enough for the chart. */
  readonly short: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  readonly stores: readonly StoreId[];
  /** Repetitions (default: the profile's). */
  readonly reps?: number;
  readonly warmUp: boolean;
  /** What the row measures, said once for the report. */
  readonly note?: string;
  run(store: Store, context: Context): Promise<Sample>;
}

const ENTRY = 256;
const WRITERS: StoreId[] = ['lsfs', 'raw', 'sqlite', 'lmdb', 'level'];
const KEYED: StoreId[] = ['lsfs', 'sqlite', 'lmdb', 'level'];

/**
 * Appended to every fresh store before the clock starts: each store has then created all its files
 * (LSFS's Raft log starts its first segment at the first append, RLG-054, as the others create
 * theirs at open), so the timed part measures appends to a log that exists, for every store alike.
 */
const PRIMER: Entry = entryOf(0, ENTRY);

/** Opens a fresh store, appends {@link PRIMER}, runs `body` timed, closes and deletes it. Returns the elapsed milliseconds. */
async function timedOnFresh(store: Store, context: Context, durable: boolean, body: (log: LogHandle) => Promise<void>): Promise<number> {
  const dir = context.fresh(store.id);
  const log = await store.open(dir, { durable });
  try {
    await log.appendOne(PRIMER);
    await log.drain();
    const started = now();
    await body(log);
    return now() - started;
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function perSecond(count: number, ms: number): Sample {
  const value = (count * 1000) / ms;
  return { value, score: value };
}

function batchesOf(first: number, batchCount: number, batchSize: number, entrySize: number): Entry[][] {
  const out: Entry[][] = [];
  for (let b = 0; b < batchCount; b++) out.push(entries(first + b * batchSize, batchSize, entrySize));
  return out;
}

async function concurrentAppends(log: LogHandle, all: readonly Entry[], appenders: number): Promise<void> {
  let next = 0;
  const appender = async (): Promise<void> => {
    while (next < all.length) await log.appendOne(all[next++]!);
  };
  await Promise.all(Array.from({ length: appenders }, appender));
}

function builtLog(context: Context, size: number | undefined, store: StoreId): BuiltLog {
  const log = size === undefined ? undefined : context.logs.get(size)?.get(store);
  if (log === undefined) throw new Error(`no ${size === undefined ? 'large' : formatSize(size)} log was built for ${store}`);
  return log;
}

/** Raw fs verify: read the LSFS log's files (the file, or the Raft log's segments) in 8 MiB chunks and CRC32C all of it. */
async function readAndChecksum(dir: string): Promise<number> {
  const buffer = Buffer.allocUnsafe(8 << 20);
  let crc = 0;
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.lsfs')).sort()) {
    const handle = await open(join(dir, name), 'r');
    try {
      for (let position = 0; ; ) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        crc = crc32c(buffer.subarray(0, bytesRead), crc);
        position += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }
  return crc;
}

export function rows(profile: Profile, openSizes: readonly number[], largeSize: number | undefined): Row[] {
  const out: Row[] = [];
  const batch = 100;
  out.push({
    id: 'w1',
    workload: 1,
    title: `Raft append: ${batch} × ${ENTRY} B entries per durable batch`,
    short: `W1 Raft batch, ${batch} × ${ENTRY} B, durable`,
    note: `one batch at a time, each durable before the next (LSFS: LsfsRaftLog.appendMulti(); SQLite: one transaction; LMDB: ${batch} put()s then db.flushed; LevelDB: batch() with sync; raw fs: one write + fdatasync of the bytes LSFS adds).`,
    unit: 'entries/s',
    better: 'higher',
    stores: WRITERS,
    reps: profile.syncReps,
    warmUp: true,
    async run(store, context) {
      const batches = batchesOf(1, profile.raftBatches, batch, ENTRY);
      const ms = await timedOnFresh(store, context, true, async (log) => {
        for (const entriesOfBatch of batches) await log.appendBatch(entriesOfBatch);
      });
      return perSecond(profile.raftBatches * batch, ms);
    },
  });
  for (const appenders of [16, 1]) {
    const perAppender = appenders === 16 ? profile.perAppender16 : profile.perAppender1;
    out.push({
      id: `w2-${appenders}`,
      workload: 2,
      title: `1 × ${ENTRY} B entry per durable append, ${appenders} concurrent appender${appenders === 1 ? '' : 's'}`,
      short: `W2 durable single appends, ${appenders} appender${appenders === 1 ? '' : 's'}`,
      note: `16 or 1 async loops, each appending one entry and awaiting its durability before the next (LSFS: LsfsRaftLog.append(); LMDB: put() then db.flushed; LevelDB: put() with sync; raw fs: the same group commit as LSFS's BlockWriter — one write + fdatasync for everything queued when the previous one finished). better-sqlite3 is synchronous: its appenders cannot share a commit.`,
      unit: 'entries/s',
      better: 'higher',
      stores: WRITERS,
      reps: profile.syncReps,
      warmUp: true,
      async run(store, context) {
        const all = entries(1, appenders * perAppender, ENTRY);
        const ms = await timedOnFresh(store, context, true, (log) => concurrentAppends(log, all, appenders));
        return perSecond(all.length, ms);
      },
    });
  }
  {
    const size = 4096;
    const perBatch = 256;
    const count = Math.floor(profile.unsyncedBytes / size);
    out.push({
      id: 'w3',
      workload: 3,
      title: `Unsynced append: ${formatSize(size)} entries, ${formatSize(profile.unsyncedBytes)} per run`,
      short: `W3 unsynced append, ${formatSize(size)} entries`,
      unit: 'MB/s',
      better: 'higher',
      stores: WRITERS,
      warmUp: true,
      note: `appended in batches of ${perBatch} entries (1 MiB), each batch awaited; ends when all bytes are handed to the OS (no sync). MB = 10^6 bytes of payload.`,
      async run(store, context) {
        const batches = batchesOf(1, Math.ceil(count / perBatch), perBatch, size);
        const ms = await timedOnFresh(store, context, false, async (log) => {
          for (const entriesOfBatch of batches) await log.appendBatch(entriesOfBatch);
          await log.drain();
        });
        const value = (count * size) / 1e3 / ms;
        return { value, score: value };
      },
    });
  }
  for (const size of openSizes) {
    out.push({
      id: `w4-${formatSize(size).replace(' ', '')}`,
      workload: 4,
      title: `Open a ${formatSize(size)} log, read last index and term`,
      short: `W4 open + last entry, ${formatSize(size)} log`,
      unit: 'ms',
      better: 'lower',
      stores: KEYED,
      warmUp: true,
      note: `the store is opened for writing, then asked for its last entry's index and term (LSFS: LsfsRaftLog.start(), which takes the directory lock, loads the hard state and opens the tail segment with RecordLog.open, recovering its tail, while the sealed segments wait for their first read, RLG-081; then getLastIndex() and getLastTerm()); median of ${profile.opensPerRun} open/close cycles per run; page cache warm.`,
      async run(store, context) {
        const built = builtLog(context, size, store.id);
        const times: number[] = [];
        for (let i = 0; i < profile.opensPerRun; i++) {
          const started = now();
          const log = await store.open(built.dir, { durable: true });
          const last = await log.last();
          const ms = now() - started;
          await log.close();
          if (last?.index !== built.entries) throw new Error(`${store.id}: last index ${last?.index}, expected ${built.entries}`);
          times.push(ms);
        }
        const ms = median(times);
        return { value: ms, score: 1 / ms };
      },
    });
  }
  if (largeSize !== undefined) {
    out.push({
      id: 'w5',
      workload: 5,
      title: `Random reads by index, ${formatSize(largeSize)} log`,
      short: `W5 random reads, ${formatSize(largeSize)} log`,
      unit: 'reads/s',
      better: 'higher',
      stores: KEYED,
      warmUp: true,
      note: `${profile.reads} uniformly random indexes (the same for every store), one read at a time; page cache warm. SQLite: prepared SELECT by rowid; LMDB: getBinary(); LevelDB: getSync(); LSFS: LsfsRaftLog.read() (RecordLog.get() with --lsfs recordlog).`,
      async run(store, context) {
        const built = builtLog(context, largeSize, store.id);
        const indexes = seededIndexes(0x5eed, profile.reads, 1, built.entries);
        const log = await store.open(built.dir, { durable: true });
        try {
          let total = 0;
          const started = now();
          for (const index of indexes) {
            const got = log.get(index);
            total += typeof got === 'number' ? got : await got;
          }
          const ms = now() - started;
          if (total !== indexes.length * ENTRY) throw new Error(`${store.id}: read ${total} bytes, expected ${indexes.length * ENTRY}`);
          return perSecond(indexes.length, ms);
        } finally {
          await log.close();
        }
      },
    });
    out.push({
      id: 'w6',
      workload: 6,
      title: `Full verify scan, ${formatSize(largeSize)} log`,
      short: `W6 verify scan, ${formatSize(largeSize)} log`,
      unit: 'MB/s',
      better: 'higher',
      stores: ['lsfs', 'raw', 'sqlite', 'lmdb', 'level'],
      warmUp: true,
      note: 'MB/s = 10^6 bytes of the store’s own files per second (page cache warm); ratios compare the time to scan the same entries, not file MB/s. raw fs reads the LSFS log’s files and CRC32Cs all of it (the physical limit of a checked scan).',
      async run(store, context) {
        const built = builtLog(context, largeSize, store.id === 'raw' ? 'lsfs' : store.id);
        if (store.id === 'raw') {
          const started = now();
          await readAndChecksum(built.dir);
          const ms = now() - started;
          return { value: built.usage.apparent / 1e3 / ms, score: (built.entries * 1000) / ms };
        }
        const log = await store.open(built.dir, { durable: true });
        try {
          const started = now();
          const seen = await log.verify();
          const ms = now() - started;
          if (seen !== -1 && seen !== built.entries) throw new Error(`${store.id}: verify saw ${seen} entries, expected ${built.entries}`);
          return { value: built.usage.apparent / 1e3 / ms, score: (built.entries * 1000) / ms };
        } finally {
          await log.close();
        }
      },
    });
  }
  for (const size of [64, 256, 4096]) {
    out.push({
      id: `w7-${size}`,
      workload: 7,
      title: `Bytes on disk per payload byte, ${formatSize(size)} entries`,
      short: `W7 disk bytes per payload byte, ${formatSize(size)}`,
      unit: '× payload',
      better: 'lower',
      stores: KEYED,
      reps: 1,
      warmUp: false,
      note: `${formatSize(profile.spacePayload)} of payload appended in durable batches of 1000 entries, store closed and settled (SQLite: WAL checkpointed; LevelDB: reopened and fully compacted); allocated blocks of all its files ÷ payload bytes. Keys, terms and every other byte count as overhead.`,
      async run(store, context) {
        const dir = context.fresh(`${store.id}-space`);
        const count = Math.floor(profile.spacePayload / size);
        const log = await store.open(dir, { durable: true });
        for (let first = 1; first <= count; first += 1000) await log.appendBatch(entries(first, Math.min(1000, count - first + 1), size));
        await log.drain();
        await log.close();
        await store.settle?.(dir);
        const usage = diskUsage(dir);
        rmSync(dir, { recursive: true, force: true });
        const payload = count * size;
        const value = usage.allocated / payload;
        return { value, score: 1 / value, extra: { apparent: usage.apparent / payload, files: usage.files } };
      },
    });
  }
  return out;
}

/** Builds the logs of workloads 4 to 6 for every keyed store: durable batches of 4096 entries, then close. */
export async function buildLog(store: Store, dir: string, count: number, onProgress?: (done: number) => void): Promise<BuiltLog> {
  mkdirSync(dir, { recursive: true });
  const chunk = 4096;
  const started = now();
  const log = await store.open(dir, { durable: true });
  try {
    for (let first = 1; first <= count; first += chunk) {
      await log.appendBatch(entries(first, Math.min(chunk, count - first + 1), ENTRY));
      await log.drain();
      if (onProgress !== undefined && ((first - 1) / chunk) % 64 === 0) onProgress(first - 1);
    }
  } finally {
    await log.close();
  }
  const buildMs = now() - started;
  return { dir, entries: count, buildMs, usage: diskUsage(dir) };
}

export const ENTRY_SIZE = ENTRY;
