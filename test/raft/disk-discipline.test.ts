/**
 * The order in which the durable log changes its files (spec §5–§7), checked on a record of every
 * disk-changing call: final-data updates go to the other copy at offset 0 in one write and are
 * synced before the next one starts; the tail is synced before a hard state is written; a segment
 * exists before a hard state lists it and is removed only after a durable hard state stopped
 * listing it; only the tail is appended to, never over a synced byte.
 */
import { describe, expect, it } from 'vitest';
import { decodeFileHeader } from '../../src/format/file-header.js';
import { MemoryStorage } from '../../src/io/memory-storage.js';
import type { Storage, StorageFile, StorageLock } from '../../src/io/storage.js';
import { FINAL_DATA_FILE_NAMES, inspectCopy } from '../../src/raft/final-data.js';
import { INITIAL_HARD_STATE, decodeHardState, type HardState, type SegmentRef } from '../../src/raft/hard-state.js';
import { LsfsRaftLog, type LogAPI } from '../../src/raft/index.js';
import { OpenSegment } from '../../src/raft/segment.js';
import { parseSegmentFileName, segmentFileName } from '../../src/raft/segment-names.js';
import { text } from './support/observe.js';
import { MEMORY_DIRECTORY as DIR, SMALL_SEGMENTS } from './support/subjects.js';

type Event =
  | { readonly op: 'mark'; readonly label: string }
  | { readonly op: 'create'; readonly path: string; readonly bytes: Buffer }
  | { readonly op: 'write'; readonly path: string; readonly position: number; readonly bytes: Buffer }
  | { readonly op: 'datasync' | 'remove' | 'syncDirectory' | 'makeDirectory'; readonly path: string }
  | { readonly op: 'truncate'; readonly path: string; readonly length: number }
  | { readonly op: 'rename'; readonly path: string; readonly to: string };

/** A Storage that records every disk-changing call (after it completes), and yields inside writes and syncs so that concurrent calls could interleave. */
class RecordingStorage implements Storage {
  readonly events: Event[] = [];

  constructor(readonly inner: MemoryStorage) {}

  mark(label: string): void {
    this.events.push({ op: 'mark', label });
  }

  async open(path: string, mode: 'read' | 'write'): Promise<StorageFile> {
    const file = await this.inner.open(path, mode);
    const events = this.events;
    return {
      path: file.path,
      read: (position, length) => file.read(position, length),
      size: () => file.size(),
      close: () => file.close(),
      async write(data, position) {
        await new Promise((resolve) => setImmediate(resolve));
        await file.write(data, position);
        events.push({ op: 'write', path, position, bytes: Buffer.from(data) });
      },
      async truncate(length) {
        await file.truncate(length);
        events.push({ op: 'truncate', path, length });
      },
      async datasync() {
        await new Promise((resolve) => setImmediate(resolve));
        await file.datasync();
        events.push({ op: 'datasync', path });
      },
    };
  }

  async createAtomically(path: string, contents: Uint8Array): Promise<void> {
    await this.inner.createAtomically(path, contents);
    this.events.push({ op: 'create', path, bytes: Buffer.from(contents) });
  }

  exists(path: string): Promise<boolean> {
    return this.inner.exists(path);
  }

  async remove(path: string): Promise<void> {
    await this.inner.remove(path);
    this.events.push({ op: 'remove', path });
  }

  async rename(from: string, to: string): Promise<void> {
    await this.inner.rename(from, to);
    this.events.push({ op: 'rename', path: from, to });
  }

  async syncDirectory(directory: string): Promise<void> {
    await this.inner.syncDirectory(directory);
    this.events.push({ op: 'syncDirectory', path: directory });
  }

  list(directory: string): Promise<string[]> {
    return this.inner.list(directory);
  }

  async makeDirectory(directory: string): Promise<void> {
    await this.inner.makeDirectory(directory);
    this.events.push({ op: 'makeDirectory', path: directory });
  }

