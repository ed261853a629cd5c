/**
 * Raw `fs` appends: the physical limit for the write workloads. For each entry it writes exactly
 * as many bytes as LSFS adds to its file for it (block headers and padding included), from a
 * buffer prepared in advance (no encoding, no checksums), with one fdatasync where LSFS makes one:
 * per durable batch, and per group of concurrent single appends (the same group commit as LSFS).
 * It reaches the disk the way LSFS's NodeStorage does: writeSync up to 1 MiB, and fdatasync in
 * the `--sync` mode LSFS runs with. It keeps no index, so it takes part only in the write
 * workloads and (read + CRC32C of the LSFS file) in the verify scan.
 */
import { fdatasyncSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Entry } from '../lib/data.js';
import { rawBytes } from '../lib/data.js';
import { LSFS_START, lsfsEncodedSize } from './lsfs.js';
import { syncChoice, syncDescription } from './sync-choice.js';
import type { LogHandle, OpenOptions, Store } from './types.js';

/** Writes up to this size go through writeSync, as NodeStorage's do. */
const SYNC_WRITE_LIMIT_BYTES = 1 << 20;

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
      done +=
        length <= SYNC_WRITE_LIMIT_BYTES
          ? writeSync(this.handle.fd, bytes, done, length - done, this.position + done)
          : (await this.handle.write(bytes, done, length - done, this.position + done)).bytesWritten;
    }
    this.position += length;
  }

  private async sync(): Promise<void> {
    if (syncChoice.mode === 'inline') fdatasyncSync(this.handle.fd);
    else await this.handle.datasync();
  }

  async appendBatch(entries: readonly Entry[]): Promise<void> {
    let length = 0;
    for (const entry of entries) length += lsfsEncodedSize(this.position + length, this.prefix + entry.command.length);
    await this.write(length);
    if (this.durable) await this.sync();
  }

  appendOne(entry: Entry): Promise<void> {
    this.queued += this.sizeOf(entry);
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    if (!this.pumping) void this.pump();
    return done;
  }

  /**
   * Group commit: one write and one fdatasync for everything queued since the last one started.
   * It yields first by LSFS's rule for shared rounds (BlockWriter.syncOnce): one event-loop turn
   * when the last round or this one was shared, so that the appenders the last sync woke join
   * this one; else only until the current synchronous code is done. It leaves out LSFS's probe
   * turn of every 8th lone round: the workloads' appenders need none to meet, and the limit
   * should not pay for it.
   */
  private async pump(): Promise<void> {
    this.pumping = true;
    let previousCrowd = 0;
    while (this.waiters.length > 0) {
      if (previousCrowd > 1 || this.waiters.length > 1) await new Promise<void>((resolve) => setImmediate(resolve));
      else await Promise.resolve();
      const waiters = this.waiters;
      const length = this.queued;
      this.waiters = [];
      this.queued = 0;
      previousCrowd = waiters.length;
      await this.write(length);
      if (this.durable) await this.sync();
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
    get durable() {
      return `the bytes LSFS would add, written as NodeStorage writes them (writeSync up to 1 MiB), then ${syncDescription()} per batch / per group`;
    },
    unsynced: 'the bytes LSFS would add, one write per batch (writeSync up to 1 MiB, as NodeStorage), no sync',
  },
  verifyMeasures: 'reads the LSFS log’s files in 8 MiB chunks and computes CRC32C over all of it (@node-rs/crc32, one call per chunk): the physical limit of a checked scan',
  async open(dir: string, options: OpenOptions): Promise<LogHandle> {
    const handle = await open(join(dir, 'raw.log'), 'w+');
    return new RawLog(handle, options.durable);
  },
};
