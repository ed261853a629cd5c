/**
 * raft-log cases (conformance/PROTOCOL.md §4.7, spec/lsfs-raft-log.md §3): traces of LogAPI calls
 * with the answers of the MemoryLog oracle, checked against LsfsRaftLog while they are generated
 * (scripts/vectors/raft-trace.ts). After every restart (stop, start) and every kill the trace checks
 * every getter and every entry again, so that each state a trace reaches is shown to survive.
 *
 * Arguments are written as they travel: indexes, terms and serials as decimal strings, bytes as hex.
 */
import type { JsonValue } from '../../../conformance/testees/raft-sessions.js';
import type { RaftTrace } from '../raft-trace.js';
import type { RaftSpec } from '../spec.js';
import { seededRandom } from '../../../src/io/memory-storage.js';

type Args = Record<string, JsonValue>;

/** Segment size hint of most cases: large enough that the log stays in one segment. */
const ONE_SEGMENT = 1 << 20;
/** Segment size hint of the `Segments` cases: a few entries per segment file. */
const SMALL_SEGMENTS = 1024;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** 2^53: the first integer that is not safe (RLG-012: INVALID_ARGUMENT). */
const TWO_TO_53 = '9007199254740992';
const U64_MAX = '18446744073709551615';

const n = (value: number): string => String(value);
const hexOf = (text: string): string => Buffer.from(text, 'utf8').toString('hex');

/** An entry argument: a term, a command given as text, and other fields as they travel. */
function entry(term: number | string, command?: string, fields: Args = {}): Args {
  return { term: typeof term === 'number' ? n(term) : term, ...(command === undefined ? {} : { command: hexOf(command) }), ...fields };
}

/** Deterministic bytes: a seeded run of `length` bytes, as hex. */
function bytesHex(seed: number, length: number): string {
  const random = seededRandom(seed);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes.toString('hex');
}

function raft(
  id: string,
  description: string,
  script: (t: RaftTrace) => Promise<void>,
  options: { requirements?: string[]; flags?: string[]; segmentBytes?: number } = {},
): RaftSpec {
  const segmentBytes = options.segmentBytes ?? ONE_SEGMENT;
  const flags = [...(options.flags ?? []), ...(segmentBytes < ONE_SEGMENT ? ['Segments'] : [])];
  return { profile: 'raft-log', id: `raft/${id}`, description, requirements: options.requirements ?? [], flags, segmentBytes, script };
}

const CONFIG_A: JsonValue = {
  nodes: {
    'raft://node-a': { uri: 'raft://node-a' },
    'raft://node-b': { uri: 'raft://node-b', isAdding: true },
  },
  pendingNode: null,
  settings: {
    heartbeatPeriod: 0.25,
    electionTimeoutMin: 1,
    electionTimeoutMax: 2.5,
    maxEntriesPerMessage: 100,
    usePreVote: true,
    useCheckQuorum: false,
    useDynamicConfig: true,
    commandsIdempotent: false,
  },
};

const CONFIG_B: JsonValue = {
  nodes: {},
  pendingNode: { uri: 'raft://node-c', isLoading: true },
  extra: { list: [1, 'two', null, true, { deep: [] }], text: 'ünïcödé ✓ 🚀', negative: -3, fraction: 0.5 },
};

/** One of every call that changes the log, in an order that keeps each valid: the restart and kill traces. */
async function everyKindOfChange(t: RaftTrace, after: (what: string) => Promise<void>): Promise<void> {
  const steps: [string, () => Promise<unknown>][] = [
    ['setUri', () => t.ok('setUri', { uri: 'raft://node-a' })],
    ['setTerm', () => t.ok('setTerm', { term: '1' })],
    ['setVotedFor', () => t.ok('setVotedFor', { nodeId: 'raft://node-b' })],
    ['append', () => t.ok('append', { entry: entry(1, 'first', { code: 'TERM_START', leaderId: 'raft://node-b' }) })],
    ['appendMulti', () => t.ok('appendMulti', { entries: [entry(1, 'x=1', { serial: '1' }), entry(1, 'y=2', { serial: '2' }), entry(1, 'z=3', { serial: '3' })] })],
    ['markCommitted', () => t.ok('markCommitted', { index: '2' })],
    ['markApplied', () => t.ok('markApplied', { index: '1' })],
    ['saveClusterConfig', () => t.ok('saveClusterConfig', { config: CONFIG_A })],
    ['incrTerm', () => t.ok('incrTerm')],
    ['setVotedFor again', () => t.ok('setVotedFor', { nodeId: 'raft://node-a' })],
    ['insert (conflict)', () => t.ok('insert', { entry: entry(2, 'replaces 3 and 4', { index: '3', result: 'ff' }) })],
    ['append after insert', () => t.ok('append', { entry: entry(2, 'w=4', { error: true, result: hexOf('failed') }) })],
    ['deleteAllFrom', () => t.ok('deleteAllFrom', { index: '4' })],
    ['appendMulti again', () => t.ok('appendMulti', { entries: [entry(2, 'v=5'), entry(3, 'u=6'), entry(3, 't=7')] })],
    ['setBroken', () => t.ok('setBroken')],
    ['markCommitted again', () => t.ok('markCommitted', { index: '5' })],
    ['installSnapshot', () => t.ok('installSnapshot', { snapshot: { index: '3', term: '2' } })],
    ['markApplied again', () => t.ok('markApplied', { index: '5' })],
    ['setFixed', () => t.ok('setFixed')],
    ['saveClusterConfig again', () => t.ok('saveClusterConfig', { config: CONFIG_B })],
    ['installSnapshot beyond the log', () => t.ok('installSnapshot', { snapshot: { index: '12', term: '4' } })],
    ['append after the snapshot', () => t.ok('append', { entry: entry(4, 'after the snapshot') })],
  ];
  for (const [what, step] of steps) {
    await step();
    await after(what);
  }
}

