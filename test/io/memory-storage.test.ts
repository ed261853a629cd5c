import { describe, it, expect } from 'vitest';
import { expectCode, rejection } from '../support/expect-error.js';
import fc from 'fast-check';
import { MemoryStorage, seededRandom, type CrashSummary } from '../../src/io/memory-storage.js';
import { isLsfsError } from '../../src/errors.js';

/** A random source stuck near 1: a crash keeps every pending change and tears nothing. */
const keepEverything = () => 0.999999;
/** A random source stuck at 0: a crash drops every pending change. */
const keepNothing = () => 0;

function bytes(...values: number[]): Buffer {
  return Buffer.from(values);
}

/** Distinct non-zero bytes, so a kept prefix, a cut or a zeroed run is visible. */
function pattern(length: number, salt: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, index) => 1 + ((index * 7 + salt * 31) % 251)));
}


async function storageWithFile(path: string, contents: Uint8Array = Buffer.alloc(0)): Promise<MemoryStorage> {
  const storage = new MemoryStorage();
  await storage.makeDirectory(path.slice(0, path.lastIndexOf('/')));
  await storage.createAtomically(path, contents);
  return storage;
}

describe('MemoryStorage files', () => {
  it('reads what was written, short only at the end of the file', async () => {
    const storage = await storageWithFile('/d/f', bytes(1, 2, 3));
    const file = await storage.open('/d/f', 'write');
    await file.write(bytes(4, 5), 3);
    expect(await file.size()).toBe(5);
    expect(await file.read(0, 5)).toEqual(bytes(1, 2, 3, 4, 5));
    expect(await file.read(3, 100)).toEqual(bytes(4, 5));
    expect(await file.read(5, 10)).toEqual(Buffer.alloc(0));
    expect(await file.read(50, 10)).toEqual(Buffer.alloc(0));
  });

  it('zero-fills a gap left by a write past the end, and after a shrink-then-grow truncate', async () => {
    const storage = await storageWithFile('/d/f', bytes(9, 9, 9, 9));
    const file = await storage.open('/d/f', 'write');
    await file.write(bytes(7), 6);
    expect(await file.read(0, 10)).toEqual(bytes(9, 9, 9, 9, 0, 0, 7));
    await file.truncate(2);
    await file.truncate(5);
    expect(await file.read(0, 10)).toEqual(bytes(9, 9, 0, 0, 0));
  });

  it('returns copies: changing a read buffer or a written array later changes nothing stored', async () => {
    const storage = await storageWithFile('/d/f');
    const file = await storage.open('/d/f', 'write');
    const data = bytes(1, 2, 3);
    await file.write(data, 0);
    data[0] = 99;
    const read = await file.read(0, 3);
    read[1] = 99;
    expect(await file.read(0, 3)).toEqual(bytes(1, 2, 3));
    expect(storage.snapshot('/d/f')).toEqual(bytes(1, 2, 3));
  });

  it('lets a second handle see unsynced writes at once, like a page cache', async () => {
    const storage = await storageWithFile('/d/f');
    const writer = await storage.open('/d/f', 'write');
    const reader = await storage.open('/d/f', 'read');
    await writer.write(bytes(1, 2), 0);
    expect(await reader.read(0, 10)).toEqual(bytes(1, 2));
  });

  it('refuses writes through a read handle and use after close', async () => {
    const storage = await storageWithFile('/d/f');
    const reader = await storage.open('/d/f', 'read');
    await expectCode(reader.write(bytes(1), 0), 'IO_ERROR', 'EBADF');
    await expectCode(reader.truncate(0), 'IO_ERROR', 'EBADF');
    await reader.close();
    await reader.close();
    await expectCode(reader.read(0, 1), 'CLOSED');
    await expectCode(reader.size(), 'CLOSED');
    await expectCode(reader.datasync(), 'CLOSED');
  });

  it('rejects negative or fractional positions and lengths', async () => {
    const storage = await storageWithFile('/d/f');
    const file = await storage.open('/d/f', 'write');
    await expectCode(file.read(-1, 1), 'INVALID_ARGUMENT');
    await expectCode(file.write(bytes(1), 0.5), 'INVALID_ARGUMENT');
    await expectCode(file.truncate(-3), 'INVALID_ARGUMENT');
  });

  it('reports missing and existing paths like the file system', async () => {
    const storage = await storageWithFile('/d/f');
    await expectCode(storage.open('/d/missing', 'read'), 'IO_ERROR', 'ENOENT');
    await expectCode(storage.createAtomically('/d/f', bytes(1)), 'IO_ERROR', 'EEXIST');
    await expectCode(storage.createAtomically('/nodir/f', bytes(1)), 'IO_ERROR', 'ENOENT');
    await expectCode(storage.rename('/d/missing', '/d/g'), 'IO_ERROR', 'ENOENT');
    await expectCode(storage.list('/nodir'), 'IO_ERROR', 'ENOENT');
    expect(storage.snapshot('/d/f')).toEqual(Buffer.alloc(0));
  });

  it('lists the entries directly in a directory, sorted, and removes and renames files', async () => {
    const storage = new MemoryStorage();
    await storage.makeDirectory('/d/sub/deeper');
    for (const name of ['b', 'a', 'c']) await storage.createAtomically(`/d/${name}`, bytes(1));
    await storage.createAtomically('/d/sub/x', bytes(1));
    expect(await storage.list('/d')).toEqual(['a', 'b', 'c', 'sub']);
    expect(await storage.list('/d/')).toEqual(['a', 'b', 'c', 'sub']);
    await storage.remove('/d/b');
    await storage.remove('/d/b');
    await storage.rename('/d/a', '/d/c');
    expect(await storage.list('/d')).toEqual(['c', 'sub']);
    expect(await storage.exists('/d/a')).toBe(false);
    expect(await storage.exists('/d/sub')).toBe(true);
    expect(await storage.list('/d/sub')).toEqual(['deeper', 'x']);
  });
});

