/**
 * RSF-023 on the real file system: NodeStorage.createAtomically (which the engine creates every
 * file with) writes the contents to a temporary file in the same directory, syncs it, and only
 * then gives it the final name, and syncs the directory after that — so no reader ever sees a
 * partial file at the final path, and the new name survives a crash. The file system calls are
 * recorded through a pass-through mock of node:fs/promises.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecordLog } from '../../src/engine/record-log.js';
import { decodeFileHeader } from '../../src/format/file-header.js';
import { NodeStorage } from '../../src/io/node-storage.js';

const events = vi.hoisted(() => ({ list: [] as string[], recording: false }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const note = (event: string) => {
    if (events.recording) events.list.push(event);
  };
  type Handle = Awaited<ReturnType<typeof actual.open>>;
  const watch = (handle: Handle, path: string): Handle => {
    for (const method of ['write', 'datasync', 'sync', 'close', 'truncate'] as const) {
      const original = handle[method].bind(handle) as (...args: unknown[]) => Promise<unknown>;
      (handle as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
        const result = await original(...args);
        note(`${method} ${path}`);
        return result;
      };
    }
    return handle;
  };
  const mocked = {
    ...actual,
    open: async (path: string, flags?: string, mode?: number) => {
      const handle = await actual.open(path, flags, mode);
      note(`open ${path} ${flags ?? 'r'}`);
      return watch(handle, String(path));
    },
    link: async (from: string, to: string) => {
      await actual.link(from, to);
      note(`link ${from} -> ${to}`);
    },
    rename: async (from: string, to: string) => {
      await actual.rename(from, to);
      note(`rename ${from} -> ${to}`);
    },
    unlink: async (path: string) => {
      await actual.unlink(path);
      note(`unlink ${path}`);
    },
    writeFile: async (...args: Parameters<typeof actual.writeFile>) => {
      await actual.writeFile(...args);
      note(`writeFile ${String(args[0])}`);
    },
  };
  return { ...mocked, default: mocked };
});

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'lsfs-atomic-'));
  events.list = [];
});

afterEach(async () => {
  events.recording = false;
  await rm(directory, { recursive: true, force: true });
});

/** The events of one createAtomically(path), checked against the protocol of RSF-023. */
function checkProtocol(path: string): void {
  const list = events.list;
  const named = list.findIndex((event) => (event.startsWith('link ') || event.startsWith('rename ')) && event.endsWith(` -> ${path}`));
  expect(named, list.join('\n')).toBeGreaterThanOrEqual(0);
  const [, temporary] = list[named]!.split(' ');
  // A temporary file in the same directory, created fresh, not the final path.
  expect(temporary).not.toBe(path);
  expect(dirname(temporary!)).toBe(dirname(path));
  const before = list.slice(0, named);
  expect(before).toContain(`open ${temporary} wx`);
  expect(before.some((event) => event.startsWith('write ') && event.endsWith(temporary!))).toBe(true);
  // Synced (data) before the name appears.
  expect(before.some((event) => event === `datasync ${temporary}` || event === `sync ${temporary}`), list.join('\n')).toBe(true);
  // Nothing touches the final path before it appears whole.
  expect(before.filter((event) => event.split(' ').includes(path))).toEqual([]);
  // The directory is synced after the name appears.
  const after = list.slice(named + 1);
  const openDirectory = after.indexOf(`open ${dirname(path)} r`);
  expect(openDirectory, list.join('\n')).toBeGreaterThanOrEqual(0);
  expect(after.slice(openDirectory)).toContain(`sync ${dirname(path)}`);
}

describe('NodeStorage.createAtomically', () => {
  // covers RSF-023
  it('writes and syncs a temporary file in the same directory, then names it, then syncs the directory', async () => {
    const storage = new NodeStorage();
    const path = join(directory, 'file.lsfs');
    events.recording = true;
    await storage.createAtomically(path, Buffer.from('a header'));
    events.recording = false;
    checkProtocol(path);
    expect(await readFile(path, 'utf8')).toBe('a header');
    expect(await storage.list(directory)).toEqual([basename(path)]);
  });

  // covers RSF-023
  it('is how the engine creates a file: the final path holds the whole header from the start', async () => {
    const path = join(directory, 'log.lsfs');
    events.recording = true;
    const log = await RecordLog.open(path, { storage: new NodeStorage(), blockSize: 512, fileId: 11n, baseIndex: 5n });
    events.recording = false;
    checkProtocol(path);
    const onDisk = await readFile(path);
    expect(onDisk.length).toBe(64);
    expect(decodeFileHeader(onDisk)).toEqual({ blockSize: 512, fileId: 11n, baseIndex: 5n });
    await log.close();
  });
});