/** A seeded random trace: mostly valid calls, some refused ones, restarts and at most two kills. */
export async function randomScript(t: RaftTrace, seed: number, calls: number): Promise<void> {
  const random = seededRandom(seed);
  const chance = (p: number): boolean => random() < p;
  const int = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const nodes = ['raft://a', 'raft://b', 'raft://c'];
  let kills = 0;
  let payload = seed * 1000;
  const randomEntry = (term: number): Args => {
    const fields: Args = { term: n(Math.max(0, term)), command: bytesHex(payload++, int(0, 24)) };
    if (chance(0.2)) fields.result = bytesHex(payload++, int(0, 8));
    if (chance(0.1)) fields.error = true;
    if (chance(0.2)) fields.code = pick(['TERM_START', 'CLUSTER_CONFIG', 'CLIENT_COMMAND']);
    if (chance(0.3)) fields.serial = n(int(0, 100000));
    if (chance(0.3)) fields.leaderId = pick([...nodes, '']);
    return fields;
  };
  /** An index for insert and deleteAllFrom: mostly where a cut is allowed, sometimes where it is refused. */
  const cutIndex = (view: Awaited<ReturnType<RaftTrace['view']>>): number => {
    const low = Math.max(view.commitIndex, view.snapshotIndex) + 1;
    if (chance(0.75) && low <= view.lastIndex + 1) return int(low, view.lastIndex + 1);
    return pick([0, view.commitIndex, view.snapshotIndex, view.lastIndex + 2].filter((index) => index >= 0));
  };

  await t.ok('start');
  for (let i = 0; i < calls; i++) {
    const view = await t.view();
    const r = random();
    if (r < 0.26) {
      const term = view.lastTerm + (chance(0.15) ? 1 : 0) - (chance(0.05) ? 1 : 0);
      await t.call('append', { entry: randomEntry(term) });
    } else if (r < 0.33) {
      let term = view.lastTerm;
      const entries: Args[] = [];
      for (let k = int(0, 4); k > 0; k--) {
        term += chance(0.2) ? 1 : 0;
        term -= chance(0.05) ? 1 : 0;
        entries.push(randomEntry(term));
      }
      await t.call('appendMulti', { entries });
    } else if (r < 0.45) {
      const index = cutIndex(view);
      const before = (await view.termAt(index - 1)) ?? view.lastTerm;
      const term = before + (chance(0.4) ? 1 : 0) - (chance(0.08) ? 1 : 0);
      await t.call('insert', { entry: { ...randomEntry(term), index: n(index) } });
    } else if (r < 0.5) {
      await t.call('deleteAllFrom', { index: n(cutIndex(view)) });
    } else if (r < 0.6) {
      const index = chance(0.85) ? int(view.commitIndex, view.lastIndex) : pick([0, view.lastIndex + 1]);
      await t.call('markCommitted', { index: n(index) });
    } else if (r < 0.68) {
      const index = chance(0.85) ? int(view.appliedIndex, view.commitIndex) : pick([0, view.commitIndex + 1, view.lastIndex + 1]);
      await t.call('markApplied', { index: n(index) });
    } else if (r < 0.72) {
      await t.call('setTerm', { term: n(Math.max(0, view.term + int(-1, 2))) });
    } else if (r < 0.74) {
      await t.call('incrTerm');
    } else if (r < 0.79) {
      await t.call('setVotedFor', { nodeId: pick(nodes) });
    } else if (r < 0.83) {
      const index = int(Math.max(1, view.snapshotIndex), view.lastIndex + 2);
      const held = await view.termAt(index);
      const term = held !== undefined && !chance(0.1) ? held : view.lastTerm + int(0, 1);
      await t.call('installSnapshot', { snapshot: { index: n(index), term: n(term) } });
    } else if (r < 0.85) {
      await t.call('saveClusterConfig', { config: chance(0.5) ? CONFIG_A : { nodes: { [pick(nodes)]: { uri: pick(nodes) } } } });
    } else if (r < 0.9) {
      await t.call('read', { index: n(int(0, view.lastIndex + 2)) });
    } else if (r < 0.93) {
      await t.call(pick(['getTerm', 'getVotedFor', 'getFirstIndex', 'getLastIndex', 'getLastTerm', 'getCommitIndex', 'getAppliedIndex', 'getSnapshot', 'getStats'] as const));
    } else if (r < 0.985 || kills >= 2) {
      await t.restart();
    } else {
      kills++;
      await t.kill();
    }
  }
  await t.restart();
}

