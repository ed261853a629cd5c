/** fast-check arbitraries of the Raft log's stored structures: entries and hard states. */
import fc from 'fast-check';
import { ENTRY_CODES } from '../../../src/raft/log-api.js';
import type { HardState, SegmentRef } from '../../../src/raft/hard-state.js';
import type { EntryData } from '../../../src/raft/values.js';

const safe = fc.oneof(fc.nat(200), fc.nat(), fc.maxSafeNat(), fc.constantFrom(127, 128, 16383, 16384, 2 ** 32, Number.MAX_SAFE_INTEGER));
const id = fc.oneof(fc.string({ unit: fc.constantFrom('a', 'é', '😀', '/', ':'), minLength: 1, maxLength: 12 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }));

export const entryDataArb: fc.Arbitrary<EntryData> = fc.record({
  term: safe,
  command: fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 400 })),
  result: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: undefined }),
  error: fc.boolean(),
  code: fc.constantFrom(...ENTRY_CODES),
  serial: fc.option(safe, { nil: undefined }),
  leaderId: fc.option(fc.oneof(id, fc.constant('')), { nil: undefined }),
});

/** A hard state that passes the consistency rules (RLG-062). */
export const hardStateArb: fc.Arbitrary<HardState> = fc
  .record({
    term: safe,
    votedFor: fc.option(id, { nil: undefined }),
    uri: fc.option(id, { nil: undefined }),
    broken: fc.boolean(),
    snapshotIndex: fc.oneof(fc.constant(0), fc.nat(10_000)),
    snapshotTerm: fc.nat(50),
    commitExtra: fc.nat(100),
    appliedExtra: fc.nat(100),
    clusterConfig: fc.option(fc.json(), { nil: undefined }),
    bases: fc.uniqueArray(fc.integer({ min: 2, max: 100_000 }), { maxLength: 5 }),
    fileIds: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 6, maxLength: 6 }),
    firstId: fc.nat(1000),
  })
  .map((raw) => {
    const snapshotIndex = raw.snapshotIndex;
    const appliedIndex = snapshotIndex + raw.appliedExtra;
    const first = snapshotIndex + 1;
    const bases = [first, ...raw.bases.map((base) => base + first).sort((a, b) => a - b)];
    const segments: SegmentRef[] = bases.map((base, i) => ({ id: raw.firstId + i, base, fileId: raw.fileIds[i]! }));
    return {
      term: raw.term,
      votedFor: raw.votedFor,
      uri: raw.uri,
      broken: raw.broken,
      commitIndex: appliedIndex + raw.commitExtra,
      appliedIndex,
      snapshotIndex,
      snapshotTerm: snapshotIndex === 0 ? 0 : raw.snapshotTerm,
      clusterConfig: raw.clusterConfig,
      nextSegmentId: raw.firstId + bases.length,
      segments,
    };
  });
