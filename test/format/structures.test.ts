/** Unit tests of each on-disk structure (spec §3–§8), byte for byte. */
import { describe, expect, it } from 'vitest';
import { test as propTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { CRC32C_CHECK_VALUE, crc32c, crc32cSmall, sliceContextCrc } from '../../src/format/crc32c.js';
import { decodeFileHeader, encodeFileHeader } from '../../src/format/file-header.js';
import { decodeBlockHeader, encodeBlockHeader } from '../../src/format/block-header.js';
import { SHORT_PREFIX_BYTES, decodeSlice, sealSlice, sealSliceOfParts } from '../../src/format/slice.js';
import { bytesLeftInBlock, encodeRecord, encodeRecordPartsInto, encodedRecordSize, recordStartOffset } from '../../src/format/layout.js';
import { FILE_MAGIC, MAX_RECORD_INDEX, MIN_RECORD_START, SliceKind, isValidBlockSize } from '../../src/format/constants.js';
import { blockSizeArb, patternPayload, payloadLengthArb, typeCodeArb } from '../support/arbitraries.js';

describe('CRC-32C (§3)', () => {
  // covers RSF-010
  it('has the check value 0xE3069283 and chains', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(CRC32C_CHECK_VALUE);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    expect(crc32c(Buffer.from('56789'), crc32c(Buffer.from('1234')))).toBe(CRC32C_CHECK_VALUE);
  });
});