export function raftCases(): RaftSpec[] {
  const cases: RaftSpec[] = [];
  const add = (...args: Parameters<typeof raft>): void => {
    cases.push(raft(...args));
  };

  add('empty/new-log', 'a new log: term 0, no vote, no URI, not broken, no entry (first index null, last index and last term 0), commit and applied 0, no snapshot, no cluster config; the same after a restart', async (t) => {
    await t.ok('start');
    await t.checkAll();
    await t.restart();
  });

  add(
    'lifecycle/closed-until-started',
    'every call before start is CLOSED, before its arguments are checked (RLG-012); start and stop are idempotent; after stop calls are CLOSED again, and a second start serves the same log',
    async (t) => {
      await t.ok('stop');
      await t.refuse('CLOSED', 'getTerm');
      await t.refuse('CLOSED', 'read');
      await t.refuse('CLOSED', 'append', { entry: entry(1, 'too early') });
      await t.refuse('CLOSED', 'insert', { entry: entry(1, 'index 0 is checked after CLOSED', { index: '0' }) });
      await t.refuse('CLOSED', 'getStats');
      await t.ok('start');
      await t.ok('start');
      await t.ok('setTerm', { term: '2' });
      await t.ok('append', { entry: entry(2, 'one') });
      await t.ok('stop');
      await t.ok('stop');
      await t.refuse('CLOSED', 'getTerm');
      await t.refuse('CLOSED', 'markCommitted', { index: '0' });
      await t.refuse('CLOSED', 'setVotedFor', { nodeId: '' });
      await t.ok('start');
      await t.checkAll();
    },
  );

  add(
    'lifecycle/second-writer-locked',
    'two sessions over one directory: the second start is LOCKED while the first log is started (RLG-081), and its calls are CLOSED; once the first stops, the second starts and sees everything the first wrote',
    async (t) => {
      await t.ok('start');
      await t.ok('setTerm', { term: '3' });
      await t.ok('append', { entry: entry(3, 'written by session 0') });
      await t.refuse('LOCKED', 'start', undefined, 1);
      await t.refuse('CLOSED', 'getTerm', undefined, 1);
      await t.ok('stop');
      await t.ok('start', undefined, 1);
      await t.checkAll(1);
      await t.refuse('LOCKED', 'start');
      await t.refuse('CLOSED', 'getTerm');
      await t.ok('setVotedFor', { nodeId: 'raft://node-2' }, 1);
      await t.ok('append', { entry: entry(3, 'written by session 1') }, 1);
      await t.ok('stop', undefined, 1);
      await t.ok('start');
      await t.checkAll();
    },
  );

  add(
    'term-vote/set-term',
    'setTerm: the same term changes nothing and keeps the vote, a higher term clears it, a lower one is INVALID_ARGUMENT; incrTerm adds 1 and clears the vote; all of it survives restarts',
    async (t) => {
      await t.ok('start');
      await t.ok('setTerm', { term: '0' });
      await t.ok('setVotedFor', { nodeId: 'raft://n1' });
      await t.ok('setTerm', { term: '0' });
      await t.ok('getVotedFor');
      await t.ok('setTerm', { term: '5' });
      await t.ok('getVotedFor');
      await t.ok('setVotedFor', { nodeId: 'raft://n2' });
      await t.ok('setTerm', { term: '5' });
      await t.restart();
      await t.refuse('INVALID_ARGUMENT', 'setTerm', { term: '4' });
      await t.refuse('INVALID_ARGUMENT', 'setTerm', { term: '0' });
      await t.ok('getTerm');
      await t.ok('getVotedFor');
      await t.ok('incrTerm');
      await t.ok('getVotedFor');
      await t.restart();
      await t.ok('setTerm', { term: '1000' });
      await t.ok('incrTerm');
      await t.restart();
    },
  );

  add(
    'term-vote/one-vote-per-term',
    'setVotedFor: one vote per term; the same vote again changes nothing, another node is INVALID_ARGUMENT, also after a restart; only a new term clears the vote',
    async (t) => {
      await t.ok('start');
      await t.ok('setTerm', { term: '1' });
      await t.ok('setVotedFor', { nodeId: 'raft://n1' });
      await t.ok('setVotedFor', { nodeId: 'raft://n1' });
      await t.refuse('INVALID_ARGUMENT', 'setVotedFor', { nodeId: 'raft://n2' });
      await t.ok('getVotedFor');
      await t.restart();
      await t.refuse('INVALID_ARGUMENT', 'setVotedFor', { nodeId: 'raft://n2' });
      await t.ok('setVotedFor', { nodeId: 'raft://n1' });
      await t.ok('incrTerm');
      await t.ok('setVotedFor', { nodeId: 'raft://n2' });
      await t.restart();
      await t.refuse('INVALID_ARGUMENT', 'setVotedFor', { nodeId: 'raft://n1' });
      await t.ok('setTerm', { term: '7' });
      await t.ok('setVotedFor', { nodeId: 'raft://n1' });
      await t.restart();
    },
  );

  add(
    'term-vote/ids',
    'a vote and a URI are non-empty strings of at most 1024 UTF-8 bytes (RLG-014), counted in bytes, not characters: 1024 bytes pass, 1025 or 1026 do not; refusals change nothing',
    async (t) => {
      await t.ok('start');
      await t.refuse('INVALID_ARGUMENT', 'setVotedFor', { nodeId: '' });
      await t.refuse('INVALID_ARGUMENT', 'setUri', { uri: '' });
      await t.refuse('INVALID_ARGUMENT', 'setVotedFor', { nodeId: 'v'.repeat(1025) });
      await t.refuse('INVALID_ARGUMENT', 'setVotedFor', { nodeId: '€'.repeat(342) });
      await t.ok('setVotedFor', { nodeId: `${'€'.repeat(341)}x` });
      await t.ok('incrTerm');
      await t.ok('setVotedFor', { nodeId: 'nœud-ü-🚀' });
      await t.ok('incrTerm');
      await t.ok('setVotedFor', { nodeId: 'v'.repeat(1024) });
      await t.ok('setUri', { uri: 'raft://node-1' });
      await t.refuse('INVALID_ARGUMENT', 'setUri', { uri: `${'é'.repeat(512)}x` });
      await t.ok('getUri');
      await t.ok('setUri', { uri: 'é'.repeat(512) });
      await t.restart();
      await t.ok('setUri', { uri: 'raft://node-2' });
      await t.restart();
    },
  );

  add(
    'term-vote/term-limit',
    'the term is a safe integer: 2^53 - 1 is the largest; incrTerm past it and setTerm to 2^53 or 2^64 - 1 are INVALID_ARGUMENT',
    async (t) => {
      await t.ok('start');
      await t.ok('setTerm', { term: n(MAX_SAFE - 1) });
      await t.ok('setVotedFor', { nodeId: 'raft://n1' });
      await t.ok('incrTerm');
      await t.refuse('INVALID_ARGUMENT', 'incrTerm');
      await t.refuse('INVALID_ARGUMENT', 'setTerm', { term: TWO_TO_53 });
      await t.refuse('INVALID_ARGUMENT', 'setTerm', { term: U64_MAX });
      await t.ok('setVotedFor', { nodeId: 'raft://n1' });
      await t.restart();
    },
    { flags: ['SafeIntegerLimit'] },
  );

  add('identity/uri-and-broken', 'setUri, setBroken and setFixed are durable; setting them again changes nothing', async (t) => {
    await t.ok('start');
    await t.ok('setUri', { uri: 'raft://self' });
    await t.ok('setBroken');
    await t.restart();
    await t.ok('setBroken');
    await t.ok('setFixed');
    await t.restart();
    await t.ok('setFixed');
    await t.ok('getBroken');
  });

  add(
    'append/fields',
    'append stores every field and read returns it: defaults (empty command, no result, no serial, no leader id, CLIENT_COMMAND), null as absent, an empty result or leader id distinct from none, every byte value, serial 2^53 - 1, each code; an entry read back can be appended again (index, committed, applied ignored)',
    async (t) => {
      await t.ok('start');
      await t.ok('append', { entry: { term: '1' } });
      await t.ok('append', { entry: { term: '1', command: Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex') } });
      await t.ok('append', { entry: { term: '1', command: '', result: '', error: false, code: 'TERM_START', serial: '0', leaderId: '' } });
      await t.ok('append', { entry: { term: '2', command: 'abcd', result: 'ff00', error: true, code: 'CLUSTER_CONFIG', serial: n(MAX_SAFE), leaderId: 'raft://leader-ü' } });
      await t.ok('append', { entry: { term: '2', command: '00', result: null, serial: null, leaderId: null } });
      await t.ok('append', { entry: { term: '2', code: 'CLIENT_COMMAND', command: bytesHex(2, 1000) } });
      const readBack = await t.ok('read', { index: '4' });
      await t.ok('append', { entry: readBack as Args });
      await t.ok('append', { entry: entry(2, 'index is ignored by append', { index: '1', committed: true, applied: true }) });
      await t.refuse('INDEX_OUT_OF_RANGE', 'read', { index: '0' });
      await t.refuse('INVALID_ARGUMENT', 'read', { index: TWO_TO_53 });
      await t.ok('read', { index: '100' });
      await t.checkAll();
      await t.restart();
    },
    { flags: ['SafeIntegerLimit'] },
  );

  add(
    'append/term-order',
    'terms never go down along the log (RLG-022): append below the last term is INVALID_ARGUMENT; appendMulti checks every entry before storing any (a batch with one bad term stores nothing); an empty batch changes nothing',
    async (t) => {
      await t.ok('start');
      await t.ok('append', { entry: entry(1, 'a') });
      await t.ok('append', { entry: entry(3, 'b') });
      await t.refuse('INVALID_ARGUMENT', 'append', { entry: entry(2, 'c') });
      await t.ok('getLastIndex');
      await t.ok('appendMulti', { entries: [entry(3, 'd'), entry(4, 'e'), entry(4, 'f')] });
      await t.refuse('INVALID_ARGUMENT', 'appendMulti', { entries: [entry(5, 'g'), entry(4, 'h')] });
      await t.refuse('INVALID_ARGUMENT', 'appendMulti', { entries: [entry(3, 'i')] });
      await t.ok('appendMulti', { entries: [] });
      await t.checkAll();
      await t.ok('appendMulti', { entries: [entry(4, 'j')] });
      await t.refuse('INVALID_ARGUMENT', 'append', { entry: entry(0, 'k') });
      await t.restart();
    },
  );

  add(
    'append/refused-entries',
    'entries RLG-013 refuses, alone and inside a batch (which then stores nothing): no term, an unknown code, a leader id over 1024 UTF-8 bytes, a serial or term of 2^53',
    async (t) => {
      await t.ok('start');
      await t.ok('append', { entry: entry(1, 'kept') });
      await t.refuse('INVALID_ARGUMENT', 'append', { entry: { command: hexOf('no term') } });
      await t.refuse('INVALID_ARGUMENT', 'append', { entry: entry(1, 'bad code', { code: 'SNAPSHOT' }) });
      await t.refuse('INVALID_ARGUMENT', 'append', { entry: entry(1, 'long leader', { leaderId: 'l'.repeat(1025) }) });
      await t.ok('append', { entry: entry(1, 'longest leader', { leaderId: `${'€'.repeat(341)}l` }) });
      await t.refuse('INVALID_ARGUMENT', 'append', { entry: entry(1, 'big serial', { serial: TWO_TO_53 }) });
      await t.refuse('INVALID_ARGUMENT', 'append', { entry: entry(TWO_TO_53, 'big term') });
      await t.refuse('INVALID_ARGUMENT', 'appendMulti', { entries: [entry(1, 'good'), entry(1, 'bad', { code: 'OTHER' })] });
      await t.refuse('INVALID_ARGUMENT', 'appendMulti', { entries: [entry(1, 'good'), entry(1, 'bad', { serial: U64_MAX })] });
      await t.checkAll();
      await t.restart();
    },
    { flags: ['SafeIntegerLimit'] },
  );

  add(
    'append/large-entries',
    'entries of 1500 to 5000 bytes with a small segment size: records span blocks and segments; every one reads back after a restart and a kill',
    async (t) => {
      await t.ok('start');
      for (const [i, length] of [1500, 2600, 5000, 3100, 1800].entries()) {
        await t.ok('append', { entry: { term: n(1 + Math.floor(i / 2)), command: bytesHex(100 + i, length), result: bytesHex(200 + i, i * 10) } });
      }
      await t.restart();
      await t.kill();
    },
    { segmentBytes: SMALL_SEGMENTS },
  );

  add(
    'insert/conflict-truncates',
    'insert below the end (the conflict rule, RLG-023) stores the entry at its index and deletes every entry after it; the next append follows it; durable across restarts',
    async (t) => {
      await t.ok('start');
      await t.ok('appendMulti', { entries: [entry(1, '1'), entry(1, '2'), entry(2, '3'), entry(2, '4'), entry(2, '5'), entry(3, '6')] });
      await t.ok('markCommitted', { index: '2' });
      await t.ok('insert', { entry: entry(3, 'new 4', { index: '4', leaderId: 'raft://new-leader' }) });
      await t.checkAll();
      await t.restart();
      await t.ok('append', { entry: entry(3, 'new 5') });
      await t.ok('insert', { entry: entry(4, 'new 3', { index: '3' }) });
      await t.restart();
      await t.ok('insert', { entry: entry(4, 'same index again', { index: '3' }) });
      await t.restart();
    },
  );

  add('insert/at-next-index', 'insert at last index + 1 is an append (RLG-023), on an empty log too', async (t) => {
    await t.ok('start');
    await t.ok('insert', { entry: entry(1, 'one', { index: '1' }) });
    await t.ok('insert', { entry: entry(1, 'two', { index: '2' }) });
    await t.ok('insert', { entry: entry(2, 'three', { index: '3' }) });
    await t.restart();
    await t.ok('insert', { entry: entry(2, 'four', { index: '4' }) });
    await t.restart();
  });

  add(
    'insert/refusals',
    'insert refusals in the order of RLG-023: no index or 2^53 (INVALID_ARGUMENT), index 0 or beyond last index + 1 (INDEX_OUT_OF_RANGE, even with a bad term), at or below the commit index, a bad field, a term below the entry before; each changes nothing',
    async (t) => {
      await t.ok('start');
      await t.ok('appendMulti', { entries: [entry(1, '1'), entry(1, '2'), entry(2, '3'), entry(2, '4'), entry(3, '5')] });
      await t.ok('markCommitted', { index: '2' });
      await t.refuse('INVALID_ARGUMENT', 'insert', { entry: entry(3, 'no index') });
      await t.refuse('INVALID_ARGUMENT', 'insert', { entry: entry(3, 'index 2^53', { index: TWO_TO_53 }) });
      await t.refuse('INDEX_OUT_OF_RANGE', 'insert', { entry: entry(3, 'index 0', { index: '0' }) });
      await t.refuse('INDEX_OUT_OF_RANGE', 'insert', { entry: entry(TWO_TO_53, 'index 0 before the term', { index: '0' }) });
      await t.refuse('INDEX_OUT_OF_RANGE', 'insert', { entry: entry(3, 'beyond', { index: '7' }) });
      await t.refuse('INDEX_OUT_OF_RANGE', 'insert', { entry: entry(0, 'beyond before the term', { index: '7' }) });
      await t.refuse('INVALID_ARGUMENT', 'insert', { entry: entry(3, 'committed', { index: '2' }) });
      await t.refuse('INVALID_ARGUMENT', 'insert', { entry: entry(3, 'committed', { index: '1' }) });
      await t.refuse('INVALID_ARGUMENT', 'insert', { entry: entry(3, 'long leader', { index: '4', leaderId: 'l'.repeat(1025) }) });
      await t.refuse('INVALID_ARGUMENT', 'insert', { entry: entry(1, 'term below entry 3', { index: '4' }) });
      await t.refuse('INVALID_ARGUMENT', 'insert', { entry: entry(2, 'term below the last term', { index: '6' }) });
      await t.checkAll();
      await t.restart();
      await t.ok('insert', { entry: entry(2, 'allowed: term 2 after term 1', { index: '3' }) });
      await t.restart();
    },
    { flags: ['SafeIntegerLimit'] },
  );

  add(
    'insert/many-segments',
    'conflicts across segment files: 30 entries over small segments, an insert cutting an early segment, appends after it, a second insert at the end of a segment; restarts after each',
    async (t) => {
      await t.ok('start');
      for (let i = 1; i <= 30; i++) await t.ok('append', { entry: { term: n(1 + Math.floor(i / 10)), command: bytesHex(300 + i, 90) } });
      await t.ok('markCommitted', { index: '8' });
      await t.ok('insert', { entry: entry(5, 'cuts at 12', { index: '12' }) });
      await t.restart();
      for (let i = 13; i <= 20; i++) await t.ok('append', { entry: { term: '5', command: bytesHex(400 + i, 90) } });
      await t.ok('insert', { entry: entry(6, 'cuts at 20', { index: '20' }) });
      await t.restart();
    },
    { segmentBytes: SMALL_SEGMENTS },
  );

  add(
    'delete/delete-all-from',
    'deleteAllFrom (RLG-024): last index + 1 deletes nothing; 0 and beyond last index + 1 are INDEX_OUT_OF_RANGE; at or below the commit index, or 2^53, INVALID_ARGUMENT; otherwise the entries from there on go, durably',
    async (t) => {
      await t.ok('start');
      await t.ok('appendMulti', { entries: [entry(1, '1'), entry(1, '2'), entry(2, '3'), entry(2, '4'), entry(3, '5'), entry(3, '6')] });
      await t.ok('markCommitted', { index: '2' });
      await t.ok('deleteAllFrom', { index: '7' });
      await t.refuse('INDEX_OUT_OF_RANGE', 'deleteAllFrom', { index: '0' });
      await t.refuse('INDEX_OUT_OF_RANGE', 'deleteAllFrom', { index: '8' });
      await t.refuse('INVALID_ARGUMENT', 'deleteAllFrom', { index: '2' });
      await t.refuse('INVALID_ARGUMENT', 'deleteAllFrom', { index: '1' });
      await t.refuse('INVALID_ARGUMENT', 'deleteAllFrom', { index: TWO_TO_53 });
      await t.checkAll();
      await t.ok('deleteAllFrom', { index: '5' });
      await t.restart();
      await t.ok('append', { entry: entry(2, 'new 5') });
      await t.ok('deleteAllFrom', { index: '3' });
      await t.restart();
    },
    { flags: ['SafeIntegerLimit'] },
  );

  add(
    'delete/everything',
    'deleteAllFrom 1 with nothing committed empties the log: first index null, last index and last term 0, so the next entry may have any term',
    async (t) => {
      await t.ok('start');
      await t.ok('appendMulti', { entries: [entry(2, 'a'), entry(3, 'b')] });
      await t.ok('deleteAllFrom', { index: '1' });
      await t.restart();
      await t.ok('append', { entry: entry(1, 'a lower term is fine now') });
      await t.restart();
    },
  );

  add(
    'commit/marks',
    'markCommitted and markApplied (RLG-025, RLG-026): within the log (INDEX_OUT_OF_RANGE beyond it or at 0, checked before the commit index), applied at most the commit index (INVALID_ARGUMENT), neither ever goes down; read shows the committed and applied flags',
    async (t) => {
      await t.ok('start');
      await t.refuse('INDEX_OUT_OF_RANGE', 'markCommitted', { index: '1' });
      await t.refuse('INDEX_OUT_OF_RANGE', 'markApplied', { index: '1' });
      await t.ok('appendMulti', { entries: [entry(1, '1'), entry(1, '2'), entry(1, '3'), entry(2, '4'), entry(2, '5')] });
      await t.refuse('INDEX_OUT_OF_RANGE', 'markCommitted', { index: '0' });
      await t.refuse('INDEX_OUT_OF_RANGE', 'markCommitted', { index: '6' });
      await t.ok('markCommitted', { index: '3' });
      await t.ok('markCommitted', { index: '2' });
      await t.refuse('INVALID_ARGUMENT', 'markApplied', { index: '4' });
      await t.refuse('INDEX_OUT_OF_RANGE', 'markApplied', { index: '6' });
      await t.refuse('INDEX_OUT_OF_RANGE', 'markApplied', { index: '0' });
      await t.ok('markApplied', { index: '2' });
      await t.ok('markApplied', { index: '1' });
      await t.checkAll();
      await t.restart();
      await t.ok('markApplied', { index: '3' });
      await t.ok('markCommitted', { index: '5' });
      await t.restart();
    },
  );

  add(
    'cluster-config/round-trip',
    'saveClusterConfig stores a JSON value and getClusterConfig returns it (RLG-016): members, nested arrays and objects, null, booleans, numbers, non-ASCII text; a second save replaces the first; durable',
    async (t) => {
      await t.ok('start');
      await t.ok('getClusterConfig');
      await t.ok('saveClusterConfig', { config: CONFIG_A });
      await t.ok('getClusterConfig');
      await t.restart();
      await t.ok('saveClusterConfig', { config: CONFIG_B });
      await t.restart();
    },
  );

  add(
    'cluster-config/refusals',
    'what RLG-016 refuses, changing nothing: an array, a string or null for the config, no nodes, nodes not an object, a member without a uri string or not an object',
    async (t) => {
      await t.ok('start');
      await t.ok('saveClusterConfig', { config: CONFIG_A });
      await t.refuse('INVALID_ARGUMENT', 'saveClusterConfig', { config: [] });
      await t.refuse('INVALID_ARGUMENT', 'saveClusterConfig', { config: 'nodes' });
      await t.refuse('INVALID_ARGUMENT', 'saveClusterConfig', { config: null });
      await t.refuse('INVALID_ARGUMENT', 'saveClusterConfig', { config: {} });
      await t.refuse('INVALID_ARGUMENT', 'saveClusterConfig', { config: { nodes: [] } });
      await t.refuse('INVALID_ARGUMENT', 'saveClusterConfig', { config: { nodes: { 'raft://a': {} } } });
      await t.refuse('INVALID_ARGUMENT', 'saveClusterConfig', { config: { nodes: { 'raft://a': { uri: 5 } } } });
      await t.refuse('INVALID_ARGUMENT', 'saveClusterConfig', { config: { nodes: { 'raft://a': 'raft://a' } } });
      await t.checkAll();
      await t.restart();
    },
  );

  add(
    'snapshot/inside-log',
    'installSnapshot inside the log (RLG-027): the entries up to it go, the first index follows it, commit and applied rise to it (not down); a snapshot at the last index leaves no entry; appends go on after it',
    async (t) => {
      await t.ok('start');
      await t.ok('appendMulti', { entries: [entry(1, '1'), entry(1, '2'), entry(1, '3'), entry(2, '4'), entry(2, '5'), entry(2, '6'), entry(3, '7'), entry(3, '8')] });
      await t.ok('markCommitted', { index: '6' });
      await t.ok('markApplied', { index: '4' });
      await t.ok('installSnapshot', { snapshot: { index: '5', term: '2' } });
      await t.checkAll();
      await t.restart();
      await t.ok('append', { entry: entry(3, '9') });
      await t.ok('markCommitted', { index: '9' });
      await t.ok('markApplied', { index: '9' });
      await t.ok('installSnapshot', { snapshot: { index: '9', term: '3' } });
      await t.restart();
      await t.ok('append', { entry: entry(4, '10') });
      await t.restart();
    },
  );

  add(
    'snapshot/beyond-log',
    'a snapshot beyond the last index (RLG-027): no entry is left, last index and last term become the snapshot\'s, commit and applied rise to it; the next entry gets index s + 1 and must not go below the snapshot term',
    async (t) => {
      await t.ok('start');
      await t.ok('appendMulti', { entries: [entry(1, '1'), entry(1, '2'), entry(2, '3')] });
      await t.ok('markCommitted', { index: '1' });
      await t.ok('installSnapshot', { snapshot: { index: '20', term: '7' } });
      await t.restart();
      await t.refuse('INVALID_ARGUMENT', 'append', { entry: entry(6, 'below the snapshot term') });
      await t.ok('append', { entry: entry(7, '21') });
      await t.restart();
    },
  );

  add(
    'snapshot/at-last-index-other-term',
    'a snapshot at the last index whose term differs from the entry there is allowed (no entry follows it, RLG-027): the last term becomes the snapshot term',
    async (t) => {
      await t.ok('start');
      await t.ok('appendMulti', { entries: [entry(1, '1'), entry(2, '2'), entry(2, '3')] });
      await t.ok('installSnapshot', { snapshot: { index: '3', term: '5' } });
      await t.restart();
      await t.refuse('INVALID_ARGUMENT', 'append', { entry: entry(4, 'below 5') });
      await t.ok('append', { entry: entry(5, '4') });
      await t.restart();
    },
  );

  add(
    'snapshot/refusals',
    'installSnapshot refusals (RLG-027, in the order of RLG-012): below the current snapshot, the same index with another term, a term contradicting a kept entry, index 0 (before a bad term), 2^53; after a snapshot, insert and deleteAllFrom at or below it are INDEX_OUT_OF_RANGE, read there gives nothing, commit and applied marks below it change nothing',
    async (t) => {
      await t.ok('start');
      await t.ok('appendMulti', { entries: [entry(1, '1'), entry(1, '2'), entry(1, '3'), entry(1, '4'), entry(2, '5'), entry(2, '6'), entry(2, '7'), entry(2, '8')] });
      await t.ok('markCommitted', { index: '3' });
      await t.ok('installSnapshot', { snapshot: { index: '4', term: '1' } });
      await t.refuse('INVALID_ARGUMENT', 'installSnapshot', { snapshot: { index: '3', term: '1' } });
      await t.ok('installSnapshot', { snapshot: { index: '4', term: '1' } });
      await t.refuse('INVALID_ARGUMENT', 'installSnapshot', { snapshot: { index: '4', term: '2' } });
      await t.refuse('INVALID_ARGUMENT', 'installSnapshot', { snapshot: { index: '6', term: '1' } });
      await t.refuse('INDEX_OUT_OF_RANGE', 'installSnapshot', { snapshot: { index: '0', term: '1' } });
      await t.refuse('INDEX_OUT_OF_RANGE', 'installSnapshot', { snapshot: { index: '0', term: TWO_TO_53 } });
      await t.refuse('INVALID_ARGUMENT', 'installSnapshot', { snapshot: { index: TWO_TO_53, term: '1' } });
      await t.refuse('INVALID_ARGUMENT', 'installSnapshot', { snapshot: { index: '7', term: TWO_TO_53 } });
      await t.refuse('INDEX_OUT_OF_RANGE', 'insert', { entry: entry(1, 'at the snapshot', { index: '4' }) });
      await t.refuse('INDEX_OUT_OF_RANGE', 'insert', { entry: entry(1, 'below the snapshot', { index: '3' }) });
      await t.refuse('INDEX_OUT_OF_RANGE', 'deleteAllFrom', { index: '4' });
      await t.ok('read', { index: '3' });
      await t.ok('markCommitted', { index: '2' });
      await t.ok('markApplied', { index: '4' });
      await t.ok('markApplied', { index: '1' });
      await t.checkAll();
      await t.restart();
      await t.refuse('INVALID_ARGUMENT', 'insert', { entry: entry(0, 'below the snapshot term', { index: '5' }) });
      await t.ok('insert', { entry: entry(3, 'right after the snapshot', { index: '5' }) });
      await t.restart();
    },
    { flags: ['SafeIntegerLimit'] },
  );

  add(
    'snapshot/many-segments',
    'snapshots over small segments: 40 entries, snapshots inside the first, a middle and the last segment, then beyond the log; appends and restarts in between',
    async (t) => {
      await t.ok('start');
      for (let i = 1; i <= 40; i++) await t.ok('append', { entry: { term: n(1 + Math.floor(i / 12)), command: bytesHex(500 + i, 80) } });
      await t.ok('markCommitted', { index: '35' });
      for (const [index, term] of [
        [7, 1],
        [15, 2],
        [38, 4],
      ] as const) {
        await t.ok('installSnapshot', { snapshot: { index: n(index), term: n(term) } });
        await t.restart();
      }
      await t.ok('installSnapshot', { snapshot: { index: '45', term: '4' } });
      for (let i = 46; i <= 50; i++) await t.ok('append', { entry: { term: '5', command: bytesHex(600 + i, 80) } });
      await t.restart();
    },
    { segmentBytes: SMALL_SEGMENTS },
  );

  add(
    'snapshot/index-limit',
    'a snapshot at index 2^53 - 1: the log can grow no further (append is INVALID_ARGUMENT, an empty appendMulti is fine), and 2^53 is INVALID_ARGUMENT as an index',
    async (t) => {
      await t.ok('start');
      await t.ok('append', { entry: entry(1, 'one') });
      await t.ok('installSnapshot', { snapshot: { index: n(MAX_SAFE), term: '2' } });
      await t.refuse('INVALID_ARGUMENT', 'append', { entry: entry(2, 'no room') });
      await t.ok('appendMulti', { entries: [] });
      await t.refuse('INVALID_ARGUMENT', 'insert', { entry: entry(2, 'no room', { index: TWO_TO_53 }) });
      await t.refuse('INVALID_ARGUMENT', 'deleteAllFrom', { index: TWO_TO_53 });
      await t.ok('markCommitted', { index: n(MAX_SAFE) });
      await t.restart();
    },
    { flags: ['SafeIntegerLimit'] },
  );

  add(
    'restart/after-every-change',
    'one of every call that changes the log, each followed by a restart and a check of every getter and entry: every state survives a clean stop and start',
    async (t) => {
      await t.ok('start');
      await everyKindOfChange(t, () => t.restart());
    },
  );

  add(
    'kill/after-every-change',
    'one of every call that changes the log, each followed by a kill of the testee process and a new start over the same directory: nothing a resolved call changed is lost (RLG-011)',
    async (t) => {
      await t.ok('start');
      await everyKindOfChange(t, () => t.kill());
    },
    { segmentBytes: SMALL_SEGMENTS },
  );

  for (const [seed, calls, segmentBytes] of [
    [1, 120, ONE_SEGMENT],
    [2, 120, SMALL_SEGMENTS],
    [3, 160, SMALL_SEGMENTS],
    [4, 160, ONE_SEGMENT],
  ] as const) {
    add(`random/seed-${seed}`, `a seeded random trace of ${calls} calls (seed ${seed}): mostly valid calls, refused ones, restarts and kills, each answer from the MemoryLog oracle`, (t) => randomScript(t, seed, calls), {
      flags: ['Random'],
      segmentBytes,
    });
  }
  return cases;
}
