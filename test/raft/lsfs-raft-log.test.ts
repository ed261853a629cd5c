/**
 * What only the LSFS implementation has: its files (segments, A/B final data), how a truncation
 * and a snapshot change them, group commit, start-up clean-up, and what it refuses to open.
 */
import { describe, expect, it } from 'vitest';
import { BlockReader } from '../../src/engine/block-reader.js';
import { RecordLog } from '../../src/engine/record-log.js';
import { crc32c } from '../../src/format/crc32c.js';
import { MemoryStorage } from '../../src/io/memory-storage.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeStorage } from '../../src/io/node-storage.js';
import type { Storage, StorageFile } from '../../src/io/storage.js';
import { decodeEntry, encodeEntry } from '../../src/raft/entry-codec.js';
import { FINAL_DATA_FILE_NAMES, encodeFinalData, inspectCopy } from '../../src/raft/final-data.js';
import { INITIAL_HARD_STATE, decodeHardState, encodeHardState } from '../../src/raft/hard-state.js';
import { LsfsRaftLog, MemoryLog, type LogAPI } from '../../src/raft/index.js';
import { parseSegmentFileName, segmentFileName } from '../../src/raft/segment-names.js';
import { entryData } from '../../src/raft/values.js';
import { InterruptibleStorage } from './support/interruptible-storage.js';
import { codeOf, observe, text } from './support/observe.js';
import { MEMORY_DIRECTORY as DIR, SMALL_SEGMENTS } from './support/subjects.js';

async function started(storage: Storage, options: Partial<ConstructorParameters<typeof LsfsRaftLog>[0]> = {}): Promise<LsfsRaftLog> {
  const log = new LsfsRaftLog({ directory: DIR, storage, ...SMALL_SEGMENTS, ...options });
  await log.start();
  return log;
}

async function fill(log: LogAPI, count: number, term = 1, size = 100): Promise<void> {
  for (let i = 0; i < count; i++) await log.append({ term, command: text(`${i}`.padEnd(size, '.')) });
}

/** The hard state the newest final-data copy holds, and each copy's generation. */
function finalData(storage: MemoryStorage) {
  const copies = FINAL_DATA_FILE_NAMES.map((name, slot) => {
    const path = `${DIR}/${name}`;
    return storage.list(DIR).then((names) => (names.includes(name) ? inspectCopy(storage.snapshot(path), slot as 0 | 1, path) : ({ status: 'absent' } as const)));
  });
  return Promise.all(copies).then((found) => {
    const valid = found.flatMap((copy, slot) => (copy.status === 'valid' ? [{ slot, ...copy }] : []));
    const newest = valid.reduce((a, b) => (b.generation > a.generation ? b : a));
    return { generations: found.map((copy) => (copy.status === 'valid' ? copy.generation : undefined)), state: decodeHardState(Buffer.from(newest.payload), 'test') };
  });
}

async function segmentNames(storage: MemoryStorage): Promise<string[]> {
  return (await storage.list(DIR)).filter((name) => parseSegmentFileName(name) !== undefined);
}

