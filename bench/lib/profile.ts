/** The sizes of a run: the quick profile (about two minutes on two cores) and the full one. */

const MiB = 1 << 20;

export interface Profile {
  readonly name: 'quick' | 'full';
  /** Measured repetitions per store and workload, after one warm-up run each. */
  readonly reps: number;
  /** Repetitions of the durable append workloads (1 and 2), whose fsync latency varies most. */
  readonly syncReps: number;
  /**
   * Unmeasured runs per store before workload 1 (later rows need one): V8 optimizes LSFS's
   * JavaScript append path only after some tens of thousands of appends.
   */
  readonly appendWarmUps: number;
  /** Workload 1: durable batches of 100 entries per run. */
  readonly raftBatches: number;
  /** Workload 2: appends per appender, with 16 appenders and with 1. */
  readonly perAppender16: number;
  readonly perAppender1: number;
  /** Workload 3: payload bytes per run (4 KiB entries). */
  readonly unsyncedBytes: number;
  /** Workload 4: payload sizes of the logs opened; the largest one also serves workloads 5 and 6. */
  readonly openSizes: readonly number[];
  /** Workload 4: open + last-entry measurements per run (the median is the run's value). */
  readonly opensPerRun: number;
  /** Workload 5: random reads per run. */
  readonly reads: number;
  /** Workload 7: payload bytes written per entry size. */
  readonly spacePayload: number;
}

export const QUICK: Profile = {
  name: 'quick',
  reps: 3,
  syncReps: 5,
  appendWarmUps: 3,
  raftBatches: 100,
  perAppender16: 40,
  perAppender1: 100,
  unsyncedBytes: 32 * MiB,
  openSizes: [64 * MiB, 256 * MiB],
  opensPerRun: 5,
  reads: 20_000,
  spacePayload: 8 * MiB,
};

export const FULL: Profile = {
  name: 'full',
  reps: 5,
  syncReps: 7,
  appendWarmUps: 2,
  raftBatches: 500,
  perAppender16: 250,
  perAppender1: 1000,
  unsyncedBytes: 256 * MiB,
  openSizes: [64 * MiB, 1024 * MiB],
  opensPerRun: 9,
  reads: 100_000,
  spacePayload: 64 * MiB,
};

export function formatSize(bytes: number): string {
  if (bytes >= 1 << 30 && bytes % (1 << 30) === 0) return `${bytes / (1 << 30)} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}
