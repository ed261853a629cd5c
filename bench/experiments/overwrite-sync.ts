/**
 * Experiment for workload 1 (not part of `npm run bench`): why SQLite's durable batches beat raw
 * appends. Writes `bytes` (default 28,400: 100 LSFS records of 256 B) and fdatasyncs, 400 times, in
 * three kinds of file, alternating, 5 rounds; prints the median fdatasync time of each:
 *
 * - append: the file grows with every write (what LSFS and the raw-fs peer do); each fdatasync
 *   must also make the new file size durable, a journal commit on ext4;
 * - overwrite: the same writes over a file whose blocks were written (with zeros) and synced
 *   before, so its size never changes: only the data is flushed. SQLite's WAL is such a file once it
 *   is reused after a checkpoint;
 * - overwrite of a sparse file (ftruncate to the full size first): the size does not change, but
 *   every write allocates blocks.
 *
 *   node dist/bench/experiments/overwrite-sync.js [dir] [bytes]
 *
 * The LSFS format cannot overwrite preallocated space as it is: a crash may leave any subset of
 * the unsynced pages of an overwrite (page writeback has no order), so an intact structure could
 * follow a hole of zeros, which §9 rightly calls interior damage. See docs/benchmarks.md (W1).
 */
import { closeSync, fdatasyncSync, fsyncSync, ftruncateSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../lib/stats.js';

const dir = process.argv[2] ?? tmpdir();
const bytes = Buffer.alloc(Number(process.argv[3] ?? 28_400), 7);
const WRITES = 400;
const FILE_BYTES = WRITES * bytes.length;

type Preparation = (fd: number) => void;
const kinds: Record<string, Preparation> = {
  append: () => undefined,
  overwrite: (fd) => {
    const zeros = Buffer.alloc(1 << 20);
    for (let at = 0; at < FILE_BYTES; at += zeros.length) writeSync(fd, zeros, 0, Math.min(zeros.length, FILE_BYTES - at), at);
    fsyncSync(fd);
  },
  'overwrite of a sparse file': (fd) => {
    ftruncateSync(fd, FILE_BYTES);
    fsyncSync(fd);
  },
};

const results = new Map<string, number[]>();
for (let round = 0; round < 5; round++) {
  for (const [name, prepare] of Object.entries(kinds)) {
    const path = join(dir, `overwrite-sync-${process.pid}.dat`);
    const fd = openSync(path, 'w+');
    prepare(fd);
    let syncMs = 0;
    for (let i = 0; i < WRITES; i++) {
      writeSync(fd, bytes, 0, bytes.length, i * bytes.length);
      const started = performance.now();
      fdatasyncSync(fd);
      syncMs += performance.now() - started;
    }
    results.set(name, [...(results.get(name) ?? []), (syncMs * 1000) / WRITES]);
    closeSync(fd);
    unlinkSync(path);
  }
}
for (const [name, times] of results) {
  console.log(`${name.padEnd(28)} ${median(times).toFixed(0)} µs per fdatasync after a write of ${bytes.length} B (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`);
}
