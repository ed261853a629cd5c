/**
 * Seeds worth replaying on every run: failures the model suites found (engine bugs not fixed yet),
 * and the seeds that caught the deliberately broken engines of the mutation check, so that those
 * bug classes stay covered even by a small LSFS_FC_RUNS. Each replays exactly with
 * `fc.assert(property, { seed, path })`; `replayPath` (printed by fast-check after a failing
 * command list, as `/*replayPath="..."*\/`) makes the shrunk command list exact as well.
 *
 * To add one: copy `seed` and `path` from the failure message (and the command list's replayPath).
 */
export type RegressionSuite = 'memory-model' | 'node-fs-model' | 'corruption';

export interface Regression {
  readonly suite: RegressionSuite;
  readonly seed: number;
  readonly path: string;
  readonly replayPath?: string;
  /**
   * `open-bug`: shows an engine bug not fixed yet. It replays with no tolerance and runs as an
   * expected failure (`it.fails`): once the engine is fixed it fails, and says so — then drop its
   * KnownBugs flag and make it a `guard`. `guard`: must pass.
   */
  readonly kind: 'open-bug' | 'guard';
  /** What it found, and what it guards against. */
  readonly note: string;
}

/**
 * Engine bugs these suites found that are not fixed yet (src/ is not the tests' to change). The
 * main runs tolerate exactly the deviation described, and count it in their statistics (lines
 * starting "KNOWN BUG"), so that they go on looking for other bugs.
 */
export interface KnownBugs {
  /**
   * Spec §10 steps 2-3, RSF-031, RSF-100: when the header of the last block is damaged and intact
   * slices follow it, opening fails with code TORN_TAIL (src/engine/tail.ts, lastRecordEndIn)
   * instead of the header's own code (BAD_MAGIC, CHECKSUM_MISMATCH, ...). TORN_TAIL is what a
   * crash leaves; this damage is interior.
   */
  readonly tornTailCodeForInteriorBlockHeader: boolean;
  /**
   * RecordLog.appendMany ("checks them all before appending any") checks only the arguments' types
   * up front: a batch whose later records would pass MAX_RECORD_INDEX appends the records that fit,
   * then throws INDEX_OVERFLOW, so the caller cannot tell what went in (RSF-004: a refused record
   * writes nothing; the batch's contract says none is appended).
   */
  readonly appendManyPartialOnOverflow: boolean;
}

/** Both fixed: the flags stay so that a future known bug has a place; none is tolerated now. */
export const KNOWN_ENGINE_BUGS: KnownBugs = {
  tornTailCodeForInteriorBlockHeader: false,
  appendManyPartialOnOverflow: false,
};

export const NO_TOLERANCE: KnownBugs = {
  tornTailCodeForInteriorBlockHeader: false,
  appendManyPartialOnOverflow: false,
};

/** The tolerance of the main runs: none when LSFS_NO_TOLERANCE=1 (to see the known bugs fail). */
export function mainTolerance(): KnownBugs {
  return process.env.LSFS_NO_TOLERANCE === '1' ? NO_TOLERANCE : KNOWN_ENGINE_BUGS;
}

/** The tolerance a regression replays with. */
export function toleranceFor(regression: Regression): KnownBugs {
  return regression.kind === 'open-bug' ? NO_TOLERANCE : KNOWN_ENGINE_BUGS;
}

export const REGRESSIONS: readonly Regression[] = [
  // Engine bugs these suites found, now fixed: they guard against their return.
  {
    suite: 'corruption',
    kind: 'guard',
    seed: 853667967,
    path: '26:0:1:1:1:1:2:3:3:3:3:3:3:3:3:3:3:3:3:3:11:10:0:7:2:3:3:3:4:4',
    note: 'fixed (tail.ts reports the header damage of the block after the last valid one): a flip in the magic of the last block header (512, records of 423 and 0 bytes) opened as TORN_TAIL@512, not BAD_MAGIC@512',
  },
  {
    suite: 'memory-model',
    kind: 'guard',
    seed: 2051600551,
    path: '8:1:0:0:0:0:2:2:9:8:8:8:9:10:10:10:10:9:9:9:9:9:13:13:10:11:12:10:11:15:15:15:15:15:15:15:16:16:16:16:16:18:18:18:21:20:20:20:22:22:22:22:23:23:23:23:23:23:23:23:23',
    replayPath: 'OEAA////U:1H',
    note: 'fixed (appendMany checks the whole batch first): near MAX_RECORD_INDEX, appendMany of 4 records appends 3 and throws INDEX_OVERFLOW',
  },
  // Seeds that caught the deliberately broken engines (mutation check); they pass on a sound one.
  {
    suite: 'memory-model',
    kind: 'guard',
    seed: -1447473055,
    path: '1:67:9:7:7:5:5:5:5:5:5:8:5:5:9:5:6:7:6:6:8:10:5',
    replayPath: 'TJ/h:N',
    note: 'a writer that rewrites synced bytes (zeroes, then rewrites, the part of its sector already written) loses a synced record in a crash',
  },
  {
    suite: 'memory-model',
    kind: 'guard',
    seed: -594207954,
    path: '18:131:3:2:4:9:12:10:10:12:5:5:6:2:5:1:1:1:1:2:1:1:1:1:1:2:4:4:5:5:5:5:5:14:1:2:2:1:1:1:4:1:2:1:1',
    replayPath: 'BAgA///x:1D',
    note: 'a reader that skips the slice_crc check returns a record whose end a crash tore to zeros',
  },
  {
    suite: 'corruption',
    kind: 'guard',
    seed: -913139231,
    path: '1:0:1:1:1:1:1:1:1:1:1:1:1:1:1:2:1:1:8:0:5:9:1',
    note: 'a reader that skips the slice_crc check returns a record with a flipped type code',
  },
  {
    suite: 'memory-model',
    kind: 'guard',
    seed: -1355240722,
    path: '0:5:2:4:4:5:5:5:5:5:6:5:5:5:5:5:5:5:5:5:7:9:5:5:5:7:6:5:6:5:8:5:11:7:5',
    replayPath: 'QVAA//O:1B',
    note: 'a tail recovery that cuts one record more than the torn tail drops a synced record',
  },
  {
    suite: 'corruption',
    kind: 'guard',
    seed: 554728264,
    path: '53:0:2:1:1:2:3:3:3:3:3:3:3:3:3:3:3:3:6:28:3:4:4',
    note: 'a tail finder that drops the last record before tail damage returns one record too few',
  },
];

export function regressionsOf(suite: RegressionSuite): readonly Regression[] {
  return REGRESSIONS.filter((regression) => regression.suite === suite);
}