describe('file header (§4)', () => {
  // covers RSF-020, RSF-022
  const header = { blockSize: 4096, fileId: 0x1122334455667788n, baseIndex: 1000n };
  const bytes = encodeFileHeader(header);

  it('lays out the fields of the byte table', () => {
    expect(bytes.length).toBe(64);
    expect(bytes.subarray(0, 8).equals(Buffer.from(FILE_MAGIC))).toBe(true);
    expect(bytes.readUInt16LE(8)).toBe(1);
    expect(bytes[10]).toBe(12);
    expect(bytes.readUInt32LE(12)).toBe(0);
    expect(bytes.readBigUInt64LE(16)).toBe(header.fileId);
    expect(bytes.readBigUInt64LE(24)).toBe(1000n);
    expect(bytes.subarray(32, 60).every((b) => b === 0)).toBe(true);
    expect(bytes.readUInt32LE(60)).toBe(crc32c(bytes.subarray(0, 60)));
    expect(decodeFileHeader(bytes)).toEqual(header);
  });

  const withCrc = (mutate: (b: Buffer) => void) => {
    const copy = Buffer.from(bytes);
    mutate(copy);
    copy.writeUInt32LE(crc32c(copy.subarray(0, 60)), 60);
    return copy;
  };
  const cases: [string, Buffer, string, number][] = [
    ['short file', bytes.subarray(0, 63), 'TRUNCATED_HEADER', 0],
    ['bad magic', withCrc((b) => (b[1] = 0x4d)), 'BAD_MAGIC', 0],
    ['version 2 (checked before the CRC)', (() => { const b = Buffer.from(bytes); b.writeUInt16LE(2, 8); return b; })(), 'UNSUPPORTED_VERSION', 8],
    ['bad CRC', (() => { const b = Buffer.from(bytes); b[20]! ^= 1; return b; })(), 'CHECKSUM_MISMATCH', 60],
    ['block size 2^8', withCrc((b) => (b[10] = 8)), 'BAD_BLOCK_SIZE', 10],
    ['block size 2^17', withCrc((b) => (b[10] = 17)), 'BAD_BLOCK_SIZE', 10],
    ['reserved_0 set', withCrc((b) => (b[11] = 1)), 'UNSUPPORTED_FEATURE', 11],
    ['feature flag set', withCrc((b) => b.writeUInt32LE(4, 12)), 'UNSUPPORTED_FEATURE', 12],
    ['reserved_1 set', withCrc((b) => (b[59] = 1)), 'UNSUPPORTED_FEATURE', 32],
  ];
  it.each(cases.map(([name, input, code, offset]) => ({ name, input, code, offset })))('$name → $code at $offset (RSF-022 order)', ({ input, code, offset }) => {
    expect(decodeFileHeader(input)).toMatchObject({ code, offset });
  });

  it('accepts base index MAX_RECORD_INDEX + 1 (an empty file that can take no record)', () => {
    expect(decodeFileHeader(withCrc((b) => b.writeBigUInt64LE(MAX_RECORD_INDEX + 1n, 24)))).toMatchObject({ baseIndex: MAX_RECORD_INDEX + 1n });
  });

  // covers RSF-001: only powers of two from 512 to 65536 are block sizes.
  it('refuses to encode what the spec forbids', () => {
    expect(() => encodeFileHeader({ ...header, blockSize: 4095 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encodeFileHeader({ ...header, blockSize: 256 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encodeFileHeader({ ...header, fileId: -1n })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encodeFileHeader({ ...header, baseIndex: 2n ** 64n - 1n })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    for (let log2 = 9; log2 <= 16; log2++) {
      expect(isValidBlockSize(2 ** log2)).toBe(true);
      expect(decodeFileHeader(encodeFileHeader({ ...header, blockSize: 2 ** log2 }))).toMatchObject({ blockSize: 2 ** log2 });
    }
    for (const blockSize of [0, 1, 256, 511, 513, 768, 1000, 4097, 3 * 4096, 2 ** 17, 2 ** 20, 1024.5, Number.NaN]) {
      expect(isValidBlockSize(blockSize), String(blockSize)).toBe(false);
      expect(() => encodeFileHeader({ ...header, blockSize })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});

describe('block header (§5)', () => {
  // covers RSF-030, RSF-031
  const fileId = 77n;
  const bytes = encodeBlockHeader({ fileId, blockNumber: 3, firstIndex: 9n });
  it('lays out the fields and checks them in RSF-031 order', () => {
    expect(bytes.toString('latin1', 0, 4)).toBe('LSBK');
    expect(bytes.readUInt32LE(4)).toBe(crc32c(bytes.subarray(8, 32)));
    expect(decodeBlockHeader(bytes, 3, 3 * 512, fileId, 512)).toEqual({ fileId, blockNumber: 3, firstIndex: 9n });
    expect(decodeBlockHeader(bytes, 4, 4 * 512, fileId, 512)).toMatchObject({ code: 'MISPLACED_BLOCK', offset: 2048 });
    expect(decodeBlockHeader(bytes, 3, 1536, 78n, 512)).toMatchObject({ code: 'FOREIGN_BLOCK', offset: 1536 });
    const badCrc = Buffer.from(bytes);
    badCrc[30]! ^= 0x80;
    expect(decodeBlockHeader(badCrc, 3, 1536, fileId, 512)).toMatchObject({ code: 'CHECKSUM_MISMATCH', offset: 1536 });
    const badMagic = Buffer.from(bytes);
    badMagic[0] = 0;
    expect(decodeBlockHeader(badMagic, 3, 1536, fileId, 512)).toMatchObject({ code: 'BAD_MAGIC', offset: 1536 });
    expect(decodeBlockHeader(bytes.subarray(0, 31), 3, 1536, fileId, 512)).toMatchObject({ code: 'TORN_TAIL', offset: 1536 });
  });
});

describe('slice (§6)', () => {
  // covers RSF-040, RSF-041, RSF-042
  const fileId = 5n;
  const at = 100;
  const block = Buffer.alloc(512);
  block.set(Buffer.from('hello world!'), 8);
  sealSlice(block, 0, SliceKind.Full, 12, fileId, at);

  it('is header, data, trailer with the context of §3', () => {
    expect(block.readUInt16LE(0)).toBe(0x4c53);
    expect(block[2]).toBe(SliceKind.Full);
    expect(block.readUInt16LE(4)).toBe(12);
    const context = Buffer.alloc(16);
    context.writeBigUInt64LE(fileId, 0);
    context.writeBigUInt64LE(BigInt(at), 8);
    expect(block.readUInt16LE(6)).toBe(crc32c(Buffer.concat([context, block.subarray(0, 6)])) & 0xffff);
    expect(block.readUInt32LE(20)).toBe(crc32c(Buffer.concat([context, block.subarray(0, 20)])));
    expect(decodeSlice(block, 0, at, 512, fileId)).toMatchObject({ kind: SliceKind.Full, dataLength: 12, size: 24 });
  });

  // covers RSF-041
  propTest.prop([fc.integer({ min: 0, max: SHORT_PREFIX_BYTES }), fc.uint8Array({ maxLength: 400 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.nat(1 << 30)])(
    'sealed from a prefix in place and the caller\'s tail, it is the same bytes as sealed in place',
    (prefixLength, tail, id, offset) => {
      const prefix = Buffer.from(Array.from({ length: prefixLength }, (_, i) => (i * 31 + 7) & 0xff));
      const size = 12 + prefixLength + tail.length;
      const inPlace = Buffer.alloc(size + 3, 0xaa);
      inPlace.set(prefix, 8);
      inPlace.set(tail, 8 + prefixLength);
      const ofParts = Buffer.from(inPlace);
      expect(sealSliceOfParts(ofParts, 0, SliceKind.Full, prefixLength, tail, id, offset)).toBe(size);
      expect(sealSlice(inPlace, 0, SliceKind.Full, prefixLength + tail.length, id, offset)).toBe(size);
      expect(ofParts).toEqual(inPlace);
    },
  );

  it('fails at another offset or in another file (misplaced or stale slice)', () => {
    expect(decodeSlice(block, 0, at + 512, 512, fileId)).toMatchObject({ code: 'CHECKSUM_MISMATCH', skippable: false });
    expect(decodeSlice(block, 0, at, 512, fileId + 1n)).toMatchObject({ code: 'CHECKSUM_MISMATCH', skippable: false });
  });

  it('reports data damage as skippable and header damage as not', () => {
    const data = Buffer.from(block);
    data[10]! ^= 1;
    expect(decodeSlice(data, 0, at, 512, fileId)).toMatchObject({ code: 'CHECKSUM_MISMATCH', skippable: true, offset: at, length: 24 });
    const kind = Buffer.from(block);
    kind[2] = 9;
    expect(decodeSlice(kind, 0, at, 512, fileId)).toMatchObject({ code: 'CHECKSUM_MISMATCH', skippable: false });
    expect(decodeSlice(block, 0, at, 20, fileId)).toMatchObject({ code: 'BAD_SLICE' });
    expect(decodeSlice(block.subarray(0, 7), 0, at, 512, fileId)).toMatchObject({ code: 'TORN_TAIL' });
    expect(decodeSlice(block.subarray(0, 23), 0, at, 512, fileId)).toMatchObject({ code: 'TORN_TAIL' });
  });
});

describe('canonical layout (§8)', () => {
  // covers RSF-060, RSF-061
  propTest.prop([blockSizeArb.chain((b) => fc.tuple(fc.constant(b), fc.array(payloadLengthArb(b), { maxLength: 12 })))])(
    'encodedRecordSize predicts encodeRecord, and a record starts where recordStartOffset says',
    ([blockSize, lengths]) => {
      let position = 64;
      lengths.forEach((length, i) => {
        const bytes = encodeRecord(position, BigInt(i), 1n, Buffer.alloc(length, 0xaa), { blockSize, fileId: 1n });
        expect(bytes.length).toBe(encodedRecordSize(position, length, { blockSize, fileId: 1n }));
        const start = recordStartOffset(position, blockSize);
        expect(bytes.readUInt16LE(start - position)).toBe(0x4c53);
        expect(bytes.subarray(0, start - position - (start === position ? 0 : 32)).every((b) => b === 0)).toBe(true);
        position += bytes.length;
      });
    },
  );

  // covers RSF-060
  propTest.prop([
    blockSizeArb.chain((b) => fc.tuple(fc.constant(b), fc.array(fc.tuple(payloadLengthArb(b), fc.double({ min: 0, max: 1, noNaN: true }), fc.nat(8), typeCodeArb), { minLength: 1, maxLength: 10 }))),
    fc.integer({ min: 1, max: 2 ** 40 }),
  ])('a payload given as head and body encodes to the bytes of the joined payload, at any split', ([blockSize, records], seed) => {
    const params = { blockSize, fileId: 0x0123456789abcdefn };
    let position = 64;
    records.forEach(([length, split, spare, typeCode], i) => {
      const payload = patternPayload(length, seed + i);
      const headLength = Math.floor(split * length);
      // The head buffer may be longer than the head (the Raft log passes a scratch buffer).
      const head = Buffer.concat([payload.subarray(0, headLength), Buffer.alloc(spare, 0xee)]);
      const joined = encodeRecord(position, BigInt(i), typeCode, payload, params);
      const out = Buffer.alloc(joined.length + 7, 0x55);
      const written = encodeRecordPartsInto(out, 3, position, BigInt(i), typeCode, head, headLength, payload.subarray(headLength), params);
      expect(written).toBe(joined.length);
      expect(out.subarray(3, 3 + written).equals(joined)).toBe(true);
      expect(out.subarray(0, 3).every((b) => b === 0x55) && out.subarray(3 + written).every((b) => b === 0x55)).toBe(true);
      position += written;
    });
  });

  it('pads only when fewer than 24 bytes are left, and only when the next record comes', () => {
    const blockSize = 512;
    // A first record that leaves exactly 23 bytes in block 0: 512 - 64 - 23 = 425 bytes = 12 + 12 + 401.
    const first = encodeRecord(64, 0n, 1n, Buffer.alloc(401), { blockSize, fileId: 1n });
    expect(first.length).toBe(425);
    expect(bytesLeftInBlock(64 + 425, blockSize)).toBe(23);
    const second = encodeRecord(489, 1n, 1n, Buffer.alloc(0), { blockSize, fileId: 1n });
    expect(second.length).toBe(23 + 32 + 24);
    expect(second.subarray(0, 23).every((b) => b === 0)).toBe(true);
    expect(second.toString('latin1', 23, 27)).toBe('LSBK');
    // 24 left: the next record starts in the same block, as a FIRST slice holding just its header.
    const exact = encodeRecord(488, 1n, 1n, Buffer.alloc(5), { blockSize, fileId: 1n });
    expect(exact[2]).toBe(SliceKind.First);
    expect(exact.readUInt16LE(4)).toBe(12);
    expect(MIN_RECORD_START).toBe(24);
  });
});

describe('CRC-32C short path', () => {
  propTest.prop([fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })])(
    'agrees with the library, and the context CRC is the CRC of the 16 context bytes',
    (bytes, previous, fileId, offset) => {
      expect(crc32cSmall(bytes, 0, bytes.length, previous)).toBe(crc32c(bytes, previous));
      const context = Buffer.alloc(16);
      context.writeBigUInt64LE(fileId, 0);
      context.writeBigUInt64LE(BigInt(offset), 8);
      expect(sliceContextCrc(fileId, offset)).toBe(crc32c(context));
    },
  );
});
