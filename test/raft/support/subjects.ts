/**
 * The logs the shared tests run against: {@link MemoryLog}, and {@link LsfsRaftLog} on the
 * in-memory disk and on the real file system. Each subject can be restarted: a stopped log is
 * replaced by a new object over the same storage, as a new process would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStorage } from '../../../src/io/memory-storage.js';
import { NodeStorage } from '../../../src/io/node-storage.js';
import type { Storage } from '../../../src/io/storage.js';
import { LsfsRaftLog, MemoryLog, type LogAPI } from '../../../src/raft/index.js';

export interface Subject {
  /** The log in use (replaced by {@link restart}). */
  log: LogAPI;
  /** Stops the log and starts a new one over the same storage. */
  restart(): Promise<void>;
  /** Stops the log and frees its storage. */
  dispose(): Promise<void>;
}

export interface SubjectKind {
  readonly name: string;
  /** A started log. */
  create(options?: { now?: () => number }): Promise<Subject>;
}

/** Small blocks and segments, so that a few entries already span several segment files. */
export const SMALL_SEGMENTS = { blockSize: 512, segmentBytes: 2048 } as const;

export const MEMORY_DIRECTORY = '/mem/raft';

async function lsfsSubject(storage: Storage, directory: string, cleanup: () => Promise<void>, now?: () => number): Promise<Subject> {
  const open = async () => {
    const log = new LsfsRaftLog({ directory, storage, ...SMALL_SEGMENTS, ...(now === undefined ? {} : { now }) });
    await log.start();
    return log;
  };
  const subject: Subject = {
    log: await open(),
    async restart() {
      await subject.log.stop();
      subject.log = await open();
    },
    async dispose() {
      await subject.log.stop();
      await cleanup();
    },
  };
  return subject;
}

export const memoryLogKind: SubjectKind = {
  name: 'MemoryLog',
  async create(options = {}) {
    const log = new MemoryLog(options);
    await log.start();
    return {
      log,
      async restart() {
        await log.stop();
        await log.start();
      },
      async dispose() {
        await log.stop();
      },
    };
  },
};

export const lsfsOnMemoryKind: SubjectKind = {
  name: 'LsfsRaftLog on MemoryStorage',
  async create(options = {}) {
    return lsfsSubject(new MemoryStorage(), MEMORY_DIRECTORY, async () => undefined, options.now);
  },
};

export const lsfsOnNodeKind: SubjectKind = {
  name: 'LsfsRaftLog on NodeStorage',
  async create(options = {}) {
    const root = await mkdtemp(join(tmpdir(), 'lsfs-raft-'));
    return lsfsSubject(new NodeStorage(), join(root, 'raft'), () => rm(root, { recursive: true, force: true }), options.now);
  },
};

export const ALL_KINDS: readonly SubjectKind[] = [memoryLogKind, lsfsOnMemoryKind, lsfsOnNodeKind];
