/**
 * Crashes inside a call (spec §9): at every byte of a final-data update, and at every disk-changing
 * step of every mutating call, the log a restart finds is the state before the call or the state
 * after it — never a mix, never nothing (appendMulti may also keep a prefix of its entries).
 *
 * Part 1 builds the crash images of a final-data overwrite by hand: the older copy with the first k
 * bytes of the new copy written over it, for every k, and with the unsynced sectors past the old
 * length torn to zeros or garbage (spec appendix A of lsfs-format.md).
 *
 * Part 2 stops the disk at step n of a call (the call and every later one never settle, as if the
 * process died there), then crashes the MemoryStorage with several seeds, for every n.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage, seededRandom } from '../../src/io/memory-storage.js';
import { FINAL_DATA_FILE_NAMES } from '../../src/raft/final-data.js';
import { LsfsRaftLog, MemoryLog, type LogAPI, type NewEntry } from '../../src/raft/index.js';
import { InterruptibleStorage } from './support/interruptible-storage.js';
import { observe, text, type Observed } from './support/observe.js';
import { MEMORY_DIRECTORY as DIR, SMALL_SEGMENTS } from './support/subjects.js';

const SECTOR = 512;

function newLog(storage: MemoryStorage | InterruptibleStorage): LsfsRaftLog {
  return new LsfsRaftLog({ directory: DIR, storage, ...SMALL_SEGMENTS });
}

async function observeAt(storage: MemoryStorage): Promise<Observed> {
  const log = newLog(storage);
  await log.start();
  try {
    return await observe(log);
  } finally {
    await log.stop();
  }
}

/** Every file of the log directory, as bytes. */
async function filesOf(storage: MemoryStorage): Promise<Map<string, Buffer>> {
  const names = await storage.list(DIR);
  return new Map(names.map((name) => [name, storage.snapshot(`${DIR}/${name}`)]));
}

function storageWith(files: Map<string, Buffer>): MemoryStorage {
  const storage = new MemoryStorage();
  for (const [name, bytes] of files) storage.setBytes(`${DIR}/${name}`, bytes);
  return storage;
}

function garbage(length: number, seed: number): Buffer {
  const random = seededRandom(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}

/** What a crash may leave of an in-place write of `update` over `old`: a prefix of it, then maybe one torn run. */
function crashImages(old: Buffer, update: Buffer, everyK: number): { label: string; bytes: Buffer }[] {
  const images: { label: string; bytes: Buffer }[] = [];
  const firstUnsynced = Math.ceil(old.length / SECTOR) * SECTOR;
  for (let k = 0; k <= update.length; k++) {
    const bytes = Buffer.alloc(Math.max(old.length, k));
    old.copy(bytes);
    update.copy(bytes, 0, 0, k);
    images.push({ label: `${k} bytes written`, bytes });
    if (k % everyK !== 0 && k !== update.length) continue;
    for (let from = firstUnsynced; from < bytes.length; from += SECTOR) {
      images.push({ label: `${k} bytes, zeros from ${from}`, bytes: Buffer.concat([bytes.subarray(0, from), Buffer.alloc(bytes.length - from)]) });
      images.push({ label: `${k} bytes, garbage from ${from}`, bytes: Buffer.concat([bytes.subarray(0, from), garbage(bytes.length - from, k + from)]) });
    }
  }
  return images;
}

const bigConfig = (tag: string) => ({ nodes: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`node-${i}`, { uri: `tcp://${tag}-host-${i}.example:5000` }])) });

interface Update {
  readonly name: string;
  readonly setup: (log: LogAPI) => Promise<void>;
  readonly update: (log: LogAPI) => Promise<unknown>;
}

const FINAL_DATA_UPDATES: Update[] = [
  {
    name: 'small over small (setTerm)',
    setup: async (log) => {
      await log.append({ term: 1, command: text('a') });
      await log.setTerm(2);
      await log.setVotedFor('n1');
    },
    update: (log) => log.setTerm(3),
  },
  {
    name: 'large over small (a cluster config past several sectors)',
    setup: async (log) => {
      await log.append({ term: 1 });
      await log.markCommitted(1);
    },
    update: (log) => log.saveClusterConfig(bigConfig('x')),
  },
  {
    name: 'small over large (the rest of the older copy stays as slack)',
    setup: async (log) => {
      await log.saveClusterConfig(bigConfig('x'));
      await log.saveClusterConfig(bigConfig('y'));
    },
    update: (log) => log.saveClusterConfig({ nodes: { a: { uri: 'a' } } }),
  },
];

