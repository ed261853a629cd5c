/**
 * LSFS through the Raft log ({@link LsfsRaftLog}, src/raft/): what a Raft engine on LSFS runs.
 * Durable opens use it; unsynced opens (workload 3: the Raft log has no unsynced append) use the
 * engine's RecordLog as `lsfs.ts` does. An entry is one record: type code CLIENT_COMMAND, payload
 * term (u64) ‖ flags (1 byte) ‖ command.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BlockReader, NodeStorage } from '../../src/index.js';
import { LsfsRaftLog } from '../../src/raft/index.js';
import type { Entry } from '../lib/data.js';
import { lsfsStore } from './lsfs.js';
import { syncChoice, syncDescription } from './sync-choice.js';
import type { LastEntry, LogHandle, OpenOptions, Store } from './types.js';

/** Bytes of an entry's record payload before its command: term (8) and flags (1), spec RLG-031. */
export const RAFT_ENTRY_PREFIX = 9;

class RaftHandle implements LogHandle {
  constructor(
    private readonly log: LsfsRaftLog,
    private readonly dir: string,
  ) {}

  async appendBatch(entries: readonly Entry[]): Promise<void> {
    await this.log.appendMulti(entries.map((entry) => ({ term: entry.term, command: entry.command })));
  }

  async appendOne(entry: Entry): Promise<void> {
    await this.log.append({ term: entry.term, command: entry.command });
  }

  async drain(): Promise<void> {}

  async last(): Promise<LastEntry | undefined> {
    const index = await this.log.getLastIndex();
    return index === 0 ? undefined : { index, term: await this.log.getLastTerm() };
  }

  async get(index: number): Promise<number> {
    const entry = await this.log.read(index);
    if (entry === undefined) throw new Error(`raft log: no entry ${index}`);
    return entry.command.length;
  }

  /** Every segment file verified with BlockReader.verify (what `lsfs verify` runs on each). */
  async verify(): Promise<number> {
    let records = 0;
    const storage = new NodeStorage();
    for (const name of readdirSync(this.dir).filter((file) => file.endsWith('.lsfs')).sort()) {
      const reader = await BlockReader.open(storage, join(this.dir, name));
      try {
        const report = await reader.verify();
        if (report.gaps.length > 0 || report.tail !== undefined) throw new Error(`verify found damage in ${name}`);
        records += report.records;
      } finally {
        await reader.close();
      }
    }
    return records;
  }

  async close(): Promise<void> {
    await this.log.stop();
  }
}

export const lsfsRaftStore: Store = {
  id: 'lsfs',
  label: 'LSFS',
  version: 'this repository (LsfsRaftLog; RecordLog for unsynced appends)',
  settings: {
    get durable() {
      return `LsfsRaftLog (64 MiB segments, block size 4096): appendMulti() per batch, append() per single entry; each resolves when durable (group commit); NodeStorage syncMode ${syncChoice.mode}: ${syncDescription()}`;
    },
    unsynced: lsfsStore.settings.unsynced,
  },
  verifyMeasures: 'BlockReader.verify() of every segment file: reads every byte, checks every slice CRC32C (what `lsfs verify` runs)',
  async open(dir: string, options: OpenOptions): Promise<LogHandle> {
    if (!options.durable) return lsfsStore.open(dir, options);
    const log = new LsfsRaftLog({ directory: dir, storage: new NodeStorage({ syncMode: syncChoice.mode }) });
    await log.start();
    return new RaftHandle(log, dir);
  },
};