describe('files of a log directory', () => {
  // covers RLG-050, RLG-051, RLG-052, RLG-054, RLG-074
  it('holds two final-data files and segments named by base and id, rolled over by size', async () => {
    const storage = new MemoryStorage();
    const log = await started(storage);
    expect(await storage.list(DIR)).toEqual(['final-data.a']);
    // A new log: copy A, generation 1, the initial state.
    expect(inspectCopy(storage.snapshot(`${DIR}/final-data.a`), 0, 'a')).toMatchObject({ status: 'valid', generation: 1n });
    expect((await finalData(storage)).state).toEqual(INITIAL_HARD_STATE);
    await fill(log, 50);
    const names = await segmentNames(storage);
    expect(names.length).toBeGreaterThan(2);
    expect(names[0]).toBe('segment-00000000000000000001-00000000000000000001.lsfs');
    const { state } = await finalData(storage);
    expect(state.segments.map((ref) => segmentFileName(ref.base, ref.id))).toEqual(names);
    expect(state.segments.map((ref) => ref.id)).toEqual(state.segments.map((_, i) => i + 1));
    expect(state.nextSegmentId).toBe(state.segments.length + 1);
    // Each segment is an LSFS file with the listed base and file id, whose records are its entries.
    for (const [i, ref] of state.segments.entries()) {
      const reader = await BlockReader.open(storage, `${DIR}/${segmentFileName(ref.base, ref.id)}`);
      expect(reader.header).toMatchObject({ fileId: ref.fileId, baseIndex: BigInt(ref.base) });
      const end = state.segments[i + 1]?.base ?? 51;
      expect(reader.lastIndex).toBe(BigInt(end - 1));
      for await (const record of reader.records()) {
        expect(decodeEntry(record.typeCode, record.payload, 'segment')).toEqual(entryData({ term: 1, command: text(`${Number(record.index) - 1}`.padEnd(100, '.')) }));
      }
      await reader.close();
    }
    // Each sealed segment ended at about the segment size, and is never written again.
    const sealed = names.slice(0, -1).map((name) => storage.snapshot(`${DIR}/${name}`));
    for (const bytes of sealed) expect(bytes.length).toBeGreaterThanOrEqual(SMALL_SEGMENTS.segmentBytes);
    expect(await storage.list(DIR)).toEqual(expect.arrayContaining(['final-data.a', 'final-data.b']));
    await fill(log, 30);
    names.slice(0, -1).forEach((name, i) => expect(storage.snapshot(`${DIR}/${name}`).equals(sealed[i]!), name).toBe(true));
    // Appends went to the tail only: the first new segment starts where the last one's entries end.
    const later = (await finalData(storage)).state.segments;
    expect(later.slice(0, state.segments.length)).toEqual(state.segments);
    await log.stop();
  });

  // covers RLG-070
  it('writes each hard-state update to the other copy with the next generation', async () => {
    const storage = new MemoryStorage();
    const log = await started(storage);
    const seen: (bigint | undefined)[][] = [];
    for (let term = 1; term <= 4; term++) {
      await log.setTerm(term);
      seen.push((await finalData(storage)).generations);
    }
    expect(seen).toEqual([
      [1n, 2n],
      [3n, 2n],
      [3n, 4n],
      [5n, 4n],
    ]);
    await log.stop();
  });

  // covers RLG-053, RLG-055, RLG-092
  it('a snapshot removes the segment files it covers, and only those', async () => {
    const storage = new MemoryStorage();
    const log = await started(storage);
    await fill(log, 60);
    const before = (await finalData(storage)).state.segments;
    await log.installSnapshot({ index: 40, term: 1 });
    const after = (await finalData(storage)).state.segments;
    expect(after.length).toBeLessThan(before.length);
    expect(after[0]!.base).toBeLessThanOrEqual(41);
    expect(after[1]?.base ?? Infinity).toBeGreaterThan(41);
    // The removal is made durable by the next directory sync; the current view is already clean.
    expect(await segmentNames(storage)).toEqual(after.map((ref) => segmentFileName(ref.base, ref.id)));
    await log.installSnapshot({ index: 60, term: 1 });
    expect(await segmentNames(storage)).toEqual([]);
    expect((await log.append({ term: 1 })).index).toBe(61);
    expect(await segmentNames(storage)).toEqual([segmentFileName(61, after.at(-1)!.id + 1)]);
    await log.stop();
  });

  // covers RLG-053, RLG-090, RLG-091, RLG-102
  it('a truncation never changes a synced byte of a segment: it starts a new segment at the cut', async () => {
    const storage = new MemoryStorage();
    const log = await started(storage, { segmentBytes: 1 << 20 });
    await fill(log, 10);
    const tail = (await segmentNames(storage))[0]!;
    const bytes = storage.snapshot(`${DIR}/${tail}`);
    await log.deleteAllFrom(6);
    expect(await segmentNames(storage)).toEqual([tail, segmentFileName(6, 2)]);
    expect(storage.snapshot(`${DIR}/${segmentFileName(6, 2)}`).length).toBe(64);
    await log.insert({ index: 4, term: 2, command: text('new') });
    expect(storage.snapshot(`${DIR}/${tail}`).equals(bytes)).toBe(true);
    const { state } = await finalData(storage);
    expect(state.segments.map((ref) => ref.base)).toEqual([1, 4]);
    expect(await segmentNames(storage)).toEqual([tail, segmentFileName(4, 3)]);
    // The old file still holds records 1 to 10, but its range ends at 3: 4 is the new entry, 5 and on are gone.
    const old = await BlockReader.open(storage, `${DIR}/${tail}`);
    expect(old.lastIndex).toBe(10n);
    await old.close();
    const check = async (target: LogAPI) => {
      expect(await target.getLastIndex()).toBe(4);
      expect(new TextDecoder().decode((await target.read(3))!.command)).toBe('2'.padEnd(100, '.'));
      expect((await target.read(4))!).toMatchObject({ term: 2, command: text('new') });
      expect(await target.read(5)).toBeUndefined();
    };
    await check(log);
    await log.stop();
    const again = await started(storage, { segmentBytes: 1 << 20 });
    await check(again);
    await again.stop();
  });

  // covers RLG-032
  it('marks entries committed and applied without changing their bytes', async () => {
    const storage = new MemoryStorage();
    const log = await started(storage, { segmentBytes: 1 << 20 });
    await fill(log, 5);
    const tail = `${DIR}/${(await segmentNames(storage))[0]!}`;
    const bytes = storage.snapshot(tail);
    const generation = async () => (await finalData(storage)).generations.filter((g) => g !== undefined).reduce((a, b) => (a! > b! ? a : b));
    const before = await generation();
    await log.markCommitted(4);
    await log.markApplied(3);
    expect(storage.snapshot(tail).equals(bytes)).toBe(true);
    expect(await generation()).toBe(before! + 2n);
    expect((await finalData(storage)).state).toMatchObject({ commitIndex: 4, appliedIndex: 3 });
    expect((await log.read(3))!).toMatchObject({ committed: true, applied: true });
    expect((await log.read(4))!).toMatchObject({ committed: true, applied: false });
    expect((await log.read(5))!).toMatchObject({ committed: false, applied: false });
    await log.stop();
  });

  it('concurrent appends share syncs (group commit)', async () => {
    const storage = new MemoryStorage();
    const log = await started(storage, { segmentBytes: 1 << 20 });
    await log.append({ term: 1 });
    const syncs = storage.syncCount;
    await Promise.all(Array.from({ length: 100 }, (_, i) => log.append({ term: 1, command: text(`c${i}`) })));
    expect(storage.syncCount - syncs).toBeLessThanOrEqual(3);
    expect(await log.getLastIndex()).toBe(101);
    await log.stop();
  });
});

