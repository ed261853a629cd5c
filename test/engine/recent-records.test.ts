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
});