  lock(path: string): Promise<StorageLock> {
    return this.inner.lock(path);
  }
}

const nameOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const slotOf = (path: string) => FINAL_DATA_FILE_NAMES.indexOf(nameOf(path) as (typeof FINAL_DATA_FILE_NAMES)[number]);
const isFinalData = (path: string) => slotOf(path) >= 0;
const isSegment = (path: string) => parseSegmentFileName(nameOf(path)) !== undefined;
const segmentPath = (ref: SegmentRef) => `${DIR}/${segmentFileName(ref.base, ref.id)}`;

/** What the disk discipline check saw: the durable hard states in order, and the events, split at each mark. */
interface Checked {
  readonly states: HardState[];
  readonly sections: Map<string, Event[]>;
}

/**
 * Replays the events and checks the rules of RLG-054, RLG-055, RLG-070, RLG-074, RLG-075,
 * RLG-080 and RLG-102 at every step. Expects the log to have been created by these events.
 */
function checkDiscipline(events: readonly Event[]): Checked {
  let current: { slot: number; generation: bigint; state: HardState } | undefined;
  let pending: { slot: number; generation: bigint; state: HardState } | undefined;
  const states: HardState[] = [];
  const sizes = new Map<string, number>();
  const synced = new Map<string, number>();
  const dirty = new Set<string>();
  const created = new Set<string>();
  let highestId = 0;
  const sections = new Map<string, Event[]>();
  let section: Event[] = [];
  const where = (i: number) => `event ${i}: ${JSON.stringify(events[i], (_, v) => (typeof v === 'bigint' ? String(v) : v instanceof Object && 'type' in v && v.type === 'Buffer' ? `<${v.data.length} bytes>` : v))}`;

  const copyOf = (i: number, path: string, bytes: Buffer) => {
    const copy = inspectCopy(bytes, slotOf(path) as 0 | 1, path);
    expect(copy.status, where(i)).toBe('valid');
    if (copy.status !== 'valid') throw new Error('unreachable');
    return { slot: slotOf(path), generation: copy.generation, state: decodeHardState(copy.payload, path) };
  };
  const beforeHardState = (i: number, next: HardState) => {
    // RLG-080 (2): every segment synced before a hard state is written.
    expect([...dirty], `${where(i)}: unsynced segments when the hard state is written`).toEqual([]);
    // RLG-080 (1): every segment it lists exists already.
    for (const ref of next.segments) expect(created.has(segmentPath(ref)) || current?.state.segments.some((old) => old.id === ref.id), `${where(i)}: lists ${segmentPath(ref)} before it exists`).toBe(true);
    // RLG-075: the previous update completed before this one started.
    expect(pending, `${where(i)}: an update started before the previous one was synced`).toBeUndefined();
  };

  events.forEach((event, i) => {
    if (event.op === 'mark') {
      section = [];
      sections.set(event.label, section);
      return;
    }
    section.push(event);
    const path = event.path;
    switch (event.op) {
      case 'create':
        sizes.set(path, event.bytes.length);
        synced.set(path, event.bytes.length);
        if (isFinalData(path)) {
          const copy = copyOf(i, path, event.bytes);
          if (current === undefined) {
            // RLG-074: a new log is final-data.a, generation 1, the initial state.
            expect(copy, where(i)).toEqual({ slot: 0, generation: 1n, state: INITIAL_HARD_STATE });
          } else {
            beforeHardState(i, copy.state);
            expect(copy.slot, `${where(i)}: RLG-070 writes the other copy`).not.toBe(current.slot);
            expect(copy.generation, where(i)).toBe(current.generation + 1n);
          }
          current = copy;
          states.push(copy.state);
        } else if (isSegment(path)) {
          const { base, id } = parseSegmentFileName(nameOf(path))!;
          // RLG-051: a new segment's id is above every id used before.
          expect(id, where(i)).toBeGreaterThan(highestId);
          expect(id, where(i)).toBeGreaterThanOrEqual(current!.state.nextSegmentId);
          highestId = id;
          // RLG-052: an LSFS file whose base index is the segment's base.
          expect(decodeFileHeader(event.bytes), where(i)).toMatchObject({ baseIndex: BigInt(base) });
          created.add(path);
        }
        return;
      case 'write':
        if (isFinalData(path)) {
          const copy = copyOf(i, path, event.bytes);
          beforeHardState(i, copy.state);
          // RLG-070: the other copy, at offset 0, in one write, with the next generation.
          expect(event.position, where(i)).toBe(0);
          expect(copy.slot, `${where(i)}: wrote the copy holding the current state`).not.toBe(current!.slot);
          expect(copy.generation, where(i)).toBe(current!.generation + 1n);
          pending = copy;
        } else if (isSegment(path)) {
          // RLG-054: only the tail, or a segment being started, is written.
          const tail = current!.state.segments.at(-1);
          const listed = current!.state.segments.some((ref) => segmentPath(ref) === path);
          expect(listed ? tail !== undefined && segmentPath(tail) === path : created.has(path), `${where(i)}: written, but not the tail`).toBe(true);
          // RLG-102: never over a synced byte.
          expect(event.position, `${where(i)}: overwrites synced bytes`).toBeGreaterThanOrEqual(synced.get(path) ?? 0);
          dirty.add(path);
        }
        sizes.set(path, Math.max(sizes.get(path) ?? 0, event.position + event.bytes.length));
        return;
      case 'datasync':
        synced.set(path, sizes.get(path) ?? 0);
        dirty.delete(path);
        if (isFinalData(path) && pending !== undefined && pending.slot === slotOf(path)) {
          current = pending;
          pending = undefined;
          states.push(current.state);
        }
        return;
      case 'truncate':
        // RLG-070: a final-data file is never truncated; a segment only by tail recovery (none here).
        throw new Error(`${where(i)}: unexpected truncation`);
      case 'remove':
        if (isSegment(path)) {
          // RLG-055, RLG-080 (3): removed only once a durable hard state does not list it.
          expect(pending, `${where(i)}: removed while a hard state is being written`).toBeUndefined();
          expect(current!.state.segments.map(segmentPath), `${where(i)}: removed a listed segment`).not.toContain(path);
          created.delete(path);
        }
        return;
      default:
        return;
    }
  });
  expect(pending).toBeUndefined();
  return { states, sections };
}

