/** The recorder's cache of recent records (issue 2: "keeps a bounded cache of recent records"). */
import { describe, expect, it } from 'vitest';
import { test as propTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { RecentRecords } from '../../src/engine/recent-records.js';
import type { LsfsRecord } from '../../src/engine/record.js';

/** A record whose every payload byte depends on its index and place, so that a byte copied from the wrong place shows. */
const record = (index: bigint, length: number): LsfsRecord => ({
  index,
  typeCode: 1n + (index % 3n),
  payload: Buffer.from(Array.from({ length }, (_, j) => (Number(index % 251n) * 7 + j * 13) & 0xff)),
  offset: Number(index) * 10,
});

/** Adds `added` with its payload cut into a head (its first `split` bytes, in a longer buffer) and a body. */
function put(cache: RecentRecords, added: LsfsRecord, split = 0): void {
  const cut = Math.min(split, added.payload.length);
  const head = Buffer.concat([added.payload.subarray(0, cut), Buffer.from([0xee, 0xee])]);
  cache.add(added.index, added.typeCode, added.offset, head, cut, added.payload.subarray(cut));
}

describe('RecentRecords', () => {
  it('keeps the newest records within its count and byte limits', () => {
    const cache = new RecentRecords(3, 100, 50);
    for (let i = 10n; i < 15n; i++) put(cache, record(i, 10));
    expect(cache.get(11n)).toBeUndefined();
    expect([12n, 13n, 14n].map((i) => cache.get(i)?.index)).toEqual([12n, 13n, 14n]);
    put(cache, record(15n, 45));
    put(cache, record(16n, 46));
    // Three records at most, and 10 + 45 + 46 > 100 bytes: 14 went too.
    expect(cache.get(13n)).toBeUndefined();
    expect(cache.get(14n)).toBeUndefined();
    expect(cache.get(15n)?.payload.length).toBe(45);
    expect(cache.get(16n)?.payload.length).toBe(46);
  });

  it('keeps an empty slot for a record too large to keep, and reads around it', () => {
    const cache = new RecentRecords(10, 1000, 50);
    expect(cache.keeps(51)).toBe(false);
    put(cache, record(0n, 5));
    put(cache, record(1n, 51));
    put(cache, record(2n, 5), 3);
    expect(cache.get(1n)).toBeUndefined();
    expect(cache.get(2n)?.index).toBe(2n);
    expect(cache.get(0n)).toEqual(record(0n, 5));
    expect(cache.get(2n)).toEqual(record(2n, 5));
  });

  it('hands out payloads of their own, whatever is appended after', () => {
    const cache = new RecentRecords(2, 40, 40);
    put(cache, record(0n, 30));
    const first = cache.get(0n)!;
    put(cache, record(1n, 5));
    // Record 2 goes at byte 35 of the 40-byte ring, over record 0's bytes: its head and its body
    // each run past the ring's end.
    put(cache, record(2n, 30), 7);
    expect(first).toEqual(record(0n, 30));
    expect(cache.get(0n)).toBeUndefined();
    expect(cache.get(1n)).toEqual(record(1n, 5));
    expect(cache.get(2n)).toEqual(record(2n, 30));
    put(cache, record(3n, 30), 2);
    expect(cache.get(3n)).toEqual(record(3n, 30));
  });

  it('moves its payloads in order when its byte ring grows while they wrap around its end', () => {
    const cache = new RecentRecords(3, 200_000, 200_000);
    put(cache, record(0n, 30_000));
    put(cache, record(1n, 30_000));
    put(cache, record(2n, 5536)); // ends at the end of the first 64 KiB ring
    put(cache, record(3n, 5000)); // record 0 goes (count limit); record 3 starts at byte 0
    put(cache, record(4n, 62_000)); // record 1 goes, and 10,536 + 62,000 bytes need a larger ring
    expect([2n, 3n, 4n].map((i) => cache.get(i))).toEqual([record(2n, 5536), record(3n, 5000), record(4n, 62_000)]);
  });

  it('keeps its records in order when its ring grows after evictions moved the ring\'s start', () => {
    const cache = new RecentRecords(1000, 50, 40);
    put(cache, record(0n, 30));
    put(cache, record(1n, 30)); // 60 bytes > 50: record 0 goes, the ring starts at its slot 1
    for (let i = 2n; i < 200n; i++) put(cache, record(i, 41)); // empty slots: the ring grows twice
    put(cache, record(200n, 10));
    expect(cache.size).toBe(200);
    expect(cache.get(0n)).toBeUndefined();
    expect(cache.get(1n)).toEqual(record(1n, 30));
    expect(cache.get(150n)).toBeUndefined();
    expect(cache.get(200n)).toEqual(record(200n, 10));
  });

  it('drops a suffix, and starts afresh after a gap in the indexes', () => {
    const cache = new RecentRecords(10, 1000);
    for (let i = 0n; i < 5n; i++) put(cache, record(i, 1));
    cache.dropFrom(3n);
    expect(cache.get(3n)).toBeUndefined();
    expect(cache.get(2n)?.index).toBe(2n);
    put(cache, record(3n, 2));
    expect(cache.get(3n)).toEqual(record(3n, 2));
    put(cache, record(9n, 1));
    expect(cache.get(2n)).toBeUndefined();
    expect(cache.get(9n)?.index).toBe(9n);
  });

  propTest.prop([fc.array(fc.oneof(fc.nat(120), fc.constant(-1)), { maxLength: 300 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 400 }), fc.nat(130)])(
    'answers exactly like a plain map of the last records within the limits',
    (ops, maxRecords, maxBytes, split) => {
      const cache = new RecentRecords(maxRecords, maxBytes, 100);
      const model: (LsfsRecord | undefined)[] = [];
      let next = 0n;
      let lastWasAdd = false;
      for (const op of ops) {
        if (op === -1) {
          if (next === 0n) continue;
          next -= 1n;
          cache.dropFrom(next);
          model.pop();
          lastWasAdd = false;
          continue;
        }
        const added = record(next, op);
        put(cache, added, split);
        model.push(op <= 100 && op <= maxBytes ? added : undefined);
        next += 1n;
        lastWasAdd = true;
      }
      // Whatever the cache answers is right; and right after an append it holds that record if it may.
      for (let i = 0n; i < next; i++) {
        const got = cache.get(i);
        if (got !== undefined) expect(got).toEqual(model[Number(i)]);
      }
      const newest = model.at(-1);
      if (lastWasAdd && newest !== undefined) expect(cache.get(next - 1n)).toEqual(newest);
    },
  );

  // Records too large to keep (101..150 bytes) take a slot but no bytes: with a small byte limit,
  // evictions move the ring's start before it fills and grows, which a wrong copy would scramble.
  const lengthArb = fc.oneof({ weight: 2, arbitrary: fc.nat(100) }, { weight: 2, arbitrary: fc.integer({ min: 101, max: 150 }) }, { weight: 1, arbitrary: fc.constant(0) });
  propTest.prop([
    fc.array(lengthArb, { maxLength: 700 }),
    fc.integer({ min: 1, max: 300 }),
    fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 60_000, max: 200_000 })),
    fc.nat(100),
  ])(
    'keeps exactly the newest records the limits allow, as its rings grow and wrap',
    (lengths, maxRecords, maxBytes, split) => {
      // Large limits get large records, so that the byte ring grows past its first 64 KiB.
      const maxRecordBytes = maxBytes > 60_000 ? 5000 : 100;
      const cache = new RecentRecords(maxRecords, maxBytes, maxRecordBytes);
      const sized = maxRecordBytes === 5000 ? lengths.map((length) => length * 47) : lengths;
      const keeps = (length: number) => length <= maxRecordBytes && length <= maxBytes;
      sized.forEach((length, i) => {
        const added = record(BigInt(i), length);
        put(cache, added, split);
        // The newest record reads back whole at once, before later ones can move or overwrite it.
        expect(cache.get(BigInt(i))).toEqual(keeps(length) ? added : undefined);
      });
      const keptLength = (length: number) => (keeps(length) ? length : 0);
      // The longest run of newest records within both limits (a record too large holds an empty slot).
      let start = sized.length;
      let bytes = 0;
      while (start > 0 && sized.length - start + 1 <= maxRecords && bytes + keptLength(sized[start - 1]!) <= maxBytes) {
        bytes += keptLength(sized[start - 1]!);
        start--;
      }
      expect(cache.size).toBe(sized.length - start);
      sized.forEach((length, i) => {
        expect(cache.get(BigInt(i))).toEqual(i >= start && keeps(length) ? record(BigInt(i), length) : undefined);
      });
    },
  );
});