describe('a crash at any byte of a final-data update', () => {
  // covers RLG-070, RLG-071, RLG-072, RLG-100, RLG-102: whatever a crash leaves of the copy being
  // written, the other copy holds the old state; the copy holding the current state is never touched.
  it.each(FINAL_DATA_UPDATES)('$name: old state or new state', async ({ setup, update }) => {
    const storage = new MemoryStorage();
    const log = newLog(storage);
    await log.start();
    await setup(log);
    await log.stop();
    const before = await filesOf(storage);
    const oldState = await observeAt(storageWith(before));

    const updated = storageWith(before);
    const writer = newLog(updated);
    await writer.start();
    await update(writer);
    await writer.stop();
    const after = await filesOf(updated);
    const newState = await observeAt(storageWith(after));
    expect(newState).not.toEqual(oldState);

    // Exactly one copy changed: the update never touches the copy holding the current state.
    const changed = FINAL_DATA_FILE_NAMES.filter((name) => !before.get(name)?.equals(after.get(name)!));
    expect(changed).toHaveLength(1);
    const name = changed[0]!;
    const images = crashImages(before.get(name) ?? Buffer.alloc(0), after.get(name)!, 61);
    let sawOld = 0;
    let sawNew = 0;
    for (const image of images) {
      const files = new Map(before);
      files.set(name, image.bytes);
      const found = await observeAt(storageWith(files));
      const isOld = JSON.stringify(found) === JSON.stringify(oldState);
      const isNew = JSON.stringify(found) === JSON.stringify(newState);
      if (!isOld && !isNew) expect(found, `${name} after ${image.label}`).toEqual(oldState);
      if (isOld) sawOld++;
      else sawNew++;
    }
    expect(sawOld).toBeGreaterThan(0);
    expect(sawNew).toBeGreaterThan(0);
  });
});

interface Operation {
  readonly name: string;
  readonly setup: (log: LogAPI) => Promise<void>;
  readonly run: (log: LogAPI) => Promise<unknown>;
  /** The entries of a call of which a crash may keep any prefix (appendMulti, concurrent appends). */
  readonly appended?: NewEntry[];
}

const entries = (count: number, term = 1, size = 120) => Array.from({ length: count }, (_, i) => ({ term, command: text(`${i}`.padEnd(size, '-')), serial: i }));

async function appendAll(log: LogAPI, count: number, term = 1): Promise<void> {
  for (const entry of entries(count, term)) await log.append(entry);
}

const OPERATIONS: Operation[] = [
  { name: 'first append of a new log', setup: async () => undefined, run: (log) => log.append({ term: 1, command: text('x') }) },
  { name: 'setTerm', setup: (log) => appendAll(log, 3), run: (log) => log.setTerm(5) },
  { name: 'setVotedFor', setup: (log) => log.setTerm(2), run: (log) => log.setVotedFor('n1') },
  { name: 'incrTerm', setup: (log) => log.setVotedFor('n1'), run: (log) => log.incrTerm() },
  { name: 'setUri', setup: async () => undefined, run: (log) => log.setUri('u') },
  { name: 'setBroken', setup: (log) => log.setUri('u'), run: (log) => log.setBroken() },
  { name: 'markCommitted', setup: (log) => appendAll(log, 4), run: (log) => log.markCommitted(3) },
  { name: 'markApplied', setup: (log) => appendAll(log, 4).then(() => log.markCommitted(3)), run: (log) => log.markApplied(2) },
  { name: 'saveClusterConfig', setup: (log) => log.saveClusterConfig({ nodes: {} }), run: (log) => log.saveClusterConfig(bigConfig('z')) },
  { name: 'append', setup: (log) => appendAll(log, 2), run: (log) => log.append({ term: 2, command: text('new') }) },
  { name: 'append that starts a segment', setup: (log) => appendAll(log, 15), run: (log) => log.append({ term: 2, command: text('new') }) },
  { name: 'appendMulti across segments', setup: (log) => appendAll(log, 10), run: (log) => log.appendMulti(entries(12, 2)), appended: entries(12, 2) },
  {
    name: 'concurrent appends',
    setup: (log) => appendAll(log, 2),
    run: (log) => Promise.all(entries(5, 3).map((entry) => log.append(entry))),
    appended: entries(5, 3),
  },
  { name: 'deleteAllFrom inside the tail', setup: (log) => appendAll(log, 6), run: (log) => log.deleteAllFrom(4) },
  { name: 'deleteAllFrom across segments', setup: (log) => appendAll(log, 40), run: (log) => log.deleteAllFrom(5) },
  { name: 'insert (conflict)', setup: (log) => appendAll(log, 6), run: (log) => log.insert({ index: 3, term: 2, command: text('won') }) },
  { name: 'insert at the end', setup: (log) => appendAll(log, 3), run: (log) => log.insert({ index: 4, term: 2 }) },
  { name: 'installSnapshot keeping entries', setup: (log) => appendAll(log, 40), run: (log) => log.installSnapshot({ index: 30, term: 1 }) },
  { name: 'installSnapshot past the end', setup: (log) => appendAll(log, 20), run: (log) => log.installSnapshot({ index: 50, term: 3 }) },
];

