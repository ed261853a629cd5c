/** The recorder's cache of recent records (issue 2: "keeps a bounded cache of recent records"). */
import { describe, expect, it } from 'vitest';
import { test as propTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { RecentRecords } from '../../src/engine/recent-records.js';
import type { LsfsRecord } from '../../src/engine/record.js';

const record = (index: bigint, length: number): LsfsRecord => ({ index, typeCode: 1n, payload: Buffer.alloc(length, Number(index % 251n)), offset: 0 });

describe('RecentRecords', () => {
  it('keeps the newest records within its count and byte limits', () => {
    const cache = new RecentRecords(3, 100, 50);
    for (let i = 10n; i < 15n; i++) cache.add(i, record(i, 10));
    expect(cache.get(11n)).toBeUndefined();
    expect([12n, 13n, 14n].map((i) => cache.get(i)?.index)).toEqual([12n, 13n, 14n]);
    cache.add(15n, record(15n, 45));
    cache.add(16n, record(16n, 46));
    // Three records at most, and 10 + 45 + 46 > 100 bytes: 14 went too.
    expect(cache.get(13n)).toBeUndefined();
    expect(cache.get(14n)).toBeUndefined();
    expect(cache.get(15n)?.payload.length).toBe(45);
    expect(cache.get(16n)?.payload.length).toBe(46);
  });

  it('keeps an empty slot for a record too large to keep, and reads around it', () => {
    const cache = new RecentRecords(10, 1000, 50);
    expect(cache.keeps(51)).toBe(false);
    cache.add(0n, record(0n, 5));
    cache.add(1n, undefined);
    cache.add(2n, record(2n, 5));
    expect(cache.get(1n)).toBeUndefined();
    expect(cache.get(2n)?.index).toBe(2n);
    expect(cache.get(0n)?.index).toBe(0n);
  });

  it('keeps its records in order when its ring grows after evictions moved the ring\'s start', () => {
    const cache = new RecentRecords(1000, 50, 40);
    cache.add(0n, record(0n, 30));
    cache.add(1n, record(1n, 30)); // 60 bytes > 50: record 0 goes, the ring starts at its slot 1
    for (let i = 2n; i < 200n; i++) cache.add(i, undefined); // empty slots: the ring grows twice
    cache.add(200n, record(200n, 10));
    expect(cache.size).toBe(200);
    expect(cache.get(0n)).toBeUndefined();
    expect(cache.get(1n)?.index).toBe(1n);
    expect(cache.get(150n)).toBeUndefined();
    expect(cache.get(200n)?.index).toBe(200n);
  });

  it('drops a suffix, and starts afresh after a gap in the indexes', () => {
    const cache = new RecentRecords(10, 1000);
    for (let i = 0n; i < 5n; i++) cache.add(i, record(i, 1));
    cache.dropFrom(3n);
    expect(cache.get(3n)).toBeUndefined();
    expect(cache.get(2n)?.index).toBe(2n);
    cache.add(3n, record(3n, 2));
    expect(cache.get(3n)?.payload.length).toBe(2);
    cache.add(9n, record(9n, 1));
    expect(cache.get(2n)).toBeUndefined();
    expect(cache.get(9n)?.index).toBe(9n);
  });

  propTest.prop([fc.array(fc.oneof(fc.nat(120), fc.constant(-1)), { maxLength: 300 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 400 })])(
    'answers exactly like a plain map of the last records within the limits',
    (ops, maxRecords, maxBytes) => {
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
        cache.add(next, cache.keeps(op) ? added : undefined);
        model.push(op <= 100 && op <= maxBytes ? added : undefined);
        next += 1n;
        lastWasAdd = true;
      }
      // Whatever the cache answers is right; and right after an append it holds that record if it may.
      for (let i = 0n; i < next; i++) {
        const got = cache.get(i);
        if (got !== undefined) expect(got).toBe(model[Number(i)]);
      }
      const newest = model.at(-1);
      if (lastWasAdd && newest !== undefined) expect(cache.get(next - 1n)).toBe(newest);
    },
  );

  // Records too large to keep (101..150 bytes) take a slot but no bytes: with a small byte limit,
  // evictions move the ring's start before it fills and grows, which a wrong copy would scramble.
  const lengthArb = fc.oneof({ weight: 2, arbitrary: fc.nat(100) }, { weight: 2, arbitrary: fc.integer({ min: 101, max: 150 }) }, { weight: 1, arbitrary: fc.constant(0) });
  propTest.prop([fc.array(lengthArb, { maxLength: 700 }), fc.integer({ min: 1, max: 300 }), fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 20_000 }))])(
    'keeps exactly the newest records the limits allow, as its ring grows past its first 64 slots',
    (lengths, maxRecords, maxBytes) => {
      const cache = new RecentRecords(maxRecords, maxBytes, 100);
      lengths.forEach((length, i) => cache.add(BigInt(i), cache.keeps(length) ? record(BigInt(i), length) : undefined));
      const keptLength = (length: number) => (length <= 100 && length <= maxBytes ? length : 0);
      // The longest run of newest records within both limits (a record too large holds an empty slot).
      let start = lengths.length;
      let bytes = 0;
      while (start > 0 && lengths.length - start + 1 <= maxRecords && bytes + keptLength(lengths[start - 1]!) <= maxBytes) {
        bytes += keptLength(lengths[start - 1]!);
        start--;
      }
      expect(cache.size).toBe(lengths.length - start);
      lengths.forEach((length, i) => {
        const got = cache.get(BigInt(i));
        const kept = i >= start && length <= 100 && length <= maxBytes;
        expect(got?.index).toBe(kept ? BigInt(i) : undefined);
        if (got !== undefined) expect(got.payload.length).toBe(length);
      });
    },
  );
});
