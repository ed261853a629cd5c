/**
 * Model-based runs: random call sequences on MemoryLog (the oracle) and LsfsRaftLog side by side,
 * with restarts and simulated power losses (MemoryStorage.crash with a seeded random) in between.
 * After every call both must have returned the same value (or rejected with the same code), and
 * every observable value must match. Since every call is awaited before the next and a mutating
 * call resolves only once durable, a crash between calls loses nothing: after it the LSFS log must
 * equal the oracle exactly.
 *
 * The Raft safety invariants are also checked on their own, across crashes: the term never goes
 * back, a vote once recorded for a term never changes, and an entry once stored is never lost or
 * altered unless the API deleted it.
 *
 * A failure prints fast-check's seed and path; replay it with
 * `FC_SEED=<seed> FC_PATH=<path> npx vitest run test/raft/model.test.ts`.
 */
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStorage, seededRandom } from '../../src/io/memory-storage.js';
import { NodeStorage } from '../../src/io/node-storage.js';
import type { Storage } from '../../src/io/storage.js';
import { ENTRY_CODES, LsfsRaftLog, MemoryLog, type LogAPI, type NewEntry } from '../../src/raft/index.js';
import { observe, outcome, plainEntry, type Observed, type Outcome } from './support/observe.js';
import { MEMORY_DIRECTORY, SMALL_SEGMENTS } from './support/subjects.js';

/** The system under test: both logs, the disk of the LSFS one, and the safety history. */
class System {
  lsfs: LsfsRaftLog;
  readonly trace: string[] = [];
  private maxTerm = 0;
  private readonly votes = new Map<number, string>();
  /** Entries seen stored, by index, as JSON without the commit marks. */
  private readonly entries = new Map<number, string>();

  constructor(
    readonly oracle: MemoryLog,
    readonly storage: Storage,
    readonly directory: string,
    lsfs: LsfsRaftLog,
  ) {
    this.lsfs = lsfs;
  }

  static async create(storage: Storage, directory: string): Promise<System> {
    const oracle = new MemoryLog();
    await oracle.start();
    const system = new System(oracle, storage, directory, System.newLog(storage, directory));
    await system.lsfs.start();
    return system;
  }

  static newLog(storage: Storage, directory: string): LsfsRaftLog {
    return new LsfsRaftLog({ directory, storage, ...SMALL_SEGMENTS });
  }

  /** Runs a call on both logs and expects the same outcome. */
  async both<T>(label: string, call: (log: LogAPI) => Promise<T>, normalize: (value: T) => unknown = (value) => value): Promise<Outcome<T>> {
    this.trace.push(label);
    const expected = await outcome(() => call(this.oracle));
    const actual = await outcome(() => call(this.lsfs));
    const plain = (result: Outcome<T>) => (result.ok ? { ok: true, value: normalize(result.value) } : result);
    expect(plain(actual), `${label} (trace: ${this.trace.join('; ')})`).toEqual(plain(expected));
    return expected;
  }

  /** Compares every observable value, and checks the safety invariants. */
  async compare(): Promise<void> {
    const expected = await observe(this.oracle);
    const actual = await observe(this.lsfs);
    expect(actual, `after: ${this.trace.join('; ')}`).toEqual(expected);
    this.checkSafety(actual);
  }

  /** The API deleted these entries: they leave the safety history. */
  forget(from: number, to = Number.POSITIVE_INFINITY): void {
    for (const index of [...this.entries.keys()]) if (index >= from && index <= to) this.entries.delete(index);
  }

  private checkSafety(state: Observed): void {
    expect(state.term, 'the term went back').toBeGreaterThanOrEqual(this.maxTerm);
    this.maxTerm = state.term;
    if (state.votedFor !== undefined) {
      expect(this.votes.get(state.term) ?? state.votedFor, `the vote of term ${state.term} changed`).toBe(state.votedFor);
      this.votes.set(state.term, state.votedFor);
    }
    for (const [index, stored] of this.entries) {
      const entry = state.entries[index - 1];
      expect(entry === undefined ? undefined : withoutMarks(entry), `entry ${index} was lost or altered`).toBe(stored);
    }
    state.entries.forEach((entry) => {
      if (entry !== undefined) this.entries.set(entry.index, withoutMarks(entry));
    });
  }
}

function withoutMarks(entry: NonNullable<ReturnType<typeof plainEntry>>): string {
  const { committed: _committed, applied: _applied, ...rest } = entry;
  return JSON.stringify(rest);
}

/** An index chosen relative to the oracle's state when the command runs, so that most calls are valid. */
interface IndexChoice {
  readonly from: 'last' | 'commit' | 'applied' | 'snapshot' | 'zero';
  readonly delta: number;
}

const indexChoiceArb: fc.Arbitrary<IndexChoice> = fc.record({
  from: fc.constantFrom('last', 'last', 'commit', 'applied', 'snapshot', 'zero'),
  delta: fc.integer({ min: -2, max: 3 }),
});