/** The states a crash during `operation` may leave, from the oracle: before, after, and any prefix of its entries. */
async function allowedStates(operation: Operation): Promise<{ old: string; done: string; all: Set<string> }> {
  const oracle = async (run: (log: LogAPI) => Promise<unknown>) => {
    const log = new MemoryLog();
    await log.start();
    await operation.setup(log);
    await run(log);
    return JSON.stringify(await observe(log));
  };
  const old = await oracle(async () => undefined);
  const done = await oracle(operation.run);
  const all = new Set([old, done]);
  const appended = operation.appended ?? [];
  for (let count = 1; count < appended.length; count++) all.add(await oracle((log) => log.appendMulti(appended.slice(0, count))));
  return { old, done, all };
}

const SEEDS = [1, 2, 3, 4, 5, 6];

describe('a crash at every disk step of a call', () => {
  // covers RLG-011, RLG-022, RLG-100: before or after the call (or a prefix of appendMulti), and all of it once it resolved.
  it.each(OPERATIONS)('$name: the state before or after it', async (operation) => {
    const allowed = await allowedStates(operation);
    const prepare = async () => {
      const memory = new MemoryStorage();
      const log = newLog(memory);
      await log.start();
      await operation.setup(log);
      await log.stop();
      const storage = new InterruptibleStorage(memory);
      const running = newLog(storage);
      await running.start();
      return { memory, storage, running };
    };

    // Count the steps of a call that runs to the end.
    const full = await prepare();
    full.storage.arm(Number.POSITIVE_INFINITY);
    await operation.run(full.running);
    const steps = full.storage.steps;
    await full.running.stop();
    expect(JSON.stringify(await observeAt(full.memory))).toBe(allowed.done);
    expect(steps).toBeGreaterThan(0);

    for (let step = 0; step <= steps; step++) {
      for (const seed of SEEDS) {
        const { memory, storage, running } = await prepare();
        storage.arm(step);
        const call = operation.run(running).then(
          () => 'done',
          () => 'failed',
        );
        const how = await Promise.race([call, storage.reached.then(() => 'cut')]);
        expect(how, `step ${step}`).toBe(step === steps ? 'done' : 'cut');
        memory.crash(seededRandom(seed));
        const after = newLog(memory);
        await after.start();
        const found = JSON.stringify(await observe(after));
        if (!allowed.all.has(found)) expect(JSON.parse(found), `crash at step ${step} of ${steps}, seed ${seed}`).toEqual(JSON.parse(allowed.old));
        if (step === steps) expect(found, `crash after the call, seed ${seed}`).toBe(allowed.done);
        // The recovered log goes on working.
        const next = await after.append({ term: await after.getLastTerm(), command: text('after') });
        await after.stop();
        const again = newLog(memory);
        await again.start();
        expect((await again.read(next.index))?.command).toEqual(text('after'));
        await again.stop();
      }
    }
  });

  // covers RLG-074, RLG-100
  it('creating a log: no log or an empty one, never a broken one', async () => {
    const count = new InterruptibleStorage(new MemoryStorage());
    count.arm(Number.POSITIVE_INFINITY);
    await newLog(count).start();
    const steps = count.steps;
    const fresh = JSON.stringify(await observe(await (async () => {
      const log = new MemoryLog();
      await log.start();
      return log;
    })()));
    for (let step = 0; step <= steps; step++) {
      for (const seed of SEEDS) {
        const memory = new MemoryStorage();
        const storage = new InterruptibleStorage(memory);
        storage.arm(step);
        const started = newLog(storage).start().then(() => 'done', () => 'failed');
        expect(await Promise.race([started, storage.reached.then(() => 'cut')])).toBe(step === steps ? 'done' : 'cut');
        memory.crash(seededRandom(seed));
        expect(JSON.stringify(await observeAt(memory)), `step ${step}, seed ${seed}`).toBe(fresh);
      }
    }
  });
});
