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
import { decodeHardState, encodeHardState, INITIAL_HARD_STATE } from '../../src/raft/hard-state.js';
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
  propTest.prop([fc.oneof(fc.nat(300), fc.maxSafeNat())])('round-trips in its shortest form', (value) => {
    const bytes = new Uint8Array(10);
    const end = writeVlq(bytes, 0, value);
    expect(end).toBe(vlqLength(value));
    expect(readVlq(bytes, 0, end, 'x')).toEqual({ value, next: end });
  });

  it('refuses a value past the end, a long form, and values past 2^53 − 1', () => {
    expect(codeOf(() => readVlq(Uint8Array.from([0x80]), 0, 1, 'x'))).toBe('RECORD_TOO_LARGE');
    expect(codeOf(() => readVlq(Uint8Array.from([0x81, 0x00]), 0, 2, 'x'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => readVlq(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10]), 0, 8, 'x'))).toBe('UNSUPPORTED_FEATURE');
    expect(codeOf(() => readVlq(new Uint8Array(11).fill(0x80), 0, 11, 'x'))).toBe('UNSUPPORTED_FEATURE');
  });
});

describe('entries', () => {
  propTest.prop([entryDataArb])('round-trip', (entry) => {
    const { typeCode, payload } = encodeEntry(entry);
    expect(typeCode).toBe(ENTRY_TYPE_CODES[entry.code]);
    expect(decodeEntry(typeCode, payload, 'test')).toEqual(entry);
  });

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
  });
});

describe('hard state', () => {
  propTest.prop([hardStateArb])('round-trips', (state) => {
    expect(decodeHardState(encodeHardState(state), 'test')).toEqual(state);
  });

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
  });
});

describe('final-data copies', () => {
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
});
