/** The per-minute entry count of LogStats (RLG-017): a ring of 60 per-second counts. */
import { describe, expect, it } from 'vitest';
import { test as propTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { RateMeter } from '../../src/raft/rate-meter.js';

describe('RateMeter', () => {
  // covers RLG-017
  it('counts a second for 60 seconds, and a second 60 seconds later reuses its slot from zero', () => {
    let time = 5_000_999;
    const meter = new RateMeter(() => time);
    meter.add(3);
    time = 5_059_000; // second 5059: 5000 is the oldest second in the window
    expect(meter.perMinute()).toBe(3);
    time = 5_060_000; // second 5060, the same slot as 5000
    expect(meter.perMinute()).toBe(0);
    meter.add(2);
    expect(meter.perMinute()).toBe(2);
    expect(meter.lastTime).toBe(5_060_000);
  });

  // covers RLG-017
  propTest.prop([fc.array(fc.record({ step: fc.oneof(fc.nat(1500), fc.nat(130_000)), count: fc.nat(5) }), { maxLength: 200 })])(
    'answers what a list of every event over the last 60 whole seconds does',
    (events) => {
      let time = 1_000_000;
      const meter = new RateMeter(() => time);
      const seen: { second: number; count: number }[] = [];
      for (const { step, count } of events) {
        time += step;
        meter.add(count);
        seen.push({ second: Math.floor(time / 1000), count });
        const from = Math.floor(time / 1000) - 59;
        expect(meter.perMinute()).toBe(seen.filter((event) => event.second >= from).reduce((sum, event) => sum + event.count, 0));
      }
    },
  );
});
