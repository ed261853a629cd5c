/**
 * Experiment for workloads 1 and 2 (not part of `npm run bench`): what one durable append costs by
 * the way Node reaches the disk. Appends `bytes` (default 28,400: 100 LSFS records of 256 B) and
 * makes them durable, 200 times, three ways, alternating, 5 rounds; prints medians:
 *
 * - async write + async datasync: what BlockWriter does now (two thread-pool round trips);
 * - writeSync + async datasync: the page-cache copy on the main thread, one round trip;
 * - writeSync + fdatasyncSync: no round trip (what better-sqlite3 does; blocks the event loop).
 *
 *   node dist/bench/experiments/sync-paths.js [dir] [bytes]
 */
import { closeSync, fdatasyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../lib/stats.js';

const dir = process.argv[2] ?? tmpdir();
const bytes = Buffer.alloc(Number(process.argv[3] ?? 28_400), 7);
const APPENDS = 200;

type Way = (handle: FileHandle, position: number) => Promise<void>;
const ways: Record<string, Way> = {
  'async write + async datasync': async (handle, position) => {
    await handle.write(bytes, 0, bytes.length, position);
    await handle.datasync();
  },
  'writeSync + async datasync': async (handle, position) => {
    writeSync(handle.fd, bytes, 0, bytes.length, position);
    await handle.datasync();
  },
  'writeSync + fdatasyncSync': async (handle, position) => {
    writeSync(handle.fd, bytes, 0, bytes.length, position);
    fdatasyncSync(handle.fd);
  },
};

const results = new Map<string, number[]>();
for (let round = 0; round < 5; round++) {
  for (const [name, way] of Object.entries(ways)) {
    const path = join(dir, `sync-paths-${process.pid}.dat`);
    closeSync(openSync(path, 'w'));
    const handle = await open(path, 'r+');
    const started = performance.now();
    for (let i = 0; i < APPENDS; i++) await way(handle, i * bytes.length);
    results.set(name, [...(results.get(name) ?? []), ((performance.now() - started) * 1000) / APPENDS]);
    await handle.close();
    unlinkSync(path);
  }
}
for (const [name, times] of results) console.log(`${name.padEnd(30)} ${median(times).toFixed(0)} µs per durable append of ${bytes.length} B (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`);
