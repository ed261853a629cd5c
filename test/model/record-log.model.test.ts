/**
 * Model-based runs of the engine against the oracle on the in-memory disk: random command lists of
 * appends, group commits, syncs, reads, iterations, reopens, crashes (with torn and cut writes) and
 * a following reader. After every command the engine and the oracle agree.
 *
 * Volume: LSFS_FC_RUNS (see fcRuns); LSFS_FC_SEED replays a whole run. A failure prints its seed,
 * path and the shrunk command list (with its replayPath): add them to regressions.ts.
 */
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { memoryStorage } from '../support/arbitraries.js';
import { Stats, fcRuns, fcSeed, modelProperty, type RunEnvironment } from './commands.js';
import { type KnownBugs, mainTolerance, regressionsOf, toleranceFor } from './regressions.js';

const RUNS = fcRuns();
const MAX_COMMANDS = 40;
const stats = new Stats();
const started = Date.now();

async function memoryEnvironment(): Promise<RunEnvironment> {
  const memory = await memoryStorage();
  return { storage: memory, memory, path: '/mem/model.lsfs', cleanup: async () => undefined };
}

const property = (tolerate: KnownBugs, replayPath?: string) =>
  modelProperty({ environment: memoryEnvironment, crashes: true, maxCommands: MAX_COMMANDS, stats, tolerate, ...(replayPath === undefined ? {} : { replayPath }) });

afterAll(() => {
  console.log(stats.format(`record-log model (memory, ${RUNS} runs)`, Date.now() - started));
});

describe('RecordLog against the oracle, on the in-memory disk, through crashes', () => {
  it(`agrees with the oracle over ${RUNS} random command lists`, async () => {
    await fc.assert(property(mainTolerance()), { numRuns: RUNS, ...fcSeed() });
  });

  for (const regression of regressionsOf('memory-model')) {
    (regression.kind === 'open-bug' ? it.fails : it)(`regression (${regression.kind}) seed ${regression.seed}: ${regression.note}`, async () => {
      await fc.assert(property(toleranceFor(regression), regression.replayPath), { seed: regression.seed, path: regression.path, endOnFailure: true });
    });
  }
});