/** Where insert and deleteAllFrom cut: mostly between the commit index and the end, where a cut is allowed. */
const cutChoiceArb: fc.Arbitrary<IndexChoice> = fc.oneof(
  indexChoiceArb,
  fc.record({ from: fc.constant('commit' as const), delta: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ from: fc.constant('last' as const), delta: fc.integer({ min: -3, max: 1 }) }),
);

async function resolveIndex(log: LogAPI, choice: IndexChoice): Promise<number> {
  const base = {
    last: () => log.getLastIndex(),
    commit: () => log.getCommitIndex(),
    applied: () => log.getAppliedIndex(),
    snapshot: async () => (await log.getSnapshot())?.index ?? 0,
    zero: async () => 0,
  }[choice.from];
  return (await base()) + choice.delta;
}

interface EntryShape {
  readonly termDelta: number;
  readonly command: Uint8Array;
  readonly code: (typeof ENTRY_CODES)[number];
  readonly serial: number | undefined;
  readonly leaderId: string | undefined;
  readonly result: Uint8Array | undefined;
  readonly error: boolean;
}

const entryShapeArb: fc.Arbitrary<EntryShape> = fc.record({
  termDelta: fc.constantFrom(-1, 0, 0, 0, 0, 1, 2),
  command: fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ maxLength: 700 })),
  code: fc.constantFrom(...ENTRY_CODES),
  serial: fc.option(fc.oneof(fc.nat(300), fc.maxSafeNat()), { nil: undefined }),
  leaderId: fc.option(fc.constantFrom('n1', 'n2', 'ñ3', ''), { nil: undefined }),
  result: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: undefined }),
  error: fc.boolean(),
});

function toEntry(shape: EntryShape, baseTerm: number): NewEntry {
  const { termDelta, ...fields } = shape;
  return { ...fields, term: Math.max(baseTerm + termDelta, termDelta < 0 ? -1 : 0) };
}

type Command = fc.AsyncCommand<object, System>;

/** A command that runs `body` and then compares the two logs. */
function command(label: string, body: (system: System) => Promise<void>): Command {
  return {
    check: () => true,
    run: async (_model, system) => {
      await body(system);
      await system.compare();
    },
    toString: () => label,
  };
}

const normalizeEntry = (entry: Awaited<ReturnType<LogAPI['read']>>) => plainEntry(entry);
const normalizeEntries = (entries: Awaited<ReturnType<LogAPI['appendMulti']>>) => entries.map(plainEntry);

