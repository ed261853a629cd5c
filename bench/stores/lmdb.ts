/**
 * lmdb (lmdb-js): key = the index (ordered-binary number), value = term ‖ command, stored as raw
 * bytes (`encoding: 'binary'`). Writes go to lmdb-js's write thread, which puts every write of an
 * event turn into one transaction; a durable write is awaited and then `db.flushed` (the default
 * overlappingSync mode fsyncs after the commit). Unsynced logs use `noSync: true`.
 */
import { open, type RootDatabase } from 'lmdb';
import { join } from 'node:path';
import type { Entry } from '../lib/data.js';
import { packageVersion } from '../lib/package-version.js';
import { termFromValue, TERM_BYTES, valueOf } from './codec.js';
import type { LastEntry, LogHandle, OpenOptions, Store } from './types.js';

class LmdbLog implements LogHandle {
  constructor(
    private readonly db: RootDatabase<Buffer, number>,
    private readonly durable: boolean,
  ) {}

  async appendBatch(entries: readonly Entry[]): Promise<void> {
    let written: Promise<boolean> | undefined;
    for (const entry of entries) written = this.db.put(entry.index, valueOf(entry));
    await written;
    if (this.durable) await this.db.flushed;
  }

  async appendOne(entry: Entry): Promise<void> {
    await this.db.put(entry.index, valueOf(entry));
    if (this.durable) await this.db.flushed;
  }

  async drain(): Promise<void> {
    await this.db.committed;
  }

  async last(): Promise<LastEntry | undefined> {
    for (const { key, value } of this.db.getRange({ reverse: true, limit: 1 })) return { index: key, term: termFromValue(value) };
    return undefined;
  }

  get(index: number): number {
    const value = this.db.getBinary(index);
    if (value === undefined) throw new Error(`lmdb: no entry ${index}`);
    return value.length - TERM_BYTES;
  }

  /** LMDB keeps no checksums: the closest to a verify is a full cursor walk that reads every value. */
  async verify(): Promise<number> {
    let entries = 0;
    let bytes = 0;
    for (const { value } of this.db.getRange({})) {
      entries++;
      bytes += value.length;
    }
    if (bytes === 0 && entries > 0) throw new Error('lmdb: empty values');
    return entries;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export const lmdbStore: Store = {
  id: 'lmdb',
  label: 'LMDB',
  version: `lmdb ${packageVersion('lmdb')}`,
  settings: {
    durable: "encoding 'binary', default overlappingSync; await put() then await db.flushed",
    unsynced: "encoding 'binary', noSync: true; await put() (commit, no flush)",
  },
  verifyMeasures: 'full cursor iteration reading every value (LMDB keeps no checksums)',
  async open(dir: string, options: OpenOptions): Promise<LogHandle> {
    const db = open<Buffer, number>({ path: join(dir, 'log.mdb'), encoding: 'binary', noSync: !options.durable });
    return new LmdbLog(db, options.durable);
  },
};
