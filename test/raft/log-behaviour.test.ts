/**
 * The behaviour every LogAPI implementation shares (spec §3), run against MemoryLog and
 * LsfsRaftLog on both storages. Each rule is checked, then checked again after a restart.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogAPI, NewEntry } from '../../src/raft/index.js';
import { ALL_KINDS, type Subject } from './support/subjects.js';
import { bytes, codeOf, observe, plainEntry, text } from './support/observe.js';

const entry = (term: number, command = `c${term}`, extra: Partial<NewEntry> = {}): NewEntry => ({ term, command: text(command), ...extra });

async function fill(log: LogAPI, terms: number[]): Promise<void> {
  for (const [i, term] of terms.entries()) await log.append(entry(term, `e${i + 1}`));
}

async function commands(log: LogAPI): Promise<(string | undefined)[]> {
  const last = await log.getLastIndex();
  const out: (string | undefined)[] = [];
  for (let index = 1; index <= last; index++) {
    const read = await log.read(index);
    out.push(read === undefined ? undefined : new TextDecoder().decode(read.command));
  }
  return out;
}

describe.each(ALL_KINDS)('$name', (kind) => {
  let subject: Subject;
  let log: LogAPI;
  const restart = async () => {
    await subject.restart();
    log = subject.log;
  };

  beforeEach(async () => {
    let clock = 1_000_000;
    subject = await kind.create({ now: () => (clock += 10) });
    log = subject.log;
  });
  afterEach(async () => {
    await subject.dispose();
  });

  describe('a new log', () => {
    // covers RLG-017, RLG-028
    it('reports the empty values', async () => {
      expect(await log.getTerm()).toBe(0);
      expect(await log.getVotedFor()).toBeUndefined();
      expect(await log.getUri()).toBeUndefined();
      expect(await log.getBroken()).toBe(false);
      expect(await log.getFirstIndex()).toBeUndefined();
      expect(await log.getLastIndex()).toBe(0);
      expect(await log.getLastTerm()).toBe(0);
      expect(await log.getCommitIndex()).toBe(0);
      expect(await log.getAppliedIndex()).toBe(0);
      expect(await log.getSnapshot()).toBeUndefined();
      expect(await log.getClusterConfig()).toBeUndefined();
      expect(await log.read()).toBeUndefined();
      expect(await log.read(1)).toBeUndefined();
      const stats = await log.getStats();
      expect(stats).toMatchObject({ firstIndex: undefined, lastIndex: 0, lastTerm: 0, recordCount: 0, recordsSinceSnapshot: 0, recordsPerMinute: 0, snapshotIndex: undefined, lastRecordTime: undefined });
    });

    it('is the same after a restart', async () => {
      const before = await observe(log);
      await restart();
      expect(await observe(log)).toEqual(before);
    });
  });

  describe('lifecycle', () => {
    // covers RLG-010
    it('rejects every call with CLOSED after stop, and works again after start', async () => {
      await log.append(entry(1));
      await log.stop();
      await log.stop();
      for (const call of [
        () => log.getTerm(),
        () => log.setTerm(2),
        () => log.append(entry(1)),
        () => log.read(1),
        () => log.getStats(),
        () => log.installSnapshot({ index: 1, term: 1 }),
        () => log.getClusterConfig(),
      ]) {
        expect(await codeOf(call)).toBe('CLOSED');
      }
      await log.start();
      await log.start();
      expect(await log.getLastIndex()).toBe(1);
    });
  });

  describe('term and vote', () => {
    // covers RLG-020
    it('setTerm raises the term and clears the vote; the same term keeps it; a lower one is refused', async () => {
      await log.setTerm(3);
      await log.setVotedFor('n1');
      await log.setTerm(3);
      expect(await log.getVotedFor()).toBe('n1');
      expect(await codeOf(() => log.setTerm(2))).toBe('INVALID_ARGUMENT');
      expect(await log.getTerm()).toBe(3);
      await log.setTerm(5);
      expect(await log.getVotedFor()).toBeUndefined();
      expect(await log.incrTerm()).toBe(6);
      await log.setVotedFor('n2');
      expect(await log.incrTerm()).toBe(7);
      expect(await log.getVotedFor()).toBeUndefined();
      await log.setVotedFor('n3');
      await restart();
      expect(await log.getTerm()).toBe(7);
      expect(await log.getVotedFor()).toBe('n3');
    });

    // covers RLG-021
    it('allows one vote per term', async () => {
      await log.setVotedFor('n1');
      await log.setVotedFor('n1');
      expect(await codeOf(() => log.setVotedFor('n2'))).toBe('INVALID_ARGUMENT');
      expect(await log.getVotedFor()).toBe('n1');
    });

    // covers RLG-014
    it('refuses malformed terms and ids', async () => {
      for (const term of [-1, 1.5, Number.NaN, 2 ** 53, '3' as unknown as number]) expect(await codeOf(() => log.setTerm(term))).toBe('INVALID_ARGUMENT');
      for (const id of ['', '\ud800', 'a\udc00', 'x'.repeat(1025), 'é'.repeat(513), 7 as unknown as string, null as unknown as string]) {
        expect(await codeOf(() => log.setVotedFor(id))).toBe('INVALID_ARGUMENT');
        expect(await codeOf(() => log.setUri(id))).toBe('INVALID_ARGUMENT');
      }
      expect(await log.getVotedFor()).toBeUndefined();
      await log.setVotedFor('ñ-😀'.repeat(10));
      expect(await log.getVotedFor()).toBe('ñ-😀'.repeat(10));
      // At most 1024 UTF-8 bytes: 512 two-byte characters are just within.
      await log.setUri('é'.repeat(512));
      expect(await log.getUri()).toBe('é'.repeat(512));
      await log.setUri('x'.repeat(1024));
      expect(await log.getUri()).toBe('x'.repeat(1024));
    });
  });

  describe('uri and broken mark', () => {
    it('are stored durably', async () => {
      await log.setUri('mcpy://node-1');
      await log.setBroken();
      await restart();
      expect(await log.getUri()).toBe('mcpy://node-1');
      expect(await log.getBroken()).toBe(true);
      await log.setFixed();
      await log.setUri('mcpy://node-2');
      await restart();
      expect(await log.getBroken()).toBe(false);
      expect(await log.getUri()).toBe('mcpy://node-2');
    });
  });

  describe('append and read', () => {
    // covers RLG-013, RLG-022, RLG-029
    it('assigns consecutive indexes from 1 and stores every field', async () => {
      const first = await log.append({ term: 1, command: bytes(1, 2, 3), result: bytes(9), error: true, code: 'TERM_START', serial: 2 ** 40, leaderId: 'leader-ü' });
      expect(first).toEqual({ index: 1, term: 1, command: bytes(1, 2, 3), result: bytes(9), error: true, code: 'TERM_START', serial: 2 ** 40, leaderId: 'leader-ü', committed: false, applied: false });
      const second = await log.append({ term: 2 });
      expect(second).toEqual({ index: 2, term: 2, command: new Uint8Array(0), result: undefined, error: false, code: 'CLIENT_COMMAND', serial: undefined, leaderId: undefined, committed: false, applied: false });
      const many = await log.appendMulti([entry(2), { term: 3, code: 'CLUSTER_CONFIG', leaderId: '', result: new Uint8Array(0) }]);
      expect(many.map((e) => e.index)).toEqual([3, 4]);
      expect(await log.appendMulti([])).toEqual([]);
      await restart();
      expect(await log.read(1)).toEqual(first);
      expect(await log.read(2)).toEqual(second);
      expect(await log.read(4)).toEqual(many[1]);
      expect(await log.read()).toEqual(many[1]);
      expect(await log.getFirstIndex()).toBe(1);
      expect(await log.getLastIndex()).toBe(4);
      expect(await log.getLastTerm()).toBe(3);
    });

    // covers RLG-018
    it('never shares bytes with the caller', async () => {
      const command = bytes(1, 2, 3);
      const result = bytes(4);
      const stored = await log.append({ term: 1, command, result });
      command[0] = 99;
      result[0] = 99;
      stored.command[1] = 99;
      stored.result![0] = 98;
      expect((await log.read(1))!).toMatchObject({ command: bytes(1, 2, 3), result: bytes(4) });
      const batch = [{ term: 1, command: bytes(5) }];
      const [many] = await log.appendMulti(batch);
      batch[0]!.command[0] = 99;
      many!.command[0] = 98;
      const inserted = { index: 3, term: 1, command: bytes(6) };
      await log.insert(inserted);
      inserted.command[0] = 99;
      const read = (await log.read(3))!;
      read.command[0] = 97;
      (read as { term: number }).term = 50;
      expect((await log.read(2))!.command).toEqual(bytes(5));
      expect((await log.read(3))!).toMatchObject({ term: 1, command: bytes(6) });
      expect((await log.read())!.command).toEqual(bytes(6));
      await log.installSnapshot({ index: 1, term: 1 });
      const snapshot = (await log.getSnapshot())!;
      (snapshot as { index: number }).index = 9;
      const stats = await log.getStats();
      (stats as { lastIndex: number }).lastIndex = 99;
      expect(await log.getSnapshot()).toEqual({ index: 1, term: 1 });
      expect((await log.getStats()).lastIndex).toBe(3);
    });

    // covers RLG-012, RLG-013, RLG-022
    it('refuses a term below the last term, and a batch with any bad entry, changing nothing', async () => {
      await fill(log, [1, 2]);
      expect(await codeOf(() => log.append(entry(1)))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(() => log.appendMulti([entry(2), entry(3), entry(2)]))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(() => log.appendMulti([entry(2), { term: 3, code: 'NOPE' as never }]))).toBe('INVALID_ARGUMENT');
      for (const bad of [null, {}, { term: -1 }, { term: 1.5 }, { term: 2, command: 'text' }, { term: 2, serial: -1 }, { term: 2, leaderId: 5 }, { term: 2, error: 1 }]) {
        expect(await codeOf(() => log.append(bad as NewEntry))).toBe('INVALID_ARGUMENT');
      }
      expect(await codeOf(() => log.appendMulti('x' as never))).toBe('INVALID_ARGUMENT');
      expect(await commands(log)).toEqual(['e1', 'e2']);
    });

    // covers RLG-013
    it('fills in defaults, takes null as absent, takes back an entry it returned, and refuses what RLG-013 refuses', async () => {
      const defaults = { command: new Uint8Array(0), result: undefined, error: false, code: 'CLIENT_COMMAND', serial: undefined, leaderId: undefined };
      const nulls = await log.append({ term: 1, command: null, result: null, serial: null, leaderId: null } as unknown as NewEntry);
      expect(nulls).toEqual({ index: 1, term: 1, ...defaults, committed: false, applied: false });
      await log.append({ term: 1, command: bytes(7), result: bytes(), error: true, code: 'TERM_START', serial: Number.MAX_SAFE_INTEGER, leaderId: '' });
      await log.markCommitted(2);
      await log.markApplied(2);
      // An entry read back (index, committed and applied set) can be passed in again: append
      // ignores its index and marks, insert uses its index.
      const readBack = (await log.read(2))!;
      expect(readBack).toMatchObject({ committed: true, applied: true });
      const again = await log.append(readBack);
      expect(again).toEqual({ ...readBack, index: 3, committed: false, applied: false });
      const inserted = await log.insert({ ...readBack, index: 3 });
      expect(inserted).toEqual({ ...readBack, index: 3, committed: false, applied: false });
      // Leader ids of up to 1024 UTF-8 bytes, empty ones included.
      for (const leaderId of ['x'.repeat(1024), 'é'.repeat(512), '😀'.repeat(256)]) expect((await log.append({ term: 1, leaderId })).leaderId).toBe(leaderId);
      const lastIndex = await log.getLastIndex();
      const refused: unknown[] = [
        { term: 1, leaderId: 'x'.repeat(1025) },
        { term: 1, leaderId: 'é'.repeat(513) },
        { term: 1, leaderId: '\ud83d' },
        { term: 1, leaderId: 'a\ude00b' },
        { term: 1, serial: 2 ** 53 },
        { term: 1, serial: 1.5 },
        { term: 1, serial: '1' },
        { term: 1, error: 'yes' },
        { term: 1, result: [1, 2] },
        { term: 1, command: Buffer.from('ok').toString() },
        { term: 1, code: 'SNAPSHOT' },
        { term: 2 ** 53 },
        { term: null },
        { command: bytes(1) },
      ];
      for (const bad of refused) expect(await codeOf(() => log.append(bad as NewEntry)), JSON.stringify(bad)).toBe('INVALID_ARGUMENT');
      expect(await log.getLastIndex()).toBe(lastIndex);
    });

    // covers RLG-029
    it('reads undefined where there is no entry, and refuses indexes below 1', async () => {
      await fill(log, [1]);
      expect(await log.read(2)).toBeUndefined();
      expect(await log.read(1000)).toBeUndefined();
      expect(await codeOf(() => log.read(0))).toBe('INDEX_OUT_OF_RANGE');
      expect(await codeOf(() => log.read(-3))).toBe('INDEX_OUT_OF_RANGE');
      expect(await codeOf(() => log.read(1.5))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(() => log.read(Number.NaN))).toBe('INVALID_ARGUMENT');
    });

    // covers RLG-015
    it('stores the bytes a call was given, whatever the caller changes before it resolves', async () => {
      // An append that must wait for a call in progress, and a batch long enough to start new
      // segments on the way (LsfsRaftLog yields there): the caller changes every array at once.
      await fill(log, [1, 1]);
      const inserting = log.insert({ index: 2, term: 1, command: text('i2') });
      const waiting = { term: 1, command: text('w3') };
      const appending = log.append(waiting);
      waiting.command.fill(0x21);
      await inserting;
      const stored = await appending;
      // With the lock free, the batch runs at once and yields only where it starts a segment.
      const batch = Array.from({ length: 300 }, (_, i) => ({ term: 1, command: text(`b${i + 4}`.padEnd(600, '.')) }));
      const appendingMany = log.appendMulti(batch);
      for (const entry of batch) entry.command.fill(0x21);
      const many = await appendingMany;
      const trimmed = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes).replace(/\.+$/, ''));
      expect(trimmed(stored.command)).toBe('w3');
      expect(many.map((e) => trimmed(e.command))).toEqual(batch.map((_, i) => `b${i + 4}`));
      // Returned arrays are each the entry's own: changing one changes no other, nor the log.
      many[0]!.command.fill(0x3f);
      expect(trimmed(many[1]!.command)).toBe('b5');
      const expected = ['e1', 'i2', 'w3', ...batch.map((_, i) => `b${i + 4}`)];
      expect((await commands(log)).map((c) => c?.replace(/\.+$/, ''))).toEqual(expected);
      await restart();
      expect((await commands(log)).map((c) => c?.replace(/\.+$/, ''))).toEqual(expected);
    });

    // covers RLG-015
    it('gives concurrent appends distinct consecutive indexes, in the order they were issued', async () => {
      const stored = await Promise.all(Array.from({ length: 40 }, (_, i) => log.append(entry(1, `p${i}`))));
      expect(stored.map((e) => e.index)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(await commands(log)).toEqual(Array.from({ length: 40 }, (_, i) => `p${i}`));
      await restart();
      for (const e of stored) expect(await log.read(e.index)).toEqual(e);
    });
  });

  describe('refused calls', () => {
    // covers RLG-012
    it('change nothing, and are checked in the order of RLG-012: CLOSED, then each argument in turn', async () => {
      await fill(log, [1, 1, 2, 2, 3]);
      await log.setTerm(3);
      await log.setVotedFor('n1');
      await log.markCommitted(2);
      await log.markApplied(1);
      await log.installSnapshot({ index: 1, term: 1 });
      await log.saveClusterConfig({ nodes: { n1: { uri: 'n1' } } });
      const before = await observe(log);
      const cases: [string, () => Promise<unknown>, string][] = [
        ['a lower term', () => log.setTerm(2), 'INVALID_ARGUMENT'],
        ['a malformed term', () => log.setTerm(-1), 'INVALID_ARGUMENT'],
        ['a second vote', () => log.setVotedFor('n2'), 'INVALID_ARGUMENT'],
        ['an empty URI', () => log.setUri(''), 'INVALID_ARGUMENT'],
        ['an entry term below the last term', () => log.append(entry(2)), 'INVALID_ARGUMENT'],
        ['a batch with a bad last entry', () => log.appendMulti([entry(3), entry(4), { term: -1 }]), 'INVALID_ARGUMENT'],
        // The index is checked before the entry's fields, and its range before the commit index.
        ['an insert past the end with a bad term', () => log.insert({ index: 7, term: -1 }), 'INDEX_OUT_OF_RANGE'],
        ['an insert at index 0 with a bad term', () => log.insert({ index: 0, term: 'x' as never }), 'INDEX_OUT_OF_RANGE'],
        ['an insert at the commit index with a bad term', () => log.insert({ index: 2, term: -1 }), 'INVALID_ARGUMENT'],
        // At the snapshot index, which is also at or below the commit index: the range comes first.
        ['an insert at the snapshot index', () => log.insert({ index: 1, term: 3 }), 'INDEX_OUT_OF_RANGE'],
        ['a delete from the snapshot index', () => log.deleteAllFrom(1), 'INDEX_OUT_OF_RANGE'],
        ['an insert at a fractional index past the end', () => log.insert({ index: 9.5, term: 3 }), 'INVALID_ARGUMENT'],
        ['an insert whose term is below the entry before it', () => log.insert({ index: 4, term: 1 }), 'INVALID_ARGUMENT'],
        ['an insert with a bad field past the end', () => log.insert({ index: 8, term: 3, serial: -1 }), 'INDEX_OUT_OF_RANGE'],
        ['a delete past the end', () => log.deleteAllFrom(7), 'INDEX_OUT_OF_RANGE'],
        ['a delete of committed entries', () => log.deleteAllFrom(2), 'INVALID_ARGUMENT'],
        ['a delete from index -1', () => log.deleteAllFrom(-1), 'INDEX_OUT_OF_RANGE'],
        ['a delete from a string', () => log.deleteAllFrom('3' as never), 'INVALID_ARGUMENT'],
        ['a commit past the end', () => log.markCommitted(6), 'INDEX_OUT_OF_RANGE'],
        ['a commit at index 0', () => log.markCommitted(0), 'INDEX_OUT_OF_RANGE'],
        ['a commit at a fractional index', () => log.markCommitted(2.5), 'INVALID_ARGUMENT'],
        // Past the end and past the commit index: the range check comes first.
        ['an applied index past the end', () => log.markApplied(6), 'INDEX_OUT_OF_RANGE'],
        ['an applied index past the commit index', () => log.markApplied(4), 'INVALID_ARGUMENT'],
        ['a snapshot at index 0 with a bad term', () => log.installSnapshot({ index: 0, term: -1 }), 'INDEX_OUT_OF_RANGE'],
        ['a snapshot with a bad term', () => log.installSnapshot({ index: 2, term: -1 }), 'INVALID_ARGUMENT'],
        ['a snapshot contradicting a kept entry', () => log.installSnapshot({ index: 3, term: 1 }), 'INVALID_ARGUMENT'],
        ['a read at index 0', () => log.read(0), 'INDEX_OUT_OF_RANGE'],
        ['a read at a fractional index', () => log.read(0.5), 'INVALID_ARGUMENT'],
        ['a cluster config without nodes', () => log.saveClusterConfig({ nodes: 1 } as never), 'INVALID_ARGUMENT'],
      ];
      for (const [what, call, code] of cases) {
        expect(await codeOf(call), what).toBe(code);
        expect(await observe(log), what).toEqual(before);
      }
      await restart();
      expect(await observe(log)).toEqual(before);
      // CLOSED comes before every other check.
      await log.stop();
      for (const call of [() => log.setTerm(-1), () => log.insert({ index: 0, term: -1 }), () => log.markCommitted(-5), () => log.read(0.5), () => log.installSnapshot(null as never)]) {
        expect(await codeOf(call)).toBe('CLOSED');
      }
      await log.start();
      expect(await observe(log)).toEqual(before);
    });
  });

  describe('insert and deleteAllFrom', () => {
    // covers RLG-023
    it('insert replaces the entry at its index and deletes the rest', async () => {
      await fill(log, [1, 1, 2, 2, 2]);
      const stored = await log.insert({ index: 3, term: 3, command: text('new') });
      expect(stored).toMatchObject({ index: 3, term: 3, committed: false });
      expect(await commands(log)).toEqual(['e1', 'e2', 'new']);
      expect(await log.getLastTerm()).toBe(3);
      await log.append(entry(3, 'after'));
      await restart();
      expect(await commands(log)).toEqual(['e1', 'e2', 'new', 'after']);
    });

    // covers RLG-023
    it('insert at the next index appends', async () => {
      await fill(log, [1]);
      await log.insert({ index: 2, term: 1, command: text('x') });
      expect(await commands(log)).toEqual(['e1', 'x']);
    });

    // covers RLG-023
    it('insert refuses indexes outside the log, committed entries and backward terms', async () => {
      await fill(log, [1, 2, 3]);
      await log.markCommitted(1);
      expect(await codeOf(() => log.insert({ index: 5, term: 3 }))).toBe('INDEX_OUT_OF_RANGE');
      expect(await codeOf(() => log.insert({ index: 0, term: 3 }))).toBe('INDEX_OUT_OF_RANGE');
      expect(await codeOf(() => log.insert({ index: 1, term: 3 }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(() => log.insert({ index: 3, term: 1 }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(() => log.insert({ term: 3 } as never))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(() => log.insert({ index: 2.5, term: 3 }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(() => log.insert({ index: 2, term: -1 }))).toBe('INVALID_ARGUMENT');
      expect(await commands(log)).toEqual(['e1', 'e2', 'e3']);
      await log.insert({ index: 2, term: 2, command: text('ok') });
      expect(await commands(log)).toEqual(['e1', 'ok']);
    });

    // covers RLG-024
    it('deleteAllFrom cuts the log; the next index is a no-op; committed or outside is refused', async () => {
      await fill(log, [1, 1, 2, 3]);
      await log.markCommitted(1);
      expect(await codeOf(() => log.deleteAllFrom(1))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(() => log.deleteAllFrom(6))).toBe('INDEX_OUT_OF_RANGE');
      expect(await codeOf(() => log.deleteAllFrom(0))).toBe('INDEX_OUT_OF_RANGE');
      await log.deleteAllFrom(5);
      expect(await log.getLastIndex()).toBe(4);
      await log.deleteAllFrom(3);
      expect(await log.getLastIndex()).toBe(2);
      expect(await log.getLastTerm()).toBe(1);
      expect(await log.read(3)).toBeUndefined();
      await log.append(entry(4, 'x'));
      await restart();
      expect(await commands(log)).toEqual(['e1', 'e2', 'x']);
      await log.deleteAllFrom(2);
      await log.deleteAllFrom(2);
      await restart();
      expect(await commands(log)).toEqual(['e1']);
    });

    it('survives many cuts and appends in a row', async () => {
      const expected: string[] = [];
      for (let round = 0; round < 12; round++) {
        for (let i = 0; i < 5; i++) {
          await log.append(entry(round + 1, `r${round}-${i}`));
          expected.push(`r${round}-${i}`);
        }
        const cut = expected.length - 2;
        await log.deleteAllFrom(cut + 1);
        expected.splice(cut);
      }
      await restart();
      expect(await commands(log)).toEqual(expected);
    });
  });

  describe('commit and applied indexes', () => {
    // covers RLG-025, RLG-026, RLG-029
    it('rise within the log, never go down, and mark entries', async () => {
      await fill(log, [1, 1, 1, 1]);
      expect(await codeOf(() => log.markCommitted(5))).toBe('INDEX_OUT_OF_RANGE');
      expect(await codeOf(() => log.markCommitted(0))).toBe('INDEX_OUT_OF_RANGE');
      expect(await codeOf(() => log.markApplied(1))).toBe('INVALID_ARGUMENT');
      await log.markCommitted(3);
      await log.markCommitted(2);
      expect(await log.getCommitIndex()).toBe(3);
      expect(await codeOf(() => log.markApplied(4))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(() => log.markApplied(5))).toBe('INDEX_OUT_OF_RANGE');
      await log.markApplied(2);
      await log.markApplied(1);
      expect(await log.getAppliedIndex()).toBe(2);
      await restart();
      expect((await log.read(2))!).toMatchObject({ committed: true, applied: true });
      expect((await log.read(3))!).toMatchObject({ committed: true, applied: false });
      expect((await log.read(4))!).toMatchObject({ committed: false, applied: false });
      expect(await log.getCommitIndex()).toBe(3);
      expect(await log.getAppliedIndex()).toBe(2);
    });
  });

  describe('snapshots', () => {
    // covers RLG-027, RLG-028
    it('delete the entries they cover and keep the rest', async () => {
      await fill(log, [1, 1, 2, 2, 3, 3]);
      await log.installSnapshot({ index: 3, term: 2 });
      expect(await log.getSnapshot()).toEqual({ index: 3, term: 2 });
      expect(await log.getFirstIndex()).toBe(4);
      expect(await log.getLastIndex()).toBe(6);
      expect(await log.getLastTerm()).toBe(3);
      expect(await log.getCommitIndex()).toBe(3);
      expect(await log.getAppliedIndex()).toBe(3);
      expect(await log.read(3)).toBeUndefined();
      expect(await log.read(4)).toMatchObject({ index: 4, committed: false });
      expect(await log.getStats()).toMatchObject({ firstIndex: 4, lastIndex: 6, recordCount: 3, recordsSinceSnapshot: 3, snapshotIndex: 3 });
      await restart();
      expect(await commands(log)).toEqual([undefined, undefined, undefined, 'e4', 'e5', 'e6']);
      expect(await codeOf(() => log.deleteAllFrom(3))).toBe('INDEX_OUT_OF_RANGE');
      expect(await codeOf(() => log.insert({ index: 3, term: 3 }))).toBe('INDEX_OUT_OF_RANGE');
    });

    // covers RLG-027, RLG-028
    it('at or past the last index leave no entry, and the log goes on from there', async () => {
      await fill(log, [1, 1, 2]);
      await log.installSnapshot({ index: 3, term: 2 });
      expect(await log.getFirstIndex()).toBeUndefined();
      expect(await log.getLastIndex()).toBe(3);
      expect(await log.getLastTerm()).toBe(2);
      expect(await log.read()).toBeUndefined();
      await log.installSnapshot({ index: 10, term: 4 });
      expect(await log.getLastIndex()).toBe(10);
      expect(await log.getLastTerm()).toBe(4);
      expect(await codeOf(() => log.append(entry(3)))).toBe('INVALID_ARGUMENT');
      expect((await log.append(entry(4, 'x'))).index).toBe(11);
      await restart();
      expect(await log.getFirstIndex()).toBe(11);
      expect(await log.read()).toMatchObject({ index: 11, term: 4 });
      expect(await log.getStats()).toMatchObject({ recordCount: 1, recordsSinceSnapshot: 1, snapshotIndex: 10 });
    });

    // covers RLG-027
    it('refuse going back, a different term at the same index, and a term contradicting a kept entry', async () => {
      await fill(log, [1, 1, 2, 2]);
      await log.installSnapshot({ index: 2, term: 1 });
      expect(await codeOf(() => log.installSnapshot({ index: 1, term: 1 }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(() => log.installSnapshot({ index: 2, term: 2 }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(() => log.installSnapshot({ index: 3, term: 1 }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(() => log.installSnapshot({ index: 0, term: 1 }))).toBe('INDEX_OUT_OF_RANGE');
      expect(await codeOf(() => log.installSnapshot({ index: 3, term: -1 }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(() => log.installSnapshot(null as never))).toBe('INVALID_ARGUMENT');
      await log.installSnapshot({ index: 2, term: 1 });
      // At the last index the entry's term does not matter: no entry after it is kept.
      await log.installSnapshot({ index: 4, term: 7 });
      expect(await log.getLastTerm()).toBe(7);
    });

    it('free whole segment files after many entries', async () => {
      for (let i = 0; i < 60; i++) await log.append(entry(1, `e${i + 1}-${'x'.repeat(100)}`));
      const bytesBefore = (await log.getStats()).bytesOnDisk;
      await log.installSnapshot({ index: 55, term: 1 });
      await restart();
      expect(await log.getFirstIndex()).toBe(56);
      expect((await log.read(56))!.command.length).toBeGreaterThan(100);
      expect((await log.getStats()).bytesOnDisk).toBeLessThanOrEqual(bytesBefore);
    });
  });

  describe('cluster config', () => {
    // covers RLG-016, RLG-018
    it('round-trips as JSON and is copied', async () => {
      const config = { nodes: { a: { uri: 'a', isAdding: true }, b: { uri: 'b' } }, pendingNode: null, settings: { heartbeatPeriod: 0.5, usePreVote: true } };
      const passed = structuredClone(config);
      await log.saveClusterConfig(passed);
      passed.nodes.b.uri = 'changed after the call';
      const read = (await log.getClusterConfig()) as { nodes: Record<string, { uri: string }> };
      read.nodes.a!.uri = 'changed';
      expect(await log.getClusterConfig()).toEqual(config);
      await restart();
      expect(await log.getClusterConfig()).toEqual(config);
      // Stored as JSON text: members whose value is undefined are dropped, as JSON.parse(JSON.stringify(…)) would.
      await log.saveClusterConfig({ nodes: { c: { uri: 'c', gone: undefined } }, gone: undefined } as never);
      expect(await log.getClusterConfig()).toEqual({ nodes: { c: { uri: 'c' } } });
      expect(Object.keys((await log.getClusterConfig())!)).toEqual(['nodes']);
    });

    // covers RLG-016
    it('refuses what is not a JSON cluster config', async () => {
      const cyclic: Record<string, unknown> = { nodes: {} };
      cyclic.self = cyclic;
      for (const bad of [null, [], 'x', { nodes: 3 }, { nodes: { a: {} } }, { nodes: {}, x: Number.NaN }, { nodes: {}, f: () => 1 }, { nodes: {}, d: new Date() }, cyclic, { nodes: {}, big: 'x'.repeat(1 << 20) }]) {
        expect(await codeOf(() => log.saveClusterConfig(bad as never))).toBe('INVALID_ARGUMENT');
      }
      expect(await log.getClusterConfig()).toBeUndefined();
    });
  });

  describe('stats', () => {
    // covers RLG-017
    it('count records and their times', async () => {
      await fill(log, [1, 1, 1]);
      const stats = await log.getStats();
      expect(stats).toMatchObject({ firstIndex: 1, lastIndex: 3, lastTerm: 1, recordCount: 3, recordsSinceSnapshot: 3, recordsPerMinute: 3, snapshotIndex: undefined });
      expect(stats.lastRecordTime).toBeGreaterThan(1_000_000);
      expect(stats.bytesOnDisk).toBeGreaterThanOrEqual(0);
    });

    // covers RLG-017
    it('count the entries appended or inserted in the last 60 seconds since start, and the last one\'s time', async () => {
      let time = 5_000_000;
      const own = await kind.create({ now: () => time });
      try {
        let timed = own.log;
        await fill(timed, [1, 1, 1]);
        expect(await timed.getStats()).toMatchObject({ recordsPerMinute: 3, lastRecordTime: 5_000_000 });
        time += 30_000;
        await timed.insert({ index: 4, term: 1 });
        await timed.insert({ index: 2, term: 2 });
        await timed.setTerm(4);
        await timed.markCommitted(1);
        expect(await timed.getStats()).toMatchObject({ firstIndex: 1, lastIndex: 2, lastTerm: 2, recordCount: 2, recordsSinceSnapshot: 2, recordsPerMinute: 5, lastRecordTime: 5_030_000 });
        time += 45_000;
        // The first three are more than a minute old now.
        expect((await timed.getStats()).recordsPerMinute).toBe(2);
        time += 61_000;
        expect(await timed.getStats()).toMatchObject({ recordsPerMinute: 0, lastRecordTime: 5_030_000 });
        await timed.appendMulti([entry(2), entry(2), entry(3)]);
        await timed.installSnapshot({ index: 3, term: 2 });
        const stats = await timed.getStats();
        expect(stats).toMatchObject({ firstIndex: 4, lastIndex: 5, recordCount: 2, recordsSinceSnapshot: 2, recordsPerMinute: 3, snapshotIndex: 3, lastRecordTime: 5_136_000 });
        if (kind.name === 'MemoryLog') expect(stats.bytesOnDisk).toBe(0);
        else expect(stats.bytesOnDisk).toBeGreaterThan(0);
        // Since start: a restarted log counts from zero.
        await own.restart();
        timed = own.log;
        expect(await timed.getStats()).toMatchObject({ recordsPerMinute: 0, lastRecordTime: undefined, lastIndex: 5, recordCount: 2 });
      } finally {
        await own.dispose();
      }
    });
  });

  describe('concurrent calls', () => {
    // covers RLG-015
    it('mix appends, reads, commits and a truncation without tearing anything', async () => {
      await fill(log, [1, 1, 1, 1]);
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 10; i++) calls.push(log.append(entry(2, `a${i}`)));
      for (let i = 1; i <= 14; i++) calls.push(log.read(i).then((read) => read === undefined || read.index === i || Promise.reject(new Error('wrong entry'))));
      calls.push(log.markCommitted(3), log.deleteAllFrom(9), log.setTerm(5));
      for (let i = 0; i < 3; i++) calls.push(log.append(entry(3, `b${i}`)));
      await Promise.all(calls);
      const expected = ['e1', 'e2', 'e3', 'e4', 'a0', 'a1', 'a2', 'a3', 'b0', 'b1', 'b2'];
      expect(await commands(log)).toEqual(expected);
      expect(await log.getCommitIndex()).toBe(3);
      await restart();
      expect(await commands(log)).toEqual(expected);
    });

    it('stop waits for the appends in flight', async () => {
      const appends = Array.from({ length: 20 }, (_, i) => log.append(entry(1, `s${i}`)));
      await log.stop();
      expect((await Promise.all(appends)).map((e) => e.index)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      await log.start();
      await restart();
      expect(await log.getLastIndex()).toBe(20);
    });
  });

  it('keeps everything across a restart', async () => {
    await log.setTerm(4);
    await log.setVotedFor('n2');
    await log.setUri('u');
    await log.saveClusterConfig({ nodes: { n1: { uri: 'n1' } } });
    await fill(log, [1, 2, 2, 3, 4, 4, 4]);
    await log.markCommitted(5);
    await log.markApplied(4);
    await log.installSnapshot({ index: 2, term: 2 });
    await log.insert({ index: 7, term: 4, command: text('ins') });
    const before = await observe(log);
    await restart();
    expect(await observe(log)).toEqual(before);
    expect(before.entries.map((e) => e?.index)).toEqual([undefined, undefined, 3, 4, 5, 6, 7, undefined]);
    expect(before.last).toEqual(plainEntry(await log.read(7)));
  });
});
