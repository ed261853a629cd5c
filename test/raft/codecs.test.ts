/**
 * The byte encodings of spec §2, §4 and §6: LEB128 integers, entries, hard states and final-data
 * copies round-trip, and malformed bytes are refused with the codes the spec gives.
 */
import { test as propTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LsfsError } from '../../src/errors.js';
import { crc32c } from '../../src/format/crc32c.js';
import { ENTRY_TYPE_CODES, decodeEntry, encodeEntry } from '../../src/raft/entry-codec.js';
import { chooseCopy, encodeFinalData, inspectCopy } from '../../src/raft/final-data.js';
import { decodeHardState, encodeHardState, INITIAL_HARD_STATE, type HardState } from '../../src/raft/hard-state.js';
import { readVlq, vlqLength, writeVlq } from '../../src/raft/vlq.js';
import { entryDataArb, hardStateArb } from './support/arbitraries.js';

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof LsfsError) return error.code;
    throw error;
  }
}

describe('LEB128', () => {
  // covers RLG-002
  it('is 7 bits per byte, least significant first, the high bit on every byte but the last', () => {
    const encode = (value: number) => {
      const bytes = new Uint8Array(10);
      return [...bytes.subarray(0, writeVlq(bytes, 0, value))];
    };
    expect(encode(0)).toEqual([0x00]);
    expect(encode(1)).toEqual([0x01]);
    expect(encode(127)).toEqual([0x7f]);
    expect(encode(128)).toEqual([0x80, 0x01]);
    expect(encode(300)).toEqual([0xac, 0x02]);
    expect(encode(16384)).toEqual([0x80, 0x80, 0x01]);
    expect(encode(Number.MAX_SAFE_INTEGER)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(readVlq(Uint8Array.from([0xac, 0x02, 0x55]), 0, 3, 'x')).toEqual({ value: 300, next: 2 });
    // The longest value that fits the reference implementation's numbers still reads.
    expect(readVlq(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]), 0, 8, 'x').value).toBe(Number.MAX_SAFE_INTEGER);
  });

  // covers RLG-002
  propTest.prop([fc.oneof(fc.nat(300), fc.maxSafeNat())])('round-trips in its shortest form', (value) => {
    const bytes = new Uint8Array(10);
    const end = writeVlq(bytes, 0, value);
    expect(end).toBe(vlqLength(value));
    expect(readVlq(bytes, 0, end, 'x')).toEqual({ value, next: end });
  });

  // covers RLG-002
  it('refuses a value past the end, a long form, and values past 2^53 − 1', () => {
    expect(codeOf(() => readVlq(Uint8Array.from([0x80]), 0, 1, 'x'))).toBe('RECORD_TOO_LARGE');
    expect(codeOf(() => readVlq(Uint8Array.from([0x81, 0x00]), 0, 2, 'x'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => readVlq(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10]), 0, 8, 'x'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => readVlq(new Uint8Array(11).fill(0x80), 0, 11, 'x'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => readVlq(Uint8Array.from([0x80, 0x80, 0x00]), 0, 3, 'x'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => readVlq(Uint8Array.from([0xac, 0x82]), 0, 2, 'x'))).toBe('RECORD_TOO_LARGE');
    // A zero is one byte; 0x80 0x00 is its long form.
    expect(readVlq(Uint8Array.from([0x00]), 0, 1, 'x')).toEqual({ value: 0, next: 1 });
    expect(codeOf(() => readVlq(Uint8Array.from([0x80, 0x00]), 0, 2, 'x'))).toBe('UNSUPPORTED_FEATURE');
  });
});

describe('entries', () => {
  // covers RLG-001, RLG-030, RLG-031
  it('are laid out as the byte table says, with the type code naming the entry code', () => {
    expect(ENTRY_TYPE_CODES).toEqual({ TERM_START: 1n, CLIENT_COMMAND: 2n, CLUSTER_CONFIG: 3n });
    const term = 2 ** 40 + 0x0203;
    const all = encodeEntry({ term, command: Uint8Array.from([0xc1, 0xc2]), result: Uint8Array.from([0x99]), error: true, code: 'CLUSTER_CONFIG', serial: 300, leaderId: 'né' });
    expect(all.typeCode).toBe(3n);
    expect([...all.payload]).toEqual([
      0x03, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, // term, u64 little-endian
      0x0f, // flags: has_serial, has_leader_id, has_result, error
      0xac, 0x02, // serial 300 as vlq
      0x03, 0x6e, 0xc3, 0xa9, // leader id: vlq length 3, then UTF-8 of 'né'
      0x01, 0x99, // result: vlq length 1, then its byte
      0xc1, 0xc2, // command: the rest
    ]);
    const bare = encodeEntry({ term: 1, command: Uint8Array.from([9]), result: undefined, error: false, code: 'TERM_START', serial: undefined, leaderId: undefined });
    expect(bare.typeCode).toBe(1n);
    expect([...bare.payload]).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0x00, 9]);
    // An empty leader id or result differs from an absent one: its flag is set, its length 0.
    const empty = encodeEntry({ term: 1, command: new Uint8Array(0), result: new Uint8Array(0), error: false, code: 'CLIENT_COMMAND', serial: undefined, leaderId: '' });
    expect(empty.typeCode).toBe(2n);
    expect([...empty.payload]).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0x06, 0x00, 0x00]);
    expect(decodeEntry(empty.typeCode, empty.payload, 't')).toMatchObject({ leaderId: '', result: new Uint8Array(0), command: new Uint8Array(0) });
    expect(decodeEntry(bare.typeCode, bare.payload, 't')).toMatchObject({ leaderId: undefined, result: undefined, serial: undefined });
    expect(decodeEntry(all.typeCode, all.payload, 't')).toEqual({ term, command: Uint8Array.from([0xc1, 0xc2]), result: Uint8Array.from([0x99]), error: true, code: 'CLUSTER_CONFIG', serial: 300, leaderId: 'né' });
  });

  propTest.prop([entryDataArb])('round-trip', (entry) => {
    const { typeCode, payload } = encodeEntry(entry);
    expect(typeCode).toBe(ENTRY_TYPE_CODES[entry.code]);
    expect(decodeEntry(typeCode, payload, 'test')).toEqual(entry);
  });

  // covers RLG-033
  it('refuse unknown codes, reserved flags, short and overrunning payloads', () => {
    const { typeCode, payload } = encodeEntry({ term: 1, command: new Uint8Array(0), result: new Uint8Array(4), error: false, code: 'CLIENT_COMMAND', serial: undefined, leaderId: 'ab' });
    expect(codeOf(() => decodeEntry(9n, payload, 't'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => decodeEntry(typeCode, payload.subarray(0, 8), 't'))).toBe('TRUNCATED_HEADER');
    const flagged = Buffer.from(payload);
    flagged[8]! |= 0x10;
    expect(codeOf(() => decodeEntry(typeCode, flagged, 't'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => decodeEntry(typeCode, payload.subarray(0, payload.length - 1), 't'))).toBe('RECORD_TOO_LARGE');
    const badUtf8 = Buffer.from(payload);
    badUtf8[10] = 0xff;
    expect(codeOf(() => decodeEntry(typeCode, badUtf8, 't'))).toBe('UNSUPPORTED_FEATURE');
    const hugeTerm = Buffer.from(payload);
    hugeTerm.writeBigUInt64LE(2n ** 60n, 0);
    expect(codeOf(() => decodeEntry(typeCode, hugeTerm, 't'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => decodeEntry(0n, payload, 't'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => decodeEntry(4n, payload, 't'))).toBe('UNSUPPORTED_FEATURE');
    // The cases of RLG-002 in a serial: a long form, a value past 2^53 − 1, one past the payload.
    const withSerial = (...serial: number[]) => Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0x01, ...serial]);
    expect(decodeEntry(2n, withSerial(0xac, 0x02), 't')).toMatchObject({ serial: 300, command: new Uint8Array(0) });
    expect(codeOf(() => decodeEntry(2n, withSerial(0xac, 0x82, 0x00), 't'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => decodeEntry(2n, withSerial(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), 't'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => decodeEntry(2n, withSerial(0xff, 0xff), 't'))).toBe('RECORD_TOO_LARGE');
    // A result whose length runs past the payload.
    expect(codeOf(() => decodeEntry(2n, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0x04, 0x05, 1, 2]), 't'))).toBe('RECORD_TOO_LARGE');
  });
});

