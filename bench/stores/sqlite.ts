/**
 * better-sqlite3: one table `log(idx INTEGER PRIMARY KEY, term, command BLOB)` (idx is the rowid,
 * so entries sit in a B-tree ordered by index), WAL journal. Durable logs use synchronous=FULL
 * (the WAL is fsynced at every commit); unsynced logs synchronous=OFF. The API is synchronous:
 * concurrent appenders in one process cannot share a commit.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { Entry } from '../lib/data.js';
import { packageVersion } from '../lib/package-version.js';
import type { LastEntry, LogHandle, OpenOptions, Store } from './types.js';

const FILE = 'log.sqlite';

class SqliteLog implements LogHandle {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[number, number, Uint8Array]>;
  private readonly insertMany: (entries: readonly Entry[]) => void;
  private readonly select: Database.Statement<[number], Buffer>;
  private readonly lastRow: Database.Statement<[], { idx: number; term: number }>;

  constructor(dir: string, durable: boolean) {
    this.db = new Database(join(dir, FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${durable ? 'FULL' : 'OFF'}`);
    this.db.exec('CREATE TABLE IF NOT EXISTS log (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, command BLOB NOT NULL)');
    this.insert = this.db.prepare('INSERT INTO log (idx, term, command) VALUES (?, ?, ?)');
    this.insertMany = this.db.transaction((entries: readonly Entry[]) => {
      for (const entry of entries) this.insert.run(entry.index, entry.term, entry.command);
    });
    this.select = this.db.prepare<[number], Buffer>('SELECT command FROM log WHERE idx = ?').pluck();
    this.lastRow = this.db.prepare('SELECT idx, term FROM log ORDER BY idx DESC LIMIT 1');
  }

  async appendBatch(entries: readonly Entry[]): Promise<void> {
    this.insertMany(entries);
  }

  async appendOne(entry: Entry): Promise<void> {
    this.insert.run(entry.index, entry.term, entry.command);
  }

  async drain(): Promise<void> {}

  async last(): Promise<LastEntry | undefined> {
    const row = this.lastRow.get();
    return row === undefined ? undefined : { index: row.idx, term: row.term };
  }

  get(index: number): number {
    const command = this.select.get(index);
    if (command === undefined) throw new Error(`sqlite: no entry ${index}`);
    return command.length;
  }

  /** PRAGMA integrity_check: reads every page and checks the B-tree structure (SQLite keeps no checksums). */
  async verify(): Promise<number> {
    const result = this.db.pragma('integrity_check', { simple: true });
    if (result !== 'ok') throw new Error(`sqlite integrity_check: ${String(result)}`);
    return -1; // integrity_check does not count rows
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

export const sqliteStore: Store = {
  id: 'sqlite',
  label: 'SQLite',
  version: `better-sqlite3 ${packageVersion('better-sqlite3')}`,
  settings: {
    durable: 'journal_mode=WAL, synchronous=FULL; a batch is one transaction, a single append one autocommit INSERT',
    unsynced: 'journal_mode=WAL, synchronous=OFF; a batch is one transaction',
  },
  verifyMeasures: 'PRAGMA integrity_check (reads every page, checks B-tree structure; SQLite has no page checksums)',
  async open(dir: string, options: OpenOptions): Promise<LogHandle> {
    return new SqliteLog(dir, options.durable);
  },
  async settle(dir: string): Promise<void> {
    // Closing the last connection checkpoints the WAL into the database and deletes it.
    const db = new Database(join(dir, FILE));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  },
};
