/**
 * Raw `fs` appends: the physical limit for the write workloads. For each entry it writes exactly
 * as many bytes as LSFS adds to its file for it (block headers and padding included), from a
 * buffer prepared in advance (no encoding, no checksums), with one fdatasync where LSFS makes one:
 * per durable batch, and per group of concurrent single appends (the same group commit as LSFS).
 * It keeps no index, so it takes part only in the write workloads and (read + CRC32C of the LSFS
 * file) in the verify scan.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Entry } from '../lib/data.js';
import { rawBytes } from '../lib/data.js';
import { LSFS_START, lsfsEncodedSize } from './lsfs.js';
import type { LogHandle, OpenOptions, Store } from './types.js';

/**
 * Bytes the LSFS variant under test puts in a record's payload before the command: 0 for
 * RecordLog, the Raft entry prefix for durable appends through LsfsRaftLog. Set by the runner.
 */
export const rawLayout = { durablePayloadPrefix: 0 };

class RawLog implements LogHandle {
  private position = LSFS_START;
  private salt = 0;
  /** Bytes appended by appendOne and not yet written, and who waits for them. */
  private queued = 0;
  private waiters: (() => void)[] = [];
  private pumping = false;

  private readonly prefix: number;

  constructor(
    private readonly handle: FileHandle,
    private readonly durable: boolean,
  ) {
    this.prefix = durable ? rawLayout.durablePayloadPrefix : 0;
  }

  private sizeOf(entry: Entry): number {
    return lsfsEncodedSize(this.position + this.queued, this.prefix + entry.command.length);
  }

  private async write(length: number): Promise<void> {
    if (length === 0) return;
    const bytes = rawBytes(length, this.salt++);
    let done = 0;
    while (done < length) {
      const { bytesWritten } = await this.handle.write(bytes, done, length - done, this.position + done);
      done += bytesWritten;
    }
    this.position += length;
  }

  async appendBatch(entries: readonly Entry[]): Promise<void> {
    let length = 0;
    for (const entry of entries) length += lsfsEncodedSize(this.position + length, this.prefix + entry.command.length);
    await this.write(length);
    if (this.durable) await this.handle.datasync();
  }

  appendOne(entry: Entry): Promise<void> {
    this.queued += this.sizeOf(entry);
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    if (!this.pumping) void this.pump();
    return done;
  }

  /** Group commit: one write and one fdatasync for everything queued since the last one started. */
  private async pump(): Promise<void> {
    this.pumping = true;
    while (this.waiters.length > 0) {
      const waiters = this.waiters;
      const length = this.queued;
      this.waiters = [];
      this.queued = 0;
      await this.write(length);
      if (this.durable) await this.handle.datasync();
      for (const resolve of waiters) resolve();
    }
    this.pumping = false;
  }

  async drain(): Promise<void> {}

  async last(): Promise<undefined> {
    throw new Error('raw fs keeps no index');
  }

  get(): number {
    throw new Error('raw fs keeps no index');
  }

  async verify(): Promise<number> {
    throw new Error('raw fs: the verify workload reads the LSFS file instead');
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

export const rawStore: Store = {
  id: 'raw',
  label: 'raw fs',
  version: `node:fs (Node ${process.version})`,
  settings: {
    durable: 'FileHandle.write of the bytes LSFS would add, then FileHandle.datasync() (fdatasync) per batch / per group',
    unsynced: 'FileHandle.write of the bytes LSFS would add, one write per batch, no sync',
  },
  verifyMeasures: 'reads the LSFS log’s files in 8 MiB chunks and computes CRC32C over all of it (@node-rs/crc32, one call per chunk): the physical limit of a checked scan',
  async open(dir: string, options: OpenOptions): Promise<LogHandle> {
    const handle = await open(join(dir, 'raw.log'), 'w+');
    return new RawLog(handle, options.durable);
  },
};
