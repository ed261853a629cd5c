import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { expectCode, rejection } from '../support/expect-error.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { NodeStorage } from '../../src/io/node-storage.js';

/** Above Linux's largest possible pid (2^22), so no process can have it. */
const DEAD_PID = 2 ** 22 + 4321;

let directory: string;
const storage = new NodeStorage();

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'lsfs-node-storage-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});


describe('NodeStorage files', () => {
  it('creates a file atomically, leaving no temporary file behind', async () => {
    const path = join(directory, 'f');
    await storage.createAtomically(path, Buffer.from('header'));
    expect(await readFile(path, 'utf8')).toBe('header');
    expect(await storage.list(directory)).toEqual(['f']);
  });

  it('refuses to create over an existing file and leaves it untouched', async () => {
    const path = join(directory, 'f');
    await storage.createAtomically(path, Buffer.from('first'));
    await expectCode(storage.createAtomically(path, Buffer.from('second')), 'IO_ERROR', 'EEXIST');
    expect(await readFile(path, 'utf8')).toBe('first');
    expect(await storage.list(directory)).toEqual(['f']);
  });

  it('cleans up and reports IO_ERROR when creating in a missing directory', async () => {
    await expectCode(storage.createAtomically(join(directory, 'no', 'f'), Buffer.from('x')), 'IO_ERROR', 'ENOENT');
    expect(await storage.list(directory)).toEqual([]);
  });

  it('reads, writes, truncates and syncs', async () => {
    const path = join(directory, 'f');
    await storage.createAtomically(path, Buffer.from([1, 2, 3]));
    const file = await storage.open(path, 'write');
    await file.write(Buffer.from([4, 5]), 3);
    await file.datasync();
    expect(await file.size()).toBe(5);
    expect(await file.read(1, 3)).toEqual(Buffer.from([2, 3, 4]));
    await file.truncate(2);
    expect(await file.read(0, 10)).toEqual(Buffer.from([1, 2]));
    await file.close();
  });

  it('syncs inline by default or in the thread pool when asked, and refuses another sync mode', async () => {
    expect(storage.syncMode).toBe('inline');
    for (const syncMode of ['inline', 'thread-pool'] as const) {
      const each = new NodeStorage({ syncMode });
      expect(each.syncMode).toBe(syncMode);
      const path = join(directory, syncMode);
      await each.createAtomically(path, Buffer.from([1]));
      const file = await each.open(path, 'write');
      await file.write(Buffer.from([2, 3]), 1);
      await file.datasync();
      expect(await readFile(path)).toEqual(Buffer.from([1, 2, 3]));
      await file.close();
      await expectCode(file.datasync(), 'CLOSED');
    }
    expect(() => new NodeStorage({ syncMode: 'sometimes' as never })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('returns a short buffer at the end of the file without allocating the requested length', async () => {
    const path = join(directory, 'f');
    await storage.createAtomically(path, Buffer.from([1, 2, 3]));
    const file = await storage.open(path, 'read');
    expect(await file.read(1, 2 ** 40)).toEqual(Buffer.from([2, 3]));
    expect(await file.read(3, 10)).toEqual(Buffer.alloc(0));
    expect(await file.read(100, 10)).toEqual(Buffer.alloc(0));
    await file.close();
  });

  it('lets a reader see what a writer wrote', async () => {
    const path = join(directory, 'f');
    await storage.createAtomically(path, Buffer.alloc(0));
    const writer = await storage.open(path, 'write');
    const reader = await storage.open(path, 'read');
    await writer.write(Buffer.from([7, 8]), 0);
    expect(await reader.read(0, 10)).toEqual(Buffer.from([7, 8]));
    await writer.close();
    await reader.close();
  });

  it('refuses use after close with CLOSED, and closing twice is harmless', async () => {
    const path = join(directory, 'f');
    await storage.createAtomically(path, Buffer.from([1]));
    const file = await storage.open(path, 'write');
    await file.close();
    await file.close();
    await expectCode(file.read(0, 1), 'CLOSED');
    await expectCode(file.write(Buffer.from([1]), 0), 'CLOSED');
    await expectCode(file.size(), 'CLOSED');
    await expectCode(file.truncate(0), 'CLOSED');
    await expectCode(file.datasync(), 'CLOSED');
  });

  it('reports operating-system failures as IO_ERROR with the cause', async () => {
    await expectCode(storage.open(join(directory, 'missing'), 'read'), 'IO_ERROR', 'ENOENT');
    await expectCode(storage.list(join(directory, 'missing')), 'IO_ERROR', 'ENOENT');
    await expectCode(storage.syncDirectory(join(directory, 'missing')), 'IO_ERROR', 'ENOENT');
    await expectCode(storage.rename(join(directory, 'a'), join(directory, 'b')), 'IO_ERROR', 'ENOENT');
    const path = join(directory, 'f');
    await storage.createAtomically(path, Buffer.from([1]));
    const reader = await storage.open(path, 'read');
    await expectCode(reader.write(Buffer.from([2]), 0), 'IO_ERROR', 'EBADF');
    await reader.close();
  });

  it('makes directories, lists sorted, renames over a file, removes, and syncs a directory', async () => {
    const sub = join(directory, 'a', 'b');
    await storage.makeDirectory(sub);
    await storage.makeDirectory(sub);
    for (const name of ['z', 'm', 'c']) await storage.createAtomically(join(sub, name), Buffer.from(name));
    expect(await storage.list(sub)).toEqual(['c', 'm', 'z']);
    await storage.rename(join(sub, 'c'), join(sub, 'z'));
    expect(await readFile(join(sub, 'z'), 'utf8')).toBe('c');
    await storage.remove(join(sub, 'm'));
    await storage.remove(join(sub, 'm'));
    expect(await storage.list(sub)).toEqual(['z']);
    expect(await storage.exists(join(sub, 'z'))).toBe(true);
    expect(await storage.exists(join(sub, 'm'))).toBe(false);
    await storage.syncDirectory(sub);
  });
});

describe('NodeStorage locks', () => {
  it('gives LOCKED to a second writer in this process, through the same or another instance', async () => {
    const path = join(directory, 'f');
    const lock = await storage.lock(path);
    await expectCode(storage.lock(path), 'LOCKED');
    await expectCode(new NodeStorage().lock(path), 'LOCKED');
    const owner = JSON.parse(await readFile(`${path}.lock`, 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, hostname: hostname() });
    expect(typeof owner.createdAt).toBe('string');
    await lock.release();
    await lock.release();
    expect(await storage.exists(`${path}.lock`)).toBe(false);
    const again = await new NodeStorage().lock(path);
    await again.release();
  });

  it('lets only one of two simultaneous lock calls in this process win', async () => {
    const path = join(directory, 'f');
    const results = await Promise.allSettled([storage.lock(path), new NodeStorage().lock(path)]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results) if (result.status === 'fulfilled') await result.value.release();
  });

  it('takes over a stale lock file of a dead process on this host', async () => {
    const path = join(directory, 'f');
    await writeFile(`${path}.lock`, JSON.stringify({ pid: DEAD_PID, hostname: hostname(), createdAt: 'then' }));
    const lock = await storage.lock(path);
    expect(JSON.parse(await readFile(`${path}.lock`, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a lock file that holds no complete owner record', async () => {
    const path = join(directory, 'f');
    await writeFile(`${path}.lock`, '{"pid": 12');
    const lock = await storage.lock(path);
    await lock.release();
  });

  it('respects a lock file of a live process, and of a process on another host', async () => {
    const path = join(directory, 'f');
    // Our own pid, but not taken through NodeStorage: looks like another live writer.
    await writeFile(`${path}.lock`, JSON.stringify({ pid: process.pid, hostname: hostname(), createdAt: 'now' }));
    await expectCode(storage.lock(path), 'LOCKED');
    await writeFile(`${path}.lock`, JSON.stringify({ pid: DEAD_PID, hostname: `not-${hostname()}`, createdAt: 'now' }));
    await expectCode(storage.lock(path), 'LOCKED');
  });

  it('does not remove a lock file that another writer has taken over', async () => {
    const path = join(directory, 'f');
    const lock = await storage.lock(path);
    const other = JSON.stringify({ pid: process.pid, hostname: hostname(), createdAt: 'other' });
    await writeFile(`${path}.lock`, other);
    await lock.release();
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(other);
  });

  it('is exclusive across processes and taken over once the holder dies', async () => {
    const path = join(directory, 'f');
    const child = await spawnLockHolder(`${path}.lock`);
    try {
      await expectCode(storage.lock(path), 'LOCKED');
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    const lock = await storage.lock(path);
    await lock.release();
  });
});

/**
 * A child process that writes a lock file the way NodeStorage does (its own pid and host) and then
 * holds it until killed; resolves once the file is in place.
 */
async function spawnLockHolder(lockPath: string): Promise<ChildProcess> {
  const script = `
    const fs = require('node:fs');
    const os = require('node:os');
    const record = { pid: process.pid, hostname: os.hostname(), createdAt: new Date().toISOString() };
    fs.writeFileSync(process.argv[1], JSON.stringify(record), { flag: 'wx' });
    process.stdout.write('locked\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', script, lockPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  expect(chunk.toString()).toContain('locked');
  return child;
}