function commandArbs(withCrashes: boolean): fc.Arbitrary<Command>[] {
  const arbs: fc.Arbitrary<Command>[] = [
    entryShapeArb.map((shape) =>
      command(`append(${JSON.stringify({ ...shape, command: shape.command.length })})`, async (system) => {
        const entry = toEntry(shape, await system.oracle.getLastTerm());
        await system.both('append', (log) => log.append(entry), normalizeEntry);
      }),
    ),
    fc.array(entryShapeArb, { maxLength: 6 }).map((shapes) =>
      command(`appendMulti(${shapes.length})`, async (system) => {
        // Terms climb along the batch; only the first entry may step below the last term.
        let term = await system.oracle.getLastTerm();
        const entries = shapes.map((shape, i) => {
          const entry = toEntry(i === 0 ? shape : { ...shape, termDelta: Math.max(0, shape.termDelta) }, term);
          term = Math.max(term, entry.term);
          return entry;
        });
        await system.both('appendMulti', (log) => log.appendMulti(entries), normalizeEntries);
      }),
    ),
    fc.array(entryShapeArb, { minLength: 2, maxLength: 8 }).map((shapes) =>
      command(`concurrent appends(${shapes.length})`, async (system) => {
        const last = await system.oracle.getLastTerm();
        const entries = shapes.map((shape) => toEntry({ ...shape, termDelta: 0 }, last));
        await system.both('concurrent appends', (log) => Promise.all(entries.map((entry) => log.append(entry))), normalizeEntries);
      }),
    ),
    fc.tuple(cutChoiceArb, entryShapeArb).map(([choice, shape]) =>
      command(`insert(${JSON.stringify(choice)}, termDelta ${shape.termDelta})`, async (system) => {
        const index = await resolveIndex(system.oracle, choice);
        const entry = { ...toEntry(shape, await system.oracle.getLastTerm()), index };
        const done = await system.both('insert', (log) => log.insert(entry), normalizeEntry);
        if (done.ok) system.forget(index);
      }),
    ),
    cutChoiceArb.map((choice) =>
      command(`deleteAllFrom(${JSON.stringify(choice)})`, async (system) => {
        const index = await resolveIndex(system.oracle, choice);
        const done = await system.both('deleteAllFrom', (log) => log.deleteAllFrom(index));
        if (done.ok) system.forget(index);
      }),
    ),
    indexChoiceArb.map((choice) =>
      command(`markCommitted(${JSON.stringify(choice)})`, async (system) => {
        const index = await resolveIndex(system.oracle, choice);
        await system.both('markCommitted', (log) => log.markCommitted(index));
      }),
    ),
    indexChoiceArb.map((choice) =>
      command(`markApplied(${JSON.stringify(choice)})`, async (system) => {
        const index = await resolveIndex(system.oracle, choice);
        await system.both('markApplied', (log) => log.markApplied(index));
      }),
    ),
    fc.tuple(indexChoiceArb, fc.constantFrom('matching', 'matching', 'other')).map(([choice, termKind]) =>
      command(`installSnapshot(${JSON.stringify(choice)}, ${termKind})`, async (system) => {
        const index = await resolveIndex(system.oracle, choice);
        const held = index >= 1 ? await system.oracle.read(index) : undefined;
        const last = await system.oracle.getLastTerm();
        const term = termKind === 'matching' ? (held?.term ?? last) : last + 1;
        const done = await system.both('installSnapshot', (log) => log.installSnapshot({ index, term }));
        if (done.ok) system.forget(1, index);
      }),
    ),
    fc.option(fc.integer({ min: -1, max: 40 }), { nil: undefined }).map((index) =>
      command(`read(${index})`, async (system) => {
        await system.both('read', (log) => log.read(index), normalizeEntry);
      }),
    ),
    fc.constantFrom(-1, 0, 1, 2).map((delta) =>
      command(`setTerm(+${delta})`, async (system) => {
        const term = (await system.oracle.getTerm()) + delta;
        await system.both('setTerm', (log) => log.setTerm(term));
      }),
    ),
    fc.constant(command('incrTerm', (system) => system.both('incrTerm', (log) => log.incrTerm()).then(() => undefined))),
    fc.constantFrom('n1', 'n2', 'n3', '').map((id) => command(`setVotedFor(${id})`, (system) => system.both('setVotedFor', (log) => log.setVotedFor(id)).then(() => undefined))),
    fc.constantFrom('u1', 'u2').map((uri) => command(`setUri(${uri})`, (system) => system.both('setUri', (log) => log.setUri(uri)).then(() => undefined))),
    fc.boolean().map((broken) =>
      command(broken ? 'setBroken' : 'setFixed', (system) => system.both('broken', (log) => (broken ? log.setBroken() : log.setFixed())).then(() => undefined)),
    ),
    fc.subarray(['n1', 'n2', 'n3']).map((members) =>
      command(`saveClusterConfig(${members})`, async (system) => {
        const config = { nodes: Object.fromEntries(members.map((id) => [id, { uri: id }])), settings: { heartbeatPeriod: members.length } };
        await system.both('saveClusterConfig', (log) => log.saveClusterConfig(config));
      }),
    ),
    fc.boolean().map((sameObject) =>
      command(`restart(${sameObject ? 'same object' : 'new object'})`, async (system) => {
        system.trace.push('restart');
        await system.oracle.stop();
        await system.oracle.start();
        await system.lsfs.stop();
        if (!sameObject) system.lsfs = System.newLog(system.storage, system.directory);
        await system.lsfs.start();
      }),
    ),
  ];
  if (withCrashes) {
    arbs.push(
      fc.integer().map((seed) =>
        command(`crash(seed ${seed})`, async (system) => {
          system.trace.push(`crash(${seed})`);
          (system.storage as MemoryStorage).crash(seededRandom(seed));
          // The old object's handles are dead: a new process opens the directory.
          system.lsfs = System.newLog(system.storage, system.directory);
          await system.lsfs.start();
          await system.oracle.stop();
          await system.oracle.start();
        }),
      ),
    );
  }
  return arbs;
}

function replayParameters(): fc.Parameters<unknown> {
  const seed = process.env.FC_SEED;
  const path = process.env.FC_PATH;
  return seed === undefined ? {} : { seed: Number(seed), ...(path === undefined ? {} : { path }) };
}

/** Default runs scaled by LSFS_FC_RUNS (the model suites' knob; its default is 1000). */
function runs(atDefault: number): number {
  const requested = Number.parseInt(process.env.LSFS_FC_RUNS ?? '', 10);
  return Number.isFinite(requested) && requested > 0 ? Math.max(1, Math.round((atDefault * requested) / 1000)) : atDefault;
}

describe('LsfsRaftLog against the MemoryLog oracle', () => {
  // covers RLG-011, RLG-101: a crash between calls loses nothing; the term, a vote and a stored entry never go back.
  it('on MemoryStorage, with restarts and crashes between calls', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commandArbs(true), { maxCommands: 60, size: 'large' }), async (commands) => {
        const storage = new MemoryStorage();
        const system = await System.create(storage, MEMORY_DIRECTORY);
        await fc.asyncModelRun(() => ({ model: {}, real: system }), commands);
      }),
      { numRuns: runs(250), ...replayParameters() },
    );
  });

  it('on NodeStorage, with restarts', async () => {
    const root = await mkdtemp(join(tmpdir(), 'lsfs-raft-model-'));
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.commands(commandArbs(false), { maxCommands: 40, size: 'large' }), async (commands) => {
          const system = await System.create(new NodeStorage(), join(root, `run-${run++}`));
          try {
            await fc.asyncModelRun(() => ({ model: {}, real: system }), commands);
          } finally {
            await system.lsfs.stop().catch(() => undefined);
          }
        }),
        { numRuns: runs(25), ...replayParameters() },
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
