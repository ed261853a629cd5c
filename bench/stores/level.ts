/**
 * classic-level (LevelDB): key = the index as 8 big-endian bytes, value = term ‖ command. Durable
 * writes pass `sync: true` (LevelDB fsyncs its log; concurrent writers are grouped by LevelDB's
 * writer queue); unsynced writes `sync: false`. Default options (Snappy compression on: the
 * payloads here are random and do not compress).
 */
import { ClassicLevel } from 'classic-level';
import { join } from 'node:path';
import type { Entry } from '../lib/data.js';
import { packageVersion } from '../lib/package-version.js';
import { indexFromKey, keyOf, termFromValue, TERM_BYTES, valueOf } from './codec.js';
import type { LastEntry, LogHandle, OpenOptions, Store } from './types.js';

type Db = ClassicLevel<Buffer, Buffer>;

function location(dir: string): string {
  return join(dir, 'level');
}

async function openDb(dir: string): Promise<Db> {
  const db = new ClassicLevel<Buffer, Buffer>(location(dir), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  return db;
}

class LevelLog implements LogHandle {
  constructor(
    private readonly db: Db,
    private readonly durable: boolean,
  ) {}

  async appendBatch(entries: readonly Entry[]): Promise<void> {
    await this.db.batch(
      entries.map((entry) => ({ type: 'put' as const, key: keyOf(entry.index), value: valueOf(entry) })),
      { sync: this.durable },
    );
  }

  async appendOne(entry: Entry): Promise<void> {
    await this.db.put(keyOf(entry.index), valueOf(entry), { sync: this.durable });
  }

  async drain(): Promise<void> {}

  async last(): Promise<LastEntry | undefined> {
    const iterator = this.db.iterator({ reverse: true, limit: 1 });
    try {
      const found = await iterator.next();
      return found === undefined ? undefined : { index: indexFromKey(found[0]), term: termFromValue(found[1]) };
    } finally {
      await iterator.close();
    }
  }

  get(index: number): number {
    const value = this.db.getSync(keyOf(index));
    if (value === undefined) throw new Error(`level: no entry ${index}`);
    return value.length - TERM_BYTES;
  }

  /** classic-level does not expose LevelDB's verify_checksums: a full iteration over every value. */
  async verify(): Promise<number> {
    const iterator = this.db.values();
    let entries = 0;
    try {
      for (;;) {
        const values = await iterator.nextv(1000);
        if (values.length === 0) break;
        entries += values.length;
      }
    } finally {
      await iterator.close();
    }
    return entries;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export const levelStore: Store = {
  id: 'level',
  label: 'LevelDB',
  version: `classic-level ${packageVersion('classic-level')}`,
  settings: {
    durable: 'default options; batch() / put() with sync: true; getSync() for reads',
    unsynced: 'default options; batch() with sync: false',
  },
  verifyMeasures: 'full iteration (values().nextv(1000)) over every entry (classic-level does not expose verify_checksums)',
  async open(dir: string, options: OpenOptions): Promise<LogHandle> {
    return new LevelLog(await openDb(dir), options.durable);
  },
  async settle(dir: string): Promise<void> {
    // Reopening turns the write-ahead log into a table; a full compaction leaves the resting layout.
    const db = await openDb(dir);
    await db.compactRange(keyOf(0), keyOf(Number.MAX_SAFE_INTEGER));
    await db.close();
  },
};
