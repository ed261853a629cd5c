/**
 * LSFS through the engine's {@link RecordLog}: the entry's term is the record's type code, its
 * command the payload, the record index the Raft index (base index 1).
 */
import { join } from 'node:path';
import { BlockReader, NodeStorage, RecordLog } from '../../src/index.js';
import { encodedRecordSize } from '../../src/format/layout.js';
import { DEFAULT_BLOCK_SIZE, FILE_HEADER_SIZE } from '../../src/format/constants.js';
import type { Entry } from '../lib/data.js';
import { syncChoice, syncDescription } from './sync-choice.js';
import type { LastEntry, LogHandle, OpenOptions, Store } from './types.js';

export const LSFS_FILE = 'log.lsfs';
export const LSFS_BLOCK_SIZE = DEFAULT_BLOCK_SIZE;

/** Bytes LSFS adds for an entry whose command has `commandLength` bytes, appended at file length `position`. */
export function lsfsEncodedSize(position: number, commandLength: number): number {
  return encodedRecordSize(position, commandLength, { blockSize: LSFS_BLOCK_SIZE, fileId: 0n });
}

export const LSFS_START = FILE_HEADER_SIZE;

class LsfsLog implements LogHandle {
  constructor(
    private readonly log: RecordLog,
    private readonly path: string,
    private readonly durable: boolean,
  ) {}

  async appendBatch(entries: readonly Entry[]): Promise<void> {
    for (const entry of entries) this.log.append(BigInt(entry.term), entry.command);
    if (this.durable) await this.log.sync();
  }

  async appendOne(entry: Entry): Promise<void> {
    this.log.append(BigInt(entry.term), entry.command);
    if (this.durable) await this.log.sync();
  }

  async drain(): Promise<void> {
    await this.log.flush();
  }

  async last(): Promise<LastEntry | undefined> {
    const index = this.log.lastIndex;
    if (index === undefined) return undefined;
    const record = await this.log.get(index);
    return { index: Number(index), term: Number(record.typeCode) };
  }

  async get(index: number): Promise<number> {
    return (await this.log.get(BigInt(index))).payload.length;
  }

  /** What `lsfs verify` does: a read-only reader over the file checks every byte. */
  async verify(): Promise<number> {
    await this.log.flush();
    const reader = await BlockReader.open(new NodeStorage(), this.path);
    try {
      const report = await reader.verify();
      if (report.gaps.length > 0 || report.tail !== undefined) throw new Error(`verify found damage in ${this.path}`);
      return report.records;
    } finally {
      await reader.close();
    }
  }

  async close(): Promise<void> {
    await this.log.close();
  }
}

export const lsfsStore: Store = {
  id: 'lsfs',
  label: 'LSFS',
  version: 'this repository (RecordLog)',
  settings: {
    get durable() {
      return `RecordLog, block size ${LSFS_BLOCK_SIZE}; append() then await sync() (group commit: one fdatasync for concurrent syncs); NodeStorage syncMode ${syncChoice.mode}: ${syncDescription()}`;
    },
    unsynced: `RecordLog, block size ${LSFS_BLOCK_SIZE}; append() only, flush() at the end (no sync)`,
  },
  verifyMeasures: 'BlockReader.verify(): reads every byte, checks every slice CRC32C (what `lsfs verify` runs)',
  async open(dir: string, options: OpenOptions): Promise<LogHandle> {
    const path = join(dir, LSFS_FILE);
    const log = await RecordLog.open(path, { blockSize: LSFS_BLOCK_SIZE, baseIndex: 1n, storage: new NodeStorage({ syncMode: syncChoice.mode }) });
    return new LsfsLog(log, path, options.durable);
  },
};
