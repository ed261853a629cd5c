/**
 * Experiment for workload 2 (not part of `npm run bench`): how many entries each fdatasync covers
 * when N appenders each append one entry and await it, on LsfsRaftLog and on RecordLog. Counts
 * FileHandle.datasync calls by wrapping the prototype.
 *
 *   node dist/bench/experiments/group-commit.js [appenders=16] [entries=2048] [dir]
 */
import { mkdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordLog } from '../../src/index.js';
import { LsfsRaftLog } from '../../src/raft/index.js';
import { commandOf } from '../lib/data.js';

const appenders = Number(process.argv[2] ?? 16);
const total = Number(process.argv[3] ?? 2048);
const root = join(process.argv[4] ?? tmpdir(), `lsfs-group-commit-${process.pid}`);
mkdirSync(root, { recursive: true });

let syncs = 0;
const probe = await open(join(root, 'probe'), 'w');
const prototype = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
await probe.close();
const datasync = prototype.datasync;
prototype.datasync = function (this: unknown) {
  syncs++;
  return datasync.call(this);
};

async function measure(name: string, append: (command: Uint8Array) => Promise<unknown>, close: () => Promise<void>): Promise<void> {
  syncs = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: appenders }, async () => {
      while (next < total) await append(commandOf(next++, 256));
    }),
  );
  const ms = performance.now() - started;
  await close();
  console.log(`${name.padEnd(10)} ${appenders} appenders: ${Math.round((total * 1000) / ms)} entries/s, ${syncs} fdatasyncs, ${(total / syncs).toFixed(1)} entries per fdatasync`);
}

try {
  for (let round = 0; round < 2; round++) {
    const raftDir = join(root, `raft-${round}`);
    const raft = new LsfsRaftLog({ directory: raftDir });
    await raft.start();
    await measure('raft', (command) => raft.append({ term: 1, command }), () => raft.stop());
    const log = await RecordLog.open(join(root, `record-log-${round}.lsfs`), { baseIndex: 1n });
    await measure(
      'recordlog',
      async (command) => {
        log.append(1n, command);
        await log.sync();
      },
      () => log.close(),
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
