/** Damaged file headers (RSF-022): each check in its order, and several at once. */
import { cut, editFileHeader, FileAssembler, flipBit } from '../assembler.js';
import { text } from '../bytes.js';
import type { ReaderSpec } from '../spec.js';
import { P4096, payload, reader } from './common.js';

export function headerCases(): ReaderSpec[] {
  const base = new FileAssembler(P4096);
  base.record(1n, text('first'));
  base.record(2n, payload(300, 5000));
  const good = base.bytes();
  const cases: ReaderSpec[] = [];
  const add = (id: string, description: string, bytes: Buffer, requirements: string[] = [], flags: string[] = []): void => {
    cases.push(reader(`damaged/header/${id}`, description, { params: P4096, bytes }, ['RSF-020', 'RSF-022', ...requirements], flags));
  };

  add('empty-file', 'a file of 0 bytes: TRUNCATED_HEADER at 0, the first check of RSF-022', Buffer.alloc(0));
  add('cut-at-1', 'a file cut after 1 byte of its header (a create without RSF-023\'s rename would leave this): TRUNCATED_HEADER at 0', cut(good, 1));
  add('cut-at-32', 'a file cut in the middle of its header: TRUNCATED_HEADER at 0', cut(good, 32));
  add('cut-at-63', 'a file one byte shorter than its header: TRUNCATED_HEADER at 0', cut(good, 63));

  add('magic-flip', 'bit 0 of the first magic byte flipped (0x89 to 0x88): BAD_MAGIC at 0', flipBit(good, 0), ['RSF-010'], ['BitFlip']);
  add(
    'magic-text-mode',
    'the CR LF of the magic turned into LF, as a text-mode transfer does (the file is one byte shorter): BAD_MAGIC at 0',
    Buffer.concat([good.subarray(0, 4), good.subarray(5)]),
  );
  add('not-lsfs', 'a file that is not LSFS (a PNG signature and zeros): BAD_MAGIC at 0', Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(120)]));
  add(
    'magic-and-version',
    'a bad magic and format_version 2: BAD_MAGIC, since the magic is checked first',
    editFileHeader(good, (h) => {
      h[1] = 0x4d;
      h.writeUInt16LE(2, 8);
    }),
    [],
    ['CheckOrder'],
  );
  add('version-flip', 'format_version 1 flipped to 0 (and header_crc now wrong): UNSUPPORTED_VERSION at 8, checked before the checksum', flipBit(good, 8, 0), [], ['BitFlip', 'CheckOrder']);
  add(
    'version-2',
    'format_version 2 with a header_crc that matches: UNSUPPORTED_VERSION at 8 (a later version may lay its header out differently)',
    editFileHeader(good, (h) => h.writeUInt16LE(2, 8)),
  );
  add(
    'version-256',
    'format_version 0x0100 (the version is a little-endian u16: byte 9 counts too): UNSUPPORTED_VERSION at 8',
    editFileHeader(good, (h) => h.writeUInt16LE(0x100, 8)),
  );

  const fields: [string, number][] = [
    ['block-size-log2', 10],
    ['reserved-0', 11],
    ['feature-flags', 12],
    ['file-id', 16],
    ['base-index', 24],
    ['reserved-1', 32],
    ['reserved-1-last-byte', 59],
    ['header-crc', 60],
  ];
  for (const [name, offset] of fields) {
    add(
      `flip/${name}`,
      `one bit of the file header at offset ${offset} (${name}) flipped: CHECKSUM_MISMATCH at 60, checked before the fields it covers`,
      flipBit(good, offset, 1),
      ['RSF-010', 'RSF-011'],
      ['BitFlip', 'CheckOrder'],
    );
  }

  for (const log2 of [0, 8, 17, 255]) {
    add(
      `block-size-log2-${log2}`,
      `block_size_log2 ${log2} with a matching header_crc: BAD_BLOCK_SIZE at 10 (block sizes are 2^9 to 2^16)`,
      editFileHeader(good, (h) => (h[10] = log2)),
      ['RSF-001'],
    );
  }
  add('reserved-0-set', 'reserved_0 = 1 with a matching header_crc: UNSUPPORTED_FEATURE at 11', editFileHeader(good, (h) => (h[11] = 1)));
  add('feature-flag-0', 'feature_flags bit 0 set with a matching header_crc: UNSUPPORTED_FEATURE at 12 (no feature is defined in version 1)', editFileHeader(good, (h) => (h[12] = 1)));
  add('feature-flag-31', 'feature_flags bit 31 set (byte 15): UNSUPPORTED_FEATURE at 12, the field\'s offset', editFileHeader(good, (h) => (h[15] = 0x80)));
  add('reserved-1-first-byte', 'reserved_1 byte 32 set: UNSUPPORTED_FEATURE at 32, the field\'s offset', editFileHeader(good, (h) => (h[32] = 1)));
  add('reserved-1-last-byte', 'reserved_1 byte 59 set: UNSUPPORTED_FEATURE at 32, the field\'s offset, not the byte\'s', editFileHeader(good, (h) => (h[59] = 0x40)));
  add(
    'reserved-0-and-reserved-1',
    'reserved_0 and reserved_1 both set: UNSUPPORTED_FEATURE at 11, the first non-zero field',
    editFileHeader(good, (h) => {
      h[11] = 1;
      h[40] = 1;
    }),
    [],
    ['CheckOrder'],
  );
  add(
    'feature-flags-and-reserved-1',
    'feature_flags and reserved_1 both set: UNSUPPORTED_FEATURE at 12, the first non-zero field',
    editFileHeader(good, (h) => {
      h[13] = 2;
      h[33] = 1;
    }),
    [],
    ['CheckOrder'],
  );
  add(
    'block-size-and-feature',
    'block_size_log2 17 and a feature flag set: BAD_BLOCK_SIZE at 10, checked before the reserved fields',
    editFileHeader(good, (h) => {
      h[10] = 17;
      h[12] = 1;
    }),
    ['RSF-001'],
    ['CheckOrder'],
  );
  add(
    'crc-and-block-size',
    'block_size_log2 20 without updating header_crc: CHECKSUM_MISMATCH at 60, checked before the block size',
    editFileHeader(good, (h) => (h[10] = 20), { recomputeCrc: false }),
    ['RSF-010', 'RSF-011'],
    ['CheckOrder'],
  );
  add(
    'version-and-crc',
    'format_version 3 without updating header_crc: UNSUPPORTED_VERSION at 8, checked before the checksum',
    editFileHeader(good, (h) => h.writeUInt16LE(3, 8), { recomputeCrc: false }),
    [],
    ['CheckOrder'],
  );
  return cases;
}