async function fill(log: LogAPI, count: number, term = 1): Promise<void> {
  for (let i = 0; i < count; i++) await log.append({ term, command: text(`${i}`.padEnd(100, '.')) });
}

const created = (events: readonly Event[]) => events.flatMap((event) => (event.op === 'create' && isSegment(event.path) ? [nameOf(event.path)] : []));
const removed = (events: readonly Event[]) => events.flatMap((event) => (event.op === 'remove' && isSegment(event.path) ? [nameOf(event.path)] : []));
const opsOn = (events: readonly Event[], predicate: (path: string) => boolean) =>
  events.flatMap((event) => (event.op !== 'mark' && predicate(event.path) ? [`${event.op} ${nameOf(event.path)}`] : []));

describe('the order of disk changes', () => {
  // covers RLG-054, RLG-055, RLG-062, RLG-070, RLG-074, RLG-075, RLG-080, RLG-090, RLG-091, RLG-092, RLG-102
  it('keeps the rules of §5–§7 through appends, truncations, snapshots and concurrent calls', async () => {
    const storage = new RecordingStorage(new MemoryStorage());
    const log = new LsfsRaftLog({ directory: DIR, storage, ...SMALL_SEGMENTS });
    storage.mark('start');
    await log.start();
    storage.mark('fill');
    await fill(log, 40);
    storage.mark('concurrent');
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => log.append({ term: 2, command: text(`c${i}`.padEnd(150, '-')) })),
      log.setTerm(2),
      log.markCommitted(5),
      log.setVotedFor('n1'),
      log.saveClusterConfig({ nodes: { n1: { uri: 'n1' } } }),
      log.markApplied(3),
      ...Array.from({ length: 5 }, (_, i) => log.append({ term: 2, command: text(`d${i}`) })),
    ]);
    const before = (await log.getLastIndex());
    storage.mark('deleteAllFrom');
    await log.deleteAllFrom(20);
    storage.mark('append after delete');
    await fill(log, 3, 2);
    storage.mark('insert');
    await log.insert({ index: 12, term: 3, command: text('conflict') });
    storage.mark('snapshot');
    await log.installSnapshot({ index: 9, term: 1 });
    storage.mark('append after snapshot');
    await fill(log, 20, 3);
    storage.mark('snapshot past the end');
    const last = await log.getLastIndex();
    await log.installSnapshot({ index: last + 5, term: 4 });
    storage.mark('append after covering snapshot');
    await log.append({ term: 4, command: text('fresh') });
    storage.mark('updates');
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? log.setTerm(10 + i) : i % 3 === 1 ? log.markCommitted(last + 6) : log.setUri(`u${i}`))));
    storage.mark('stop and start');
    await log.stop();
    await log.start();
    expect(await log.getLastIndex()).toBe(last + 6);
    await log.stop();
    expect(before).toBe(55);

    const { states, sections } = checkDiscipline(storage.events);
    const section = (label: string) => sections.get(label)!;

    // RLG-074: start made final-data.a and synced the new directory's parent.
    expect(opsOn(section('start'), isFinalData)).toEqual(['create final-data.a']);
    expect(section('start')).toContainEqual({ op: 'syncDirectory', path: '/mem' });
    // RLG-054: the first append started a segment at index 1; filling rolled over to more.
    expect(created(section('fill'))[0]).toBe(segmentFileName(1, 1));
    expect(created(section('fill')).length).toBeGreaterThan(2);

    // RLG-090: an empty segment at the cut, listed after the segments below it, then the old ones go.
    const cut = section('deleteAllFrom');
    const [cutSegment] = created(cut);
    expect(parseSegmentFileName(cutSegment!)!.base).toBe(20);
    expect(opsOn(cut, (path) => nameOf(path) === cutSegment)).toEqual([`create ${cutSegment}`]);
    const afterCut = states.find((state) => state.segments.some((ref) => segmentFileName(ref.base, ref.id) === cutSegment))!;
    const beforeCut = states[states.indexOf(afterCut) - 1]!;
    expect(afterCut.segments.slice(0, -1)).toEqual(beforeCut.segments.filter((ref) => ref.base < 20));
    expect(removed(cut).length).toBeGreaterThan(0);
    for (const name of removed(cut)) expect(parseSegmentFileName(name)!.base).toBeGreaterThanOrEqual(afterCut.segments.at(-2)!.base);

    // RLG-091: the new segment holds the entry, synced, before the one hard-state write.
    const insert = section('insert');
    const [insertSegment] = created(insert);
    expect(parseSegmentFileName(insertSegment!)!.base).toBe(12);
    const insertOps = opsOn(insert, (path) => nameOf(path) === insertSegment || isFinalData(path));
    expect(insertOps.slice(0, 3)).toEqual([`create ${insertSegment}`, `write ${insertSegment}`, `datasync ${insertSegment}`]);
    expect(insertOps.slice(3).filter((op) => op.includes('final-data'))).toHaveLength(2);

    // RLG-092: a snapshot writes the hard state, then removes the segments at or below it; no new segment.
    const snapshot = section('snapshot');
    expect(created(snapshot)).toEqual([]);
    const afterSnapshot = states.find((state) => state.snapshotIndex === 9)!;
    expect(afterSnapshot.segments[0]!.base).toBeLessThanOrEqual(10);
    expect(afterSnapshot.segments[1]?.base ?? Infinity).toBeGreaterThan(10);
    for (const name of removed(snapshot)) expect(parseSegmentFileName(name)!.base).toBeLessThan(afterSnapshot.segments[0]!.base);
    // Past the end: every segment goes, and the next append starts one at s + 1.
    expect(states.find((state) => state.snapshotIndex === last + 5)!.segments).toEqual([]);
    expect(created(section('append after covering snapshot'))).toEqual([segmentFileName(last + 6, parseSegmentFileName(created(section('append after covering snapshot'))[0]!)!.id)]);

    // RLG-075: the burst of updates wrote one copy after the other, each synced before the next.
    const updates = opsOn(section('updates'), isFinalData);
    expect(updates.length).toBeGreaterThanOrEqual(8);
    updates.forEach((op, i) => expect(op.split(' ')[0]).toBe(i % 2 === 0 ? 'write' : 'datasync'));
    // Stopping and starting again changes no file.
    expect(section('stop and start').filter((event) => event.op === 'write' || event.op === 'create' || event.op === 'remove')).toEqual([]);

    // The check itself catches each order broken: a removal before the hard state that drops the
    // segment is durable, and a hard state written before the tail's sync.
    const events = storage.events;
    const moved = (from: number, to: number) => {
      const copy = [...events];
      const [event] = copy.splice(from, 1);
      copy.splice(to, 0, event!);
      return copy;
    };
    const removal = events.findIndex((event) => event.op === 'remove' && isSegment(event.path));
    const durable = events.slice(0, removal).findLastIndex((event) => event.op === 'datasync' && isFinalData(event.path));
    expect(() => checkDiscipline(moved(removal, durable))).toThrow(/removed a listed segment|being written/);
    const hardStateWrite = events.findIndex((event, i) => {
      const previous = events[i - 1];
      return event.op === 'write' && isFinalData(event.path) && previous?.op === 'datasync' && isSegment(previous.path);
    });
    expect(hardStateWrite).toBeGreaterThan(0);
    expect(() => checkDiscipline(moved(hardStateWrite - 1, hardStateWrite))).toThrow(/unsynced segments/);
  });

  // covers RLG-074
  it('syncs nothing above a directory that already existed, and creates only final-data.a', async () => {
    const memory = new MemoryStorage();
    await memory.makeDirectory(DIR);
    const storage = new RecordingStorage(memory);
    const log = new LsfsRaftLog({ directory: DIR, storage, ...SMALL_SEGMENTS });
    await log.start();
    expect(storage.events.filter((event) => event.op === 'create').map((event) => nameOf((event as { path: string }).path))).toEqual(['final-data.a']);
    expect(storage.events.filter((event) => event.op === 'syncDirectory' && event.path === '/mem')).toEqual([]);
    await log.stop();
  });
});

describe('starting a segment over a leftover file', () => {
  // covers RLG-051
  it('removes the file at the new name and syncs the directory before creating the segment', async () => {
    const memory = new MemoryStorage();
    await memory.makeDirectory(DIR);
    const ref: SegmentRef = { id: 7, base: 3, fileId: 0xabcdefn };
    const path = segmentPath(ref);
    memory.setBytes(path, text('left over by a crash'));
    const storage = new RecordingStorage(memory);
    const segment = await OpenSegment.create(storage, path, ref, 512);
    expect(storage.events.map((event) => `${event.op} ${nameOf((event as { path: string }).path)}`).slice(0, 3)).toEqual([
      `remove ${nameOf(path)}`,
      `syncDirectory raft`,
      `create ${nameOf(path)}`,
    ]);
    expect(decodeFileHeader(memory.snapshot(path))).toMatchObject({ fileId: 0xabcdefn, baseIndex: 3n });
    expect(segment.nextIndex).toBe(3);
    await segment.retire(false);
  });
});