describe('MemoryStorage tools for tests', () => {
  it('counts syncs and written bytes', async () => {
    const storage = await storageWithFile('/d/f');
    const file = await storage.open('/d/f', 'write');
    await file.write(pattern(10, 1), 0);
    await file.write(pattern(5, 2), 10);
    await file.datasync();
    expect(storage.bytesWritten).toBe(15);
    expect(storage.syncCount).toBe(1);
    expect(storage.directorySyncCount).toBe(1);
  });

  it('injects damage that survives a crash: setBytes and flipBit change current and durable bytes', async () => {
    const storage = await storageWithFile('/d/f', bytes(0, 0));
    storage.flipBit('/d/f', 9);
    expect(storage.snapshot('/d/f')).toEqual(bytes(0, 2));
    storage.setBytes('/d/g', bytes(5, 6));
    storage.crash(keepNothing);
    expect(storage.snapshot('/d/f')).toEqual(bytes(0, 2));
    expect(storage.snapshot('/d/g')).toEqual(bytes(5, 6));
    expect(() => storage.flipBit('/d/f', 16)).toThrow(/outside/);
  });
});

describe('MemoryStorage crash: file data', () => {
  async function writeSyncedThenUnsynced(storage: MemoryStorage): Promise<void> {
    const file = await storage.open('/d/f', 'write');
    await file.write(pattern(1000, 1), 0);
    await file.datasync();
    await file.write(pattern(3000, 2), 1000);
  }

  it('keeps synced bytes and drops unsynced ones when the crash keeps nothing', async () => {
    const storage = await storageWithFile('/d/f');
    await writeSyncedThenUnsynced(storage);
    const summary = storage.crash(keepNothing);
    expect(storage.snapshot('/d/f')).toEqual(pattern(1000, 1));
    expect(summary.files).toEqual([
      expect.objectContaining({ path: '/d/f', syncedLength: 1000, writtenLength: 4000, length: 1000, tear: null }),
    ]);
  });

  it('keeps everything written when the crash keeps everything', async () => {
    const storage = await storageWithFile('/d/f');
    await writeSyncedThenUnsynced(storage);
    storage.crash(keepEverything);
    expect(storage.snapshot('/d/f')).toEqual(Buffer.concat([pattern(1000, 1), pattern(3000, 2)]));
  });

  it('may or may not apply an unsynced truncation', async () => {
    const storage = await storageWithFile('/d/f', pattern(100, 3));
    const file = await storage.open('/d/f', 'write');
    await file.truncate(10);
    storage.crash(keepNothing);
    expect(storage.snapshot('/d/f')).toEqual(pattern(100, 3));
    const again = await storage.open('/d/f', 'write');
    await again.truncate(10);
    storage.crash(keepEverything);
    expect(storage.snapshot('/d/f')).toEqual(pattern(10, 3));
  });

  it('tears only whole sectors past the synced length', async () => {
    let tears = 0;
    for (let seed = 0; seed < 200; seed++) {
      const storage = await storageWithFile('/d/f', pattern(700, 4));
      const file = await storage.open('/d/f', 'write');
      await file.write(pattern(5000, 5), 700);
      const [crashed] = storage.crash(seededRandom(seed)).files;
      if (crashed?.tear == null) continue;
      tears++;
      expect(crashed.tear.from % 512).toBe(0);
      expect(crashed.tear.from).toBeGreaterThanOrEqual(1024);
      expect(crashed.tear.from).toBeLessThan(crashed.length);
      expect(storage.snapshot('/d/f').subarray(0, 700)).toEqual(pattern(700, 4));
    }
    expect(tears).toBeGreaterThan(20);
  });

  it('kills handles opened before the crash and works normally afterwards', async () => {
    const storage = await storageWithFile('/d/f', bytes(1, 2, 3));
    const old = await storage.open('/d/f', 'write');
    storage.crash(seededRandom(1));
    const error = await rejection(old.read(0, 1));
    expect(isLsfsError(error, 'IO_ERROR')).toBe(true);
    expect(String((error as Error).message)).toMatch(/storage crashed/);
    await expectCode(old.write(bytes(1), 0), 'IO_ERROR');
    await expectCode(old.close(), 'IO_ERROR');
    await old.close();
    const fresh = await storage.open('/d/f', 'write');
    await fresh.write(bytes(4), 3);
    expect(await fresh.read(0, 10)).toEqual(bytes(1, 2, 3, 4));
  });

  it('syncs tens of MiB with frequent syncs quickly (datasync copies only what changed)', async () => {
    const storage = await storageWithFile('/d/f');
    const file = await storage.open('/d/f', 'write');
    const chunk = pattern(64 * 1024, 6);
    const started = Date.now();
    for (let offset = 0; offset < 32 * 1024 * 1024; offset += chunk.length) {
      await file.write(chunk, offset);
      await file.datasync();
    }
    expect(await file.size()).toBe(32 * 1024 * 1024);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

type Change = { kind: 'write'; length: number } | { kind: 'sync' } | { kind: 'truncate'; fraction: number };

const changeArbitrary: fc.Arbitrary<Change> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('write' as const), length: fc.integer({ min: 1, max: 1500 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'sync' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('truncate' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
  },
);

/**
 * What the program did since the last sync, as the states the file went through: states[0] is the
 * synced content, states[k] the content after the k-th pending change.
 */
interface History {
  states: Buffer[];
  changes: Change['kind'][];
}

async function replay(storage: MemoryStorage, changes: Change[]): Promise<History> {
  const file = await storage.open('/d/f', 'write');
  let history: History = { states: [storage.snapshot('/d/f')], changes: [] };
  for (const [index, change] of changes.entries()) {
    if (change.kind === 'sync') {
      await file.datasync();
      history = { states: [storage.snapshot('/d/f')], changes: [] };
      continue;
    }
    if (change.kind === 'write') await file.write(pattern(change.length, index), await file.size());
    else await file.truncate(Math.floor(change.fraction * (await file.size())));
    history.states.push(storage.snapshot('/d/f'));
    history.changes.push(change.kind);
  }
  return history;
}

/** True when `intact` (the crashed file before its torn run) and `length` fit state k of the history. */
function fitsState(history: History, k: number, intact: Buffer, length: number): boolean {
  const state = history.states[k]!;
  if (!intact.equals(state.subarray(0, intact.length))) return false;
  // A write that was cut leaves a length between the states before and after it.
  const previous = history.states[k - 1];
  if (history.changes[k - 1] === 'write' && previous !== undefined) return length >= previous.length && length <= state.length;
  return length === state.length;
}

function describeCrash(seed: number, changes: Change[], summary: CrashSummary): string {
  return JSON.stringify({ seed, changes, summary });
}

describe('MemoryStorage crash: fault model properties', () => {
  it('keeps synced bytes, keeps a prefix of later changes, and tears only the unsynced tail', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(changeArbitrary, { maxLength: 25 }), fc.integer(), async (changes, seed) => {
        const storage = await storageWithFile('/d/f', pattern(100, 99));
        const history = await replay(storage, changes);
        const summary = storage.crash(seededRandom(seed));
        const after = storage.snapshot('/d/f');
        const context = describeCrash(seed, changes, summary);
        const synced = history.states[0]!;
        const written = history.states.at(-1)!;
        const tear = summary.files[0]!.tear;

        // Bytes below every pending truncation are synced and never change.
        const untouchable = Math.min(...history.states.map((state) => state.length));
        expect(after.subarray(0, untouchable).equals(synced.subarray(0, untouchable)), context).toBe(true);
        if (!history.changes.includes('truncate')) {
          expect(after.length, context).toBeGreaterThanOrEqual(synced.length);
          expect(after.length, context).toBeLessThanOrEqual(written.length);
        }
        if (tear !== null) {
          expect(tear.from % 512, context).toBe(0);
          expect(tear.from, context).toBeGreaterThanOrEqual(synced.length);
          expect(tear.from, context).toBeLessThan(after.length);
          if (tear.kind === 'zero') expect(after.subarray(tear.from).every((byte) => byte === 0), context).toBe(true);
        }
        const intact = after.subarray(0, tear?.from ?? after.length);
        const fits = history.states.some((_, k) => fitsState(history, k, intact, after.length));
        expect(fits, context).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('makes every crash state reachable: both nothing and everything unsynced survive for some seed', async () => {
    const outcomes = new Set<number>();
    for (let seed = 0; seed < 100; seed++) {
      const storage = await storageWithFile('/d/f');
      const file = await storage.open('/d/f', 'write');
      await file.write(pattern(100, 1), 0);
      outcomes.add(storage.crash(seededRandom(seed)).files[0]!.length);
    }
    expect(outcomes.has(0)).toBe(true);
    expect(outcomes.has(100)).toBe(true);
  });
});

describe('MemoryStorage crash: directory entries', () => {
  it('may undo an unsynced rename or removal, and never one followed by a directory sync', async () => {
    const storage = await storageWithFile('/d/tmp', bytes(1));
    await storage.rename('/d/tmp', '/d/final');
    let summary = storage.crash(keepNothing);
    expect(await storage.list('/d')).toEqual(['tmp']);
    expect(summary).toMatchObject({ lost: ['/d/final'], revived: ['/d/tmp'] });

    await storage.rename('/d/tmp', '/d/final');
    await storage.syncDirectory('/d');
    await storage.remove('/d/final');
    summary = storage.crash(keepNothing);
    expect(await storage.list('/d')).toEqual(['final']);
    expect(storage.snapshot('/d/final')).toEqual(bytes(1));
  });

  it('keeps a synced creation and a synced rename for every seed; an unsynced one vanishes for some', async () => {
    let vanished = 0;
    for (let seed = 0; seed < 100; seed++) {
      const storage = new MemoryStorage();
      await storage.makeDirectory('/d');
      await storage.createAtomically('/d/created', bytes(1));
      await storage.createAtomically('/d/a', bytes(2));
      await storage.createAtomically('/d/b', bytes(3));
      await storage.rename('/d/a', '/d/synced');
      await storage.syncDirectory('/d');
      await storage.rename('/d/b', '/d/unsynced');
      storage.crash(seededRandom(seed));
      const names = await storage.list('/d');
      expect(names).toContain('created');
      expect(names).toContain('synced');
      // A rename is atomic: the file has exactly one of its two names.
      expect(names.includes('b') !== names.includes('unsynced')).toBe(true);
      if (!names.includes('unsynced')) vanished++;
    }
    expect(vanished).toBeGreaterThan(10);
    expect(vanished).toBeLessThan(90);
  });

  it('keeps each directory in order: a later operation never survives an earlier dropped one', async () => {
    for (let seed = 0; seed < 100; seed++) {
      const storage = new MemoryStorage();
      await storage.makeDirectory('/d');
      await storage.makeDirectory('/e');
      await storage.createAtomically('/d/x', bytes(1));
      await storage.rename('/d/x', '/d/y');
      await storage.rename('/d/y', '/e/z');
      await storage.rename('/e/z', '/e/w');
      storage.crash(seededRandom(seed));
      const where = [...(await storage.list('/d')).map((n) => `/d/${n}`), ...(await storage.list('/e')).map((n) => `/e/${n}`)];
      expect(where.length, `seed ${seed}: ${where}`).toBe(1);
    }
  });

  it('commits the operations of a synced directory only', async () => {
    const storage = new MemoryStorage();
    await storage.makeDirectory('/d');
    await storage.makeDirectory('/e');
    await storage.createAtomically('/d/x', bytes(1));
    await storage.createAtomically('/e/x', bytes(1));
    await storage.rename('/d/x', '/d/y');
    await storage.rename('/e/x', '/e/y');
    await storage.syncDirectory('/e');
    storage.crash(keepNothing);
    expect(await storage.list('/d')).toEqual(['x']);
    expect(await storage.list('/e')).toEqual(['y']);
  });
});

describe('MemoryStorage locks', () => {
  it('gives LOCKED to a second writer until the first releases', async () => {
    const storage = new MemoryStorage();
    await storage.makeDirectory('/d');
    const lock = await storage.lock('/d/f');
    await expectCode(storage.lock('/d/f'), 'LOCKED');
    await lock.release();
    await lock.release();
    const again = await storage.lock('/d/f');
    await again.release();
  });

  it('releases every lock in a crash, and a stale release cannot free the next holder', async () => {
    const storage = new MemoryStorage();
    await storage.makeDirectory('/d');
    const before = await storage.lock('/d/f');
    storage.crash(keepNothing);
    const after = await storage.lock('/d/f');
    await before.release();
    await expectCode(storage.lock('/d/f'), 'LOCKED');
    await after.release();
  });
});