/** NodeStorage that counts file syncs. */
class CountingNodeStorage extends NodeStorage {
  syncs = 0;

  override async open(path: string, mode: 'read' | 'write'): Promise<StorageFile> {
    const file = await super.open(path, mode);
    const datasync = file.datasync.bind(file);
    file.datasync = async () => {
      this.syncs++;
      await datasync();
    };
    return file;
  }
}

describe('group commit, whatever the storage and sync mode', () => {
  const subjects: { name: string; make: () => { storage: Storage; directory: string; syncs: () => number; cleanup: () => void } }[] = [
    {
      name: 'in memory',
      make: () => {
        const storage = new MemoryStorage();
        return { storage, directory: DIR, syncs: () => storage.syncCount, cleanup: () => undefined };
      },
    },
    ...(['inline', 'thread-pool'] as const).map((syncMode) => ({
      name: `NodeStorage, ${syncMode} syncs`,
      make: () => {
        const root = mkdtempSync(join(tmpdir(), 'lsfs-group-commit-'));
        const storage = new CountingNodeStorage({ syncMode });
        return { storage, directory: join(root, 'log'), syncs: () => storage.syncs, cleanup: () => rmSync(root, { recursive: true, force: true }) };
      },
    })),
  ];

  /** Syncs made while `appendAll` appends `count` entries to a started log that holds one entry. */
  async function syncsWhileAppending(subject: (typeof subjects)[number], count: number, appendAll: (append: () => Promise<unknown>) => Promise<void>): Promise<number> {
    const { storage, directory, syncs, cleanup } = subject.make();
    try {
      const log = new LsfsRaftLog({ directory, storage, segmentBytes: 1 << 20 });
      await log.start();
      await log.append({ term: 1 });
      const before = syncs();
      await appendAll(() => log.append({ term: 1, command: text('x'.repeat(200)) }));
      expect(await log.getLastIndex()).toBe(count + 1);
      const made = syncs() - before;
      await log.stop();
      return made;
    } finally {
      cleanup();
    }
  }

  for (const subject of subjects) {
    it(`16 appenders that each await their entry share syncs (${subject.name})`, async () => {
      // The appenders a sync wakes come back a few microtasks apart: the writer waits a turn for
      // them once the last sync was shared.
      const total = 640;
      let next = 0;
      const made = await syncsWhileAppending(subject, total, async (append) => {
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            while (next < total) {
              next++;
              await append();
            }
          }),
        );
      });
      expect(made).toBeLessThanOrEqual(total / 8);
    });

    it(`appends from separate event callbacks of one loop turn share syncs (${subject.name})`, async () => {
      // A server's appends come from network callbacks: microtasks run between two callbacks, so
      // a sync that starts at once and holds the thread (inline, in memory) would cover one append
      // each; the writer's probe turn finds the others.
      const waves = 40;
      const made = await syncsWhileAppending(subject, waves * 16, async (append) => {
        for (let wave = 0; wave < waves; wave++) {
          await Promise.all(Array.from({ length: 16 }, () => new Promise<unknown>((resolve, reject) => setImmediate(() => append().then(resolve, reject)))));
        }
      });
      expect(made).toBeLessThanOrEqual((waves * 16) / 4);
    });
  }
});