describe('hard state', () => {
  // covers RLG-001, RLG-061
  it('is laid out as the byte table says', () => {
    const state: HardState = {
      term: 7,
      votedFor: 'n1',
      uri: undefined,
      broken: true,
      commitIndex: 2 ** 33 + 5,
      appliedIndex: 4,
      snapshotIndex: 3,
      snapshotTerm: 2,
      clusterConfig: '{"nodes":{}}',
      nextSegmentId: 9,
      segments: [
        { id: 4, base: 1, fileId: 0xaabbn },
        { id: 8, base: 4, fileId: 2n ** 64n - 1n },
      ],
    };
    const bytes = encodeHardState(state);
    expect(bytes.readBigUInt64LE(0)).toBe(7n);
    expect([...bytes.subarray(8, 16)]).toEqual([5, 0, 0, 0, 2, 0, 0, 0]);
    expect(bytes.readBigUInt64LE(16)).toBe(4n);
    expect(bytes.readBigUInt64LE(24)).toBe(3n);
    expect(bytes.readBigUInt64LE(32)).toBe(2n);
    expect(bytes.readBigUInt64LE(40)).toBe(9n);
    expect(bytes[48]).toBe(0x01 | 0x02 | 0x08);
    expect([...bytes.subarray(49, 52)]).toEqual([0, 0, 0]);
    expect(bytes.readUInt32LE(52)).toBe(2);
    expect([bytes.readBigUInt64LE(56), bytes.readBigUInt64LE(64), bytes.readBigUInt64LE(72)]).toEqual([4n, 1n, 0xaabbn]);
    expect([bytes.readBigUInt64LE(80), bytes.readBigUInt64LE(88), bytes.readBigUInt64LE(96)]).toEqual([8n, 4n, 2n ** 64n - 1n]);
    expect(bytes.readUInt32LE(104)).toBe(2);
    expect(bytes.toString('utf8', 108, 110)).toBe('n1');
    expect(bytes.readUInt32LE(110)).toBe(12);
    expect(bytes.toString('utf8', 114, 126)).toBe('{"nodes":{}}');
    // The payload ends right after the last present field.
    expect(bytes.length).toBe(126);
    expect(decodeHardState(bytes, 't')).toEqual(state);
    // The initial state is 56 bytes: every number 0 but next_segment_id 1, no flag, no segment.
    const initial = encodeHardState(INITIAL_HARD_STATE);
    expect([...initial]).toEqual([...new Uint8Array(40), 1, 0, 0, 0, 0, 0, 0, 0, ...new Uint8Array(8)]);
  });

  propTest.prop([hardStateArb])('round-trips', (state) => {
    expect(decodeHardState(encodeHardState(state), 'test')).toEqual(state);
  });

  // covers RLG-062
  it('refuses reserved bits, overruns, trailing bytes and inconsistent indexes', () => {
    const bytes = encodeHardState({ ...INITIAL_HARD_STATE, uri: 'u' });
    const flagged = Buffer.from(bytes);
    flagged[48]! |= 0x80;
    expect(codeOf(() => decodeHardState(flagged, 't'))).toBe('UNSUPPORTED_FEATURE');
    const reserved = Buffer.from(bytes);
    reserved[50] = 1;
    expect(codeOf(() => decodeHardState(reserved, 't'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => decodeHardState(bytes.subarray(0, bytes.length - 1), 't'))).toBe('RECORD_TOO_LARGE');
    expect(codeOf(() => decodeHardState(bytes.subarray(0, 40), 't'))).toBe('TRUNCATED_HEADER');
    expect(codeOf(() => decodeHardState(Buffer.concat([bytes, Buffer.from([0])]), 't'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => decodeHardState(encodeHardState({ ...INITIAL_HARD_STATE, appliedIndex: 2, commitIndex: 1 }), 't'))).toBe('INDEX_OUT_OF_ORDER');
    const twoSegments = { ...INITIAL_HARD_STATE, nextSegmentId: 9, segments: [{ id: 1, base: 1, fileId: 1n }, { id: 2, base: 1, fileId: 2n }] };
    expect(codeOf(() => decodeHardState(encodeHardState(twoSegments), 't'))).toBe('INDEX_OUT_OF_ORDER');
    expect(codeOf(() => decodeHardState(encodeHardState({ ...twoSegments, segments: [{ id: 1, base: 5, fileId: 1n }] }), 't'))).toBe('INDEX_OUT_OF_ORDER');
    const inconsistent: Partial<HardState>[] = [
      { commitIndex: 5, appliedIndex: 2, snapshotIndex: 3, snapshotTerm: 1 }, // snapshot above applied
      { snapshotTerm: 1 }, // a snapshot term without a snapshot
      { nextSegmentId: 9, segments: [{ id: 1, base: 0, fileId: 1n }] }, // first base below 1
      { nextSegmentId: 9, segments: [{ id: 3, base: 1, fileId: 1n }, { id: 3, base: 2, fileId: 2n }] }, // an id listed twice
      { nextSegmentId: 3, segments: [{ id: 3, base: 1, fileId: 1n }] }, // an id not below next_segment_id
      { nextSegmentId: 9, segments: [{ id: 1, base: 1, fileId: 1n }, { id: 2, base: 3, fileId: 2n }, { id: 4, base: 2, fileId: 3n }] }, // bases going down
    ];
    for (const change of inconsistent) expect(codeOf(() => decodeHardState(encodeHardState({ ...INITIAL_HARD_STATE, ...change }), 't')), JSON.stringify(change, (_, v) => (typeof v === 'bigint' ? String(v) : v))).toBe('INDEX_OUT_OF_ORDER');
    // A consistent state with the same kinds of fields is accepted.
    expect(codeOf(() => decodeHardState(encodeHardState({ ...INITIAL_HARD_STATE, commitIndex: 5, appliedIndex: 4, snapshotIndex: 3, snapshotTerm: 1, nextSegmentId: 9, segments: [{ id: 1, base: 2, fileId: 1n }, { id: 8, base: 6, fileId: 2n }] }), 't'))).toBe('ok');
    // Text that is not UTF-8, a cluster config that is not JSON.
    const vote = encodeHardState({ ...INITIAL_HARD_STATE, votedFor: 'ab' });
    vote[60] = 0xff;
    expect(codeOf(() => decodeHardState(vote, 't'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => decodeHardState(encodeHardState({ ...INITIAL_HARD_STATE, clusterConfig: '{"nodes":' }), 't'))).toBe('UNSUPPORTED_FEATURE');
    // A text length or a segment count that runs past the payload.
    const longVote = Buffer.from(vote);
    longVote.writeUInt32LE(3, 56);
    expect(codeOf(() => decodeHardState(longVote, 't'))).toBe('RECORD_TOO_LARGE');
    const manySegments = encodeHardState({ ...INITIAL_HARD_STATE, nextSegmentId: 2, segments: [{ id: 1, base: 1, fileId: 1n }] });
    manySegments.writeUInt32LE(2, 52);
    expect(codeOf(() => decodeHardState(manySegments, 't'))).toBe('RECORD_TOO_LARGE');
  });
});

describe('final-data copies', () => {
  // covers RLG-001, RLG-060
  it('are laid out as the byte table says', () => {
    const payload = encodeHardState({ ...INITIAL_HARD_STATE, term: 3 });
    const bytes = encodeFinalData(1, 0x0102030405n, payload);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x4c, 0x52, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect([...bytes.subarray(8, 12)]).toEqual([1, 0, 1, 0]); // format_version 1 (u16), slot 1 (B), reserved 0
    expect([...bytes.subarray(12, 16)]).toEqual([payload.length, 0, 0, 0]);
    expect([...bytes.subarray(16, 24)]).toEqual([0x05, 0x04, 0x03, 0x02, 0x01, 0, 0, 0]);
    expect(bytes.subarray(24, 24 + payload.length).equals(payload)).toBe(true);
    expect(bytes.length).toBe(28 + payload.length);
    expect(bytes.readUInt32LE(24 + payload.length)).toBe(crc32c(bytes.subarray(0, 24 + payload.length)));
    expect(encodeFinalData(0, 1n, payload)[10]).toBe(0);
  });

  // covers RLG-003, RLG-060
  propTest.prop([hardStateArb, fc.constantFrom(0 as const, 1 as const), fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), fc.uint8Array({ maxLength: 40 })])(
    'are checked by their CRC-32C over everything before it, whatever slack follows',
    (state, slot, generation, slack) => {
      const copy = encodeFinalData(slot, generation, encodeHardState(state));
      const end = copy.length - 4;
      expect(copy.readUInt32LE(end)).toBe(crc32c(copy.subarray(0, end)));
      const found = inspectCopy(Buffer.concat([copy, slack]), slot, 'test');
      expect(found.status).toBe('valid');
      expect(found.status === 'valid' && found.generation).toBe(generation);
      expect(found.status === 'valid' && decodeHardState(found.payload, 'test')).toEqual(state);
    },
  );

  // covers RLG-071, RLG-072
  it('choose the higher valid generation, ignore torn copies, refuse ties and two torn copies', () => {
    const payload = encodeHardState(INITIAL_HARD_STATE);
    const valid = (slot: 0 | 1, generation: bigint) => inspectCopy(encodeFinalData(slot, generation, payload), slot, 't');
    const torn = (slot: 0 | 1) => inspectCopy(encodeFinalData(slot, 7n, payload).subarray(0, 30), slot, 't');
    expect(chooseCopy([valid(0, 3n), valid(1, 4n)], 't')?.slot).toBe(1);
    expect(chooseCopy([valid(0, 5n), valid(1, 4n)], 't')?.slot).toBe(0);
    expect(chooseCopy([valid(0, 5n), torn(1)], 't')?.slot).toBe(0);
    expect(chooseCopy([{ status: 'absent' }, valid(1, 2n)], 't')?.slot).toBe(1);
    expect(chooseCopy([{ status: 'absent' }, { status: 'absent' }], 't')).toBeUndefined();
    expect(codeOf(() => chooseCopy([valid(0, 4n), valid(1, 4n)], 't'))).toBe('CHECKSUM_MISMATCH');
    expect(codeOf(() => chooseCopy([torn(0), torn(1)], 't'))).toBe('TORN_TAIL');
    expect(torn(0).status).toBe('torn');
    expect(inspectCopy(Buffer.alloc(100), 0, 't').status).toBe('torn');
    expect(codeOf(() => inspectCopy(encodeFinalData(1, 1n, payload), 0, 't'))).toBe('MISPLACED_BLOCK');
  });

  // covers RLG-071
  it('are checked in the order of RLG-071: size, magic, version, length, CRC, slot, reserved byte', () => {
    const payload = encodeHardState(INITIAL_HARD_STATE);
    const copy = () => encodeFinalData(0, 5n, payload);
    const resealed = (bytes: Buffer) => {
      const out = Buffer.from(bytes);
      out.writeUInt32LE(crc32c(out.subarray(0, 24 + payload.length)), 24 + payload.length);
      return out;
    };
    const status = (bytes: Buffer) => {
      try {
        return inspectCopy(bytes, 0, 't').status;
      } catch (error) {
        return (error as LsfsError).code;
      }
    };
    expect(status(copy())).toBe('valid');
    // What a crash can leave is torn, and ignored.
    expect(status(copy().subarray(0, 27))).toBe('torn');
    const magic = copy();
    magic[3] = 0;
    expect(status(magic)).toBe('torn');
    const tooLong = copy();
    tooLong.writeUInt32LE(2 ** 26 + 1, 12);
    expect(status(Buffer.concat([tooLong, Buffer.alloc(2 ** 10)]))).toBe('torn');
    const pastEnd = copy();
    pastEnd.writeUInt32LE(payload.length + 1, 12);
    expect(status(pastEnd)).toBe('torn');
    const crc = copy();
    crc[30]! ^= 1;
    expect(status(crc)).toBe('torn');
    // What a crash cannot make fails the open: another version (checked before the CRC, with the
    // right magic), a checked copy in the wrong slot or with its reserved byte set.
    const version = copy();
    version.writeUInt16LE(2, 8);
    expect(status(version)).toBe('UNSUPPORTED_VERSION');
    const versionAndMagic = Buffer.from(version);
    versionAndMagic[0] = 0;
    expect(status(versionAndMagic)).toBe('torn');
    const slot = copy();
    slot[10] = 1;
    expect(status(resealed(slot))).toBe('MISPLACED_BLOCK');
    expect(status(slot)).toBe('torn');
    const reserved = copy();
    reserved[11] = 1;
    expect(status(resealed(reserved))).toBe('UNSUPPORTED_FEATURE');
    expect(status(reserved)).toBe('torn');
  });
});
