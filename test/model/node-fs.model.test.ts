/**
 * The same model on the real file system (NodeStorage in a temporary folder): every command except
 * crashes, which need the in-memory disk. Fewer runs: real I/O is slower, and what it adds over
 * the memory runs is the real OS's behaviour (partial writes, real fdatasync, the lock file).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { NodeStorage } from '../../src/io/node-storage.js';
import { Stats, fcRuns, fcSeed, modelProperty, type RunEnvironment } from './commands.js';
import { type KnownBugs, mainTolerance, regressionsOf, toleranceFor } from './regressions.js';

const RUNS = fcRuns(0.2);
const MAX_COMMANDS = 30;
const stats = new Stats();
const started = Date.now();
let folder = '';
let runNumber = 0;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'lsfs-model-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  console.log(stats.format(`record-log model (node fs, ${RUNS} runs)`, Date.now() - started));
});

/** A fresh file per run (and its lock file), removed afterwards. */
async function nodeEnvironment(): Promise<RunEnvironment> {
  const path = join(folder, `run-${++runNumber}.lsfs`);
  return {
    storage: new NodeStorage(),
    memory: undefined,
    path,
    cleanup: async () => {
      await rm(path, { force: true });
      await rm(`${path}.lock`, { force: true });
    },
  };
}

const property = (tolerate: KnownBugs, replayPath?: string) =>
  modelProperty({ environment: nodeEnvironment, crashes: false, maxCommands: MAX_COMMANDS, stats, tolerate, ...(replayPath === undefined ? {} : { replayPath }) });

describe('RecordLog against the oracle, on the real file system', () => {
  it(`agrees with the oracle over ${RUNS} random command lists`, async () => {
    await fc.assert(property(mainTolerance()), { numRuns: RUNS, ...fcSeed() });
  });

  for (const regression of regressionsOf('node-fs-model')) {
    (regression.kind === 'open-bug' ? it.fails : it)(`regression (${regression.kind}) seed ${regression.seed}: ${regression.note}`, async () => {
      await fc.assert(property(toleranceFor(regression), regression.replayPath), { seed: regression.seed, path: regression.path, endOnFailure: true });
    });
  }
});