describe('entry encoding', () => {
  it('costs well under 30 bytes over a 256-byte command', () => {
    const data = entryData({ term: 123_456, command: new Uint8Array(256), serial: 1_000_000, leaderId: 'node-001', code: 'CLIENT_COMMAND' });
    const { payload } = encodeEntry(data);
    expect(payload.length - 256).toBe(8 + 1 + 3 + 1 + 8);
    expect(payload.length - 256).toBeLessThan(30);
    const bare = encodeEntry(entryData({ term: 7, command: new Uint8Array(256) })).payload;
    expect(bare.length - 256).toBe(9);
  });

  it('adds exactly the record framing on disk', async () => {
    const storage = new MemoryStorage();
    const log = await started(storage, { blockSize: 4096, segmentBytes: 1 << 20 });
    await log.append({ term: 1, command: new Uint8Array(256), serial: 1, leaderId: 'node-001' });
    const name = (await segmentNames(storage))[0]!;
    const before = storage.snapshot(`${DIR}/${name}`).length;
    await log.append({ term: 1, command: new Uint8Array(256), serial: 2, leaderId: 'node-001' });
    // Entry fields (19 bytes) plus LSFS's slice header, trailer and record header (24 bytes).
    expect(storage.snapshot(`${DIR}/${name}`).length - before).toBe(256 + 19 + 24);
    await log.stop();
  });
});

describe('starting', () => {
  // covers RLG-010
  it('rejects every call with CLOSED before the first start, and start creates the log', async () => {
    const storage = new MemoryStorage();
    for (const log of [new LsfsRaftLog({ directory: DIR, storage }), new MemoryLog()] as LogAPI[]) {
      for (const call of [() => log.getTerm(), () => log.append({ term: 1 }), () => log.read(), () => log.getStats(), () => log.markCommitted(1), () => log.getClusterConfig()]) {
        expect(await codeOf(call)).toBe('CLOSED');
      }
      // Stopping a log that is not started does nothing; starting twice opens it once.
      await log.stop();
      await Promise.all([log.start(), log.start()]);
      expect(await log.getLastIndex()).toBe(0);
      await Promise.all([log.stop(), log.stop()]);
    }
    expect(await storage.list(DIR)).toEqual(['final-data.a']);
  });

  // covers RLG-050, RLG-051, RLG-082
  it('removes what an interrupted run left, and nothing else', async () => {
    const storage = new MemoryStorage();
    const log = await started(storage);
    await fill(log, 3);
    await log.stop();
    const junk = [segmentFileName(1, 99), `${segmentFileName(1, 99)}.lock`, `.${segmentFileName(4, 5)}.tmp-1-ab`, '.final-data.b.tmp-2-cd'];
    for (const name of [...junk, 'notes.txt']) storage.setBytes(`${DIR}/${name}`, text('junk'));
    const again = await started(storage);
    const names = await storage.list(DIR);
    for (const name of junk) expect(names).not.toContain(name);
    expect(names).toContain('notes.txt');
    expect(await again.getLastIndex()).toBe(3);
    // A new segment never reuses an id seen in the directory, even of a removed leftover.
    await again.installSnapshot({ index: 3, term: 1 });
    await again.append({ term: 1 });
    expect(await segmentNames(storage)).toEqual([segmentFileName(4, 100)]);
    await again.stop();
  });

  // covers RLG-074
  it('refuses a directory with segments but no final data', async () => {
    const storage = new MemoryStorage();
    storage.setBytes(`${DIR}/${segmentFileName(1, 1)}`, text('x'));
    expect(await codeOf(() => started(storage))).toBe('INVALID_ARGUMENT');
  });

  // covers RLG-081
  it('refuses a second writer', async () => {
    const storage = new MemoryStorage();
    const log = await started(storage);
    expect(await codeOf(() => started(storage))).toBe('LOCKED');
    await log.stop();
    await (await started(storage)).stop();
  });

  // covers RLG-071, RLG-072
  it('uses the other copy when one is torn, and refuses when both are', async () => {
    const storage = new MemoryStorage();
    const log = await started(storage);
    await log.setTerm(1);
    await log.setTerm(2);
    await log.stop();
    const a = `${DIR}/final-data.a`;
    const bytes = storage.snapshot(a);
    bytes[30]! ^= 1;
    storage.setBytes(a, bytes);
    const reopened = await started(storage);
    expect(await reopened.getTerm()).toBe(1);
    await reopened.setTerm(3);
    expect(await reopened.getTerm()).toBe(3);
    await reopened.stop();
    for (const name of FINAL_DATA_FILE_NAMES) storage.flipBit(`${DIR}/${name}`, 8 * 40);
    expect(await codeOf(() => started(storage))).toBe('CHECKSUM_MISMATCH');
  });

  // covers RLG-071, RLG-073: the newer copy, checked by its CRC, decides; the older one is no fallback.
  it('refuses copies a crash cannot make: another version, the other slot, undecodable state', async () => {
    const reserved = (bytes: Buffer) => {
      bytes[11] = 1;
      bytes.writeUInt32LE(crc32c(bytes.subarray(0, bytes.length - 4)), bytes.length - 4);
      return bytes;
    };
    const cases: [string, (payload: Buffer) => Buffer, string][] = [
      ['version 2', (payload) => withVersion(encodeFinalData(1, 9n, payload), 2), 'UNSUPPORTED_VERSION'],
      ['slot A in file B', (payload) => encodeFinalData(0, 9n, payload), 'MISPLACED_BLOCK'],
      ['the reserved byte set', (payload) => reserved(encodeFinalData(1, 9n, payload)), 'UNSUPPORTED_FEATURE'],
      ['trailing bytes in the state', (payload) => encodeFinalData(1, 9n, Buffer.concat([payload, Buffer.from([0])])), 'UNSUPPORTED_FEATURE'],
      ['an inconsistent state', (payload) => encodeFinalData(1, 9n, encodeHardState({ ...decodeHardState(payload, 't'), appliedIndex: 1 })), 'INDEX_OUT_OF_ORDER'],
    ];
    for (const [what, make, code] of cases) {
      const storage = new MemoryStorage();
      const log = await started(storage);
      await log.setTerm(1);
      await log.stop();
      const { state } = await finalData(storage);
      storage.setBytes(`${DIR}/final-data.b`, make(encodeHardState(state)));
      expect(await codeOf(() => started(storage)), what).toBe(code);
    }
  });

  // covers RLG-081
  it('refuses a log that ends before its commit index at start, and a sealed segment that lacks entries of its range at its first read', async () => {
    const storage = new MemoryStorage();
    const log = await started(storage);
    await fill(log, 30);
    await log.markCommitted(30);
    await log.stop();
    const { state } = await finalData(storage);
    expect(state.segments.length).toBeGreaterThan(2);
    const lastRecordOffset = async (path: string) => {
      const reader = await BlockReader.open(storage, path);
      let offset = 0;
      for await (const record of reader.records()) offset = record.offset;
      await reader.close();
      return offset;
    };
    const pathOf = (ref: (typeof state.segments)[number]) => `${DIR}/${segmentFileName(ref.base, ref.id)}`;
    // The tail loses its last record, as if it had never been synced: the log ends before its commit index.
    const tail = pathOf(state.segments.at(-1)!);
    const wholeTail = storage.snapshot(tail);
    storage.setBytes(tail, wholeTail.subarray(0, await lastRecordOffset(tail)));
    expect(await codeOf(() => started(storage))).toBe('TORN_TAIL');
    storage.setBytes(tail, wholeTail);
    // The first sealed segment loses its last record: the start succeeds, and every read of
    // that segment fails (each time, not only the first), while the others serve theirs.
    const first = state.segments[0]!;
    const sealed = pathOf(first);
    storage.setBytes(sealed, storage.snapshot(sealed).subarray(0, await lastRecordOffset(sealed)));
    const damaged = await started(storage);
    expect(await damaged.getLastIndex()).toBe(30);
    expect(await codeOf(() => damaged.read(first.base))).toBe('TORN_TAIL');
    expect(await codeOf(() => damaged.read(first.base))).toBe('TORN_TAIL');
    expect((await damaged.read(state.segments[1]!.base))?.index).toBe(state.segments[1]!.base);
    // A snapshot that must compare its term with an entry of that segment refuses too, and changes nothing.
    expect(await codeOf(() => damaged.installSnapshot({ index: first.base + 1, term: 1 }))).toBe('TORN_TAIL');
    expect(await damaged.getSnapshot()).toBeUndefined();
    await damaged.stop();
  });

  // covers RLG-083
  it('takes the last index and term from the tail after its recovery: a whole record counts, a torn one is cut', async () => {
    const storage = new MemoryStorage();
    const log = await started(storage, { segmentBytes: 1 << 20 });
    await fill(log, 5);
    await log.stop();
    const tail = `${DIR}/${(await segmentNames(storage))[0]!}`;
    // An entry written whole whose append never resolved (a crash before its sync completed).
    const segment = await RecordLog.open(tail, { storage, create: false });
    const { typeCode, payload } = encodeEntry(entryData({ term: 3, command: text('never acknowledged') }));
    segment.append(typeCode, payload);
    await segment.close();
    const size = storage.snapshot(tail).length;
    // Then the start of a record the crash cut off.
    storage.setBytes(tail, Buffer.concat([storage.snapshot(tail), Buffer.from([0x53, 0x4c, 0x01, 0x00, 0x30])]));
    const again = await started(storage, { segmentBytes: 1 << 20 });
    expect(await again.getLastIndex()).toBe(6);
    expect(await again.getLastTerm()).toBe(3);
    expect((await again.read())!).toMatchObject({ index: 6, term: 3, command: text('never acknowledged') });
    expect(storage.snapshot(tail).length).toBe(size);
    expect((await again.append({ term: 3, command: text('next') })).index).toBe(7);
    await again.stop();
  });

  // covers RLG-081
  it('refuses a missing listed segment at start, and one replaced by another file at its first read', async () => {
    const storage = new MemoryStorage();
    const log = await started(storage);
    await fill(log, 30);
    await log.stop();
    const names = await segmentNames(storage);
    const { state } = await finalData(storage);
    const first = storage.snapshot(`${DIR}/${names[0]}`);
    storage.setBytes(`${DIR}/${names[0]}`, storage.snapshot(`${DIR}/${names[1]}`));
    const replaced = await started(storage);
    expect(await codeOf(() => replaced.read(state.segments[0]!.base))).toBe('FOREIGN_BLOCK');
    await replaced.stop();
    storage.setBytes(`${DIR}/${names[0]}`, first);
    await storage.remove(`${DIR}/${names[1]}`);
    expect(await codeOf(() => started(storage))).toBe('IO_ERROR');
  });

  // covers RLG-081
  it('opens only the tail at start: a sealed segment is opened at its first read, and stats read sizes without opening it as a log', async () => {
    const storage = new MemoryStorage();
    const log = await started(storage);
    await fill(log, 30);
    const stats = await log.getStats();
    await log.stop();
    const names = await segmentNames(storage);
    expect(names.length).toBeGreaterThan(2);
    const opened: string[] = [];
    const counting: Storage = Object.assign(Object.create(storage) as MemoryStorage, {
      open: (path: string, mode: 'read' | 'write') => {
        opened.push(path.slice(path.lastIndexOf('/') + 1));
        return storage.open(path, mode);
      },
    });
    const again = await started(counting);
    expect(opened.filter((name) => names.includes(name))).toEqual([names.at(-1)]);
    // Reads that arrive together share one open, and later ones reuse it.
    expect((await Promise.all([again.read(1), again.read(2)])).map((entry) => entry?.index)).toEqual([1, 2]);
    expect((await again.read(3))?.index).toBe(3);
    expect(opened.filter((name) => name === names[0])).toHaveLength(1);
    // Sizes come from the files: the same bytes as the log counted while it wrote them.
    expect((await again.getStats()).bytesOnDisk).toBe(stats.bytesOnDisk);
    await again.stop();
  });
});

describe('after an I/O failure', () => {
  // covers RLG-103
  it('refuses every call with IO_ERROR until restarted, and loses nothing acknowledged', async () => {
    const memory = new MemoryStorage();
    const storage = new InterruptibleStorage(memory);
    const log = await started(storage);
    await fill(log, 5);
    await log.markCommitted(3);
    const before = await observe(log);
    storage.arm(0, 'io-error');
    expect(await codeOf(() => log.setTerm(9))).toBe('IO_ERROR');
    expect(await codeOf(() => log.append({ term: 1 }))).toBe('IO_ERROR');
    expect(await codeOf(() => log.read(1))).toBe('IO_ERROR');
    await log.stop();
    const again = await started(storage);
    expect(await observe(again)).toEqual(before);
    await again.stop();
  });
});

function withVersion(bytes: Buffer, version: number): Buffer {
  bytes.writeUInt16LE(version, 8);
  return bytes;
}
