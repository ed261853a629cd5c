/**
 * Crafted damage: structures with correct checksums that break a rule of the format (wrong block
 * headers, slices out of sequence, bad lengths, reserved bits, index overflow), each built byte by
 * byte so that exactly one rule (or, for check-order cases, a known set of rules) fails.
 */
import {
  FileAssembler,
  FIRST,
  FULL,
  LAST,
  MAX_PAYLOAD_LENGTH,
  MIDDLE,
  cut,
  flipBit,
  overwrite,
  recordData,
  resealSlice,
  rewriteBlockHeader,
  type FileParams,
} from '../assembler.js';
import { seededBytes, text, U64_MAX } from '../bytes.js';
import { OTHER_FILE_ID, type ReaderSpec } from '../spec.js';
import type { ReadJson } from '../types.js';
import { P512, params, payload, reader, standardFile } from './common.js';

export function craftedCases(): ReaderSpec[] {
  const cases: ReaderSpec[] = [];
  const add = (
    id: string,
    description: string,
    file: { params: FileParams; bytes: Buffer },
    requirements: string[],
    flags: string[] = [],
    corrections?: ReaderSpec['corrections'],
  ): void => {
    cases.push(reader(`damaged/crafted/${id}`, description, file, ['RSF-100', ...requirements], ['Crafted', ...flags], undefined, corrections));
  };
  const std = standardFile();
  const r = std.records;
  const stdWith = (bytes: Buffer): { params: FileParams; bytes: Buffer } => ({ params: std.params, bytes });
  const block = (k: number): number => k * 512;

  // ---- Block headers (RSF-031, RSF-032) ----------------------------------------------------
  add(
    'block/foreign-file-id',
    'block 2\'s header carries another file_id with a matching header_crc: FOREIGN_BLOCK at 1024; salvage loses blocks 2 to 4 (their continuations are orphaned) and returns record 6',
    stdWith(rewriteBlockHeader(std.bytes, block(2), { fileId: OTHER_FILE_ID })),
    ['RSF-031', 'RSF-072', 'RSF-073'],
  );
  {
    const other = standardFile(OTHER_FILE_ID);
    const bytes = overwrite(std.bytes, block(2), other.bytes.subarray(block(2), block(3)));
    add(
      'block/foreign-block',
      'block 2 replaced by block 2 of another file with the same records (a stale block of another file): FOREIGN_BLOCK at 1024; its slices fail their checks in this file too (RSF-041)',
      stdWith(bytes),
      ['RSF-031', 'RSF-041', 'RSF-072'],
    );
    const foreignTail = Buffer.concat([cut(std.bytes, block(4)), other.bytes.subarray(block(4))]);
    add(
      'block/foreign-block-at-tail',
      'the last block replaced by the last block of another file: its header fails RSF-031 and none of its slices is intact in this file, so nothing intact follows the damage: a torn tail, TORN_TAIL at the end of record 4',
      stdWith(foreignTail),
      ['RSF-031', 'RSF-041', 'RSF-070', 'RSF-074'],
    );
  }
  add(
    'block/misplaced-block-number',
    'block 3\'s header says block_number 4, with a matching header_crc: MISPLACED_BLOCK at 1536',
    stdWith(rewriteBlockHeader(std.bytes, block(3), { blockNumber: 4n })),
    ['RSF-031', 'RSF-072'],
  );
  {
    const f = new FileAssembler(P512);
    f.record(1n, text('before'));
    f.record(2n, payload(500, 3000));
    f.record(3n, text('after'));
    const bytes = f.bytes();
    const swapped = Buffer.from(bytes);
    bytes.copy(swapped, block(2), block(3), block(4));
    bytes.copy(swapped, block(3), block(2), block(3));
    add(
      'block/swapped-blocks',
      'blocks 2 and 3 (two MIDDLE blocks of one record) swapped: MISPLACED_BLOCK at 1024 and again at 1536; the record is lost, the next one survives in salvage',
      { params: P512, bytes: swapped },
      ['RSF-031', 'RSF-041', 'RSF-072'],
      ['MultiBlockRecord'],
    );
  }
  add(
    'block/foreign-and-misplaced',
    'block 2\'s header has another file_id and block_number 7 (matching header_crc): FOREIGN_BLOCK, since file_id is checked before block_number',
    stdWith(rewriteBlockHeader(std.bytes, block(2), { fileId: OTHER_FILE_ID, blockNumber: 7n })),
    ['RSF-031'],
    ['CheckOrder'],
  );
  add(
    'block/bad-magic-and-crc',
    'block 2\'s magic and header_crc both wrong: BAD_MAGIC, checked first',
    stdWith(overwrite(std.bytes, block(2), Buffer.from('4c53424c00000000', 'hex'))),
    ['RSF-031'],
    ['CheckOrder'],
  );
  add(
    'block/missing-header',
    'a writer that forgot block headers: block 1 begins with slice bytes instead of a block header: BAD_MAGIC at 512 (RSF-030)',
    (() => {
      const f = new FileAssembler(P512);
      f.record(1n, payload(510, 424)); // fills block 0
      f.slice(FULL, recordData(2n, text('no block header before me')));
      f.slice(FULL, recordData(3n, text('nor me')));
      return { params: P512, bytes: f.bytes() };
    })(),
    ['RSF-030', 'RSF-031'],
  );
  add(
    'block/first-index-too-high',
    'block 2\'s first_index is 4 instead of 3 (matching header_crc): INDEX_OUT_OF_ORDER at 1024 (RSF-032); salvage loses block 2 and resumes at block 3',
    stdWith(rewriteBlockHeader(std.bytes, block(2), { firstIndex: 4n })),
    ['RSF-032', 'RSF-072'],
  );
  add(
    'block/first-index-too-low',
    'block 2\'s first_index is 2 instead of 3: INDEX_OUT_OF_ORDER at 1024',
    stdWith(rewriteBlockHeader(std.bytes, block(2), { firstIndex: 2n })),
    ['RSF-032', 'RSF-072'],
  );
  add(
    'block/first-index-of-continuation',
    'block 4 begins with the LAST slice of record 5 but says first_index 6: a full read reports INDEX_OUT_OF_ORDER at 2048; open-info parses block 3, which does not end with a slice of record 6, so the LAST slice is BAD_SLICE at 2080 (spec section 10 step 3)',
    stdWith(rewriteBlockHeader(std.bytes, block(4), { firstIndex: 6n })),
    ['RSF-032', 'RSF-080'],
    ['MultiBlockRecord'],
  );
  {
    // "At or after d" (section 9): a structure that is intact but wrong is interior even at the very end.
    const headerOnly = cut(std.bytes, block(4) + 32);
    add(
      'block/wrong-first-index-at-end',
      'the file ends right after the header of block 4, whose first_index is 7 instead of 5 (matching header_crc): the header is itself intact, so the damage is interior even at the end of the file: INDEX_OUT_OF_ORDER at 2048, not a torn tail (section 9: an intact structure at or after d)',
      stdWith(rewriteBlockHeader(headerOnly, block(4), { firstIndex: 7n })),
      ['RSF-032', 'RSF-070'],
      ['EarlierDraft', 'MultiBlockRecord'],
    );
    add(
      'block/misplaced-at-end',
      'the file ends right after the header of block 4, whose block_number is 9 (matching header_crc): a header that fails RSF-031 is not intact, nothing intact follows, so this is a torn tail: TORN_TAIL at the end of record 4',
      stdWith(rewriteBlockHeader(headerOnly, block(4), { blockNumber: 9n })),
      ['RSF-031', 'RSF-070', 'RSF-074'],
      ['MultiBlockRecord'],
    );
  }
  {
    const broken = overwrite(std.bytes, r[3]!.offset, Buffer.from('0000', 'hex'));
    const higher = rewriteBlockHeader(rewriteBlockHeader(broken, block(3), { firstIndex: 9n }), block(4), { firstIndex: 9n });
    add(
      'block/first-index-after-gap-higher',
      'record 3\'s slice magic destroyed (the rest of block 2 is lost and the index unknown), and blocks 3 and 4 say first_index 9: after a gap a higher first_index sets the index, so salvage returns the last record as index 10 (RSF-072 item 4)',
      stdWith(higher),
      ['RSF-032', 'RSF-072', 'RSF-073'],
    );
    const lower = rewriteBlockHeader(rewriteBlockHeader(broken, block(3), { firstIndex: 1n }), block(4), { firstIndex: 1n });
    add(
      'block/first-index-after-gap-lower',
      'as block/first-index-after-gap-higher but blocks 3 and 4 say first_index 1, below the last returned record (2): INDEX_OUT_OF_ORDER, both blocks lost, the gap runs to the end of the file',
      stdWith(lower),
      ['RSF-032', 'RSF-072'],
    );
  }
  {
    // After a gap, a block that begins with a continuation and names the last returned record.
    const f = new FileAssembler(P512);
    f.record(1n, text('zero'));
    f.record(2n, payload(524, 300));
    const damageAt = f.length;
    f.raw(Buffer.from('0000', 'hex'));
    f.raw(Buffer.alloc(f.leftInBlock));
    f.blockHeader({ firstIndex: 1n });
    f.slice(LAST, payload(525, 50));
    f.record(5n, text('after'), { index: 2n });
    add(
      'block/first-index-after-gap-equal',
      `a destroyed slice magic at ${damageAt} (the rest of block 0 is lost), then block 1 begins with a LAST slice and says first_index 1, the last returned record: after a gap a first_index that is not above the last returned index is INDEX_OUT_OF_ORDER and the block is lost (RSF-072 item 4), so the gap runs to the end of the file`,
      { params: P512, bytes: f.bytes() },
      ['RSF-032', 'RSF-072', 'RSF-073'],
      [],
    );
  }
  {
    const f = new FileAssembler(params(512, 100n));
    f.record(1n, payload(520, 400)); // 64..488
    f.record(2n, Buffer.alloc(0)); // 488..512
    f.record(3n, payload(521, 200)); // block 1: 544..768
    f.record(4n, payload(522, 232)); // 768..1024, fills block 1
    f.record(5n, payload(523, 300)); // block 2
    const broken = overwrite(f.bytes(), 64, Buffer.from('0000', 'hex'));
    add(
      'block/first-index-after-gap-no-record',
      'base index 100; the first slice\'s magic destroyed, so block 0 is lost before any record is returned: block 1\'s first_index (102, not below the base index) sets the index',
      { params: f.params, bytes: broken },
      ['RSF-072', 'RSF-073'],
      ['BaseIndex'],
    );
    if (f.records[4]!.offset !== 1056) throw new Error('after-gap-no-record: record 104 is not the first slice of block 2');
    add(
      'block/first-index-after-gap-below-base',
      'as block/first-index-after-gap-no-record but block 1 says first_index 99, below the base index 100: INDEX_OUT_OF_ORDER, block 1 is lost too; block 2 (first_index 104) sets the index',
      { params: f.params, bytes: rewriteBlockHeader(broken, block(1), { firstIndex: 99n }) },
      ['RSF-032', 'RSF-072', 'RSF-073'],
      ['BaseIndex'],
    );
  }

  // ---- Slice header checks (RSF-042 checks 4 to 6): not skippable, the rest of the block is lost ----
  const r1 = r[1]!.offset;
  add('slice/kind-0', `record 1's slice kind 0 with a matching header_check: BAD_SLICE at ${r1} (check 4); the rest of block 0 is lost`, stdWith(resealSlice(std.bytes, r1, std.params.fileId, { kind: 0 })), ['RSF-042']);
  add('slice/kind-5', `record 1's slice kind 5: BAD_SLICE at ${r1}`, stdWith(resealSlice(std.bytes, r1, std.params.fileId, { kind: 5 })), ['RSF-042']);
  add('slice/reserved-set', `record 1's slice reserved byte 1 with a matching header_check: UNSUPPORTED_FEATURE at ${r1} (check 5)`, stdWith(resealSlice(std.bytes, r1, std.params.fileId, { reserved: 1 })), ['RSF-042']);
  add(
    'slice/overruns-block',
    `record 1's data_length set to 400 (the trailer would end past block 0) with a matching header_check: BAD_SLICE at ${r1} (check 6, RSF-040)`,
    stdWith(resealSlice(std.bytes, r1, std.params.fileId, { dataLength: 400 }, { trailer: false })),
    ['RSF-040', 'RSF-042', 'RSF-005'],
  );
  add(
    'slice/kind-and-reserved',
    `kind 9 and reserved 1 with a matching header_check: BAD_SLICE at ${r1}, the kind is checked before the reserved byte`,
    stdWith(resealSlice(std.bytes, r1, std.params.fileId, { kind: 9, reserved: 1 })),
    ['RSF-042'],
    ['CheckOrder'],
  );
  add(
    'slice/reserved-and-overrun',
    `reserved 1 and a data_length past the block end: UNSUPPORTED_FEATURE at ${r1}, the reserved byte is checked before the length`,
    stdWith(resealSlice(std.bytes, r1, std.params.fileId, { reserved: 1, dataLength: 60000 }, { trailer: false })),
    ['RSF-042'],
    ['CheckOrder'],
  );
  {
    // Records 1 and 2 of equal size swapped: each is intact for the other's offset only.
    const f = new FileAssembler(P512);
    f.record(1n, text('zero'));
    const a = f.record(2n, payload(530, 60));
    const b = f.record(3n, payload(531, 60));
    f.record(4n, text('three'));
    f.record(5n, payload(532, 600));
    f.record(6n, text('five'));
    const bytes = f.bytes();
    const swapped = Buffer.from(bytes);
    bytes.copy(swapped, a.offset, b.offset, b.end);
    bytes.copy(swapped, b.offset, a.offset, a.end);
    add(
      'slice/moved-slice',
      `two slices of the same size swapped: each fails its header_check at the other's offset (the context holds the slice offset, RSF-041): CHECKSUM_MISMATCH at ${a.offset}`,
      { params: P512, bytes: swapped },
      ['RSF-041', 'RSF-042'],
    );
  }
  {
    const f = new FileAssembler(P512);
    f.record(1n, text('mine'));
    f.slice(FULL, recordData(2n, text('sealed with another file id')), { fileId: OTHER_FILE_ID });
    f.record(3n, text('mine again'), { index: 2n });
    f.padToBlockEnd();
    f.blockHeader({ firstIndex: 3n });
    f.record(4n, text('block 1'), { index: 3n });
    add(
      'slice/other-file-id',
      'a slice sealed with another file\'s id (a stale slice of another file): CHECKSUM_MISMATCH at 92 (RSF-041); the rest of block 0 is lost, block 1 is read',
      { params: P512, bytes: f.bytes() },
      ['RSF-041', 'RSF-042'],
    );
  }

  // ---- Record rules within one block (RSF-052, first groups) -------------------------------
  const fullWith = (id: string, description: string, data: Buffer, requirements: string[], flags: string[] = []): void => {
    const f = new FileAssembler(P512);
    f.record(1n, text('zero'));
    const bad = f.slice(FULL, data);
    f.record(3n, text('after the bad slice'), { index: 2n });
    f.record(4n, text('and one more'), { index: 3n });
    add(id, description.replace('OFFSET', String(bad.offset)), { params: P512, bytes: f.bytes() }, ['RSF-052', ...requirements], flags);
  };
  fullWith('record/full-length-mismatch', 'a FULL slice whose payload_length (21) is one more than its data holds: BAD_SLICE at OFFSET; salvage loses exactly the slice and still counts it as record 1 (RSF-073)', recordData(2n, payload(540, 20), 21), ['RSF-050', 'RSF-073']);
  fullWith('record/full-shorter-than-record-header', 'a FULL slice of 5 data bytes, too short for a record header: BAD_SLICE at OFFSET', payload(541, 5), ['RSF-050']);
  {
    const f = new FileAssembler(P512);
    f.record(1n, text('zero'));
    f.record(2n, text('one'));
    const bad = f.slice(FULL, recordData(3n, payload(548, 20), 19));
    add(
      'record/full-length-mismatch-at-end',
      `the last slice of the file is intact but its payload_length (19) does not match its data (20): BAD_SLICE at ${bad.offset}, interior because the slice itself is intact (an intact structure at d, section 9), not a torn tail`,
      { params: P512, bytes: f.bytes() },
      ['RSF-050', 'RSF-052', 'RSF-070'],
      ['EarlierDraft'],
    );
  }
  fullWith(
    'record/full-payload-too-large',
    'a FULL slice whose record header claims 2^30 + 1 bytes: RECORD_TOO_LARGE at OFFSET, before any allocation (RSF-005); salvage skips exactly the slice',
    recordData(2n, payload(542, 20), MAX_PAYLOAD_LENGTH + 1),
    ['RSF-002', 'RSF-005', 'RSF-051'],
  );
  fullWith(
    'record/full-payload-length-max-u32',
    'a FULL slice whose record header claims 4294967295 bytes: RECORD_TOO_LARGE at OFFSET',
    recordData(2n, payload(543, 20), 0xffffffff),
    ['RSF-002', 'RSF-005', 'RSF-051'],
  );
  fullWith(
    'record/length-checked-before-size-match',
    'a FULL slice of 4 data bytes: data_length >= 12 fails first, BAD_SLICE at OFFSET (a reader must not read a record header that is not there)',
    Buffer.from('00000000', 'hex'),
    ['RSF-050'],
    ['CheckOrder'],
  );
  {
    const f = new FileAssembler(P512);
    f.record(1n, text('zero'));
    const bad = f.slice(FIRST, recordData(2n, payload(544, 20), 100));
    f.record(3n, text('two'), { index: 2n });
    f.record(4n, text('three'), { index: 3n });
    add(
      'record/first-not-filling-block',
      `a FIRST slice that ends before its block does: BAD_SLICE at ${bad.offset}; it still counts as record 1, so the FULL slices after it are records 2 and 3 (RSF-052, RSF-073)`,
      { params: P512, bytes: f.bytes() },
      ['RSF-043', 'RSF-052', 'RSF-073'],
    );
  }
  {
    const f = new FileAssembler(P512);
    f.record(1n, text('zero'));
    const left = f.leftInBlock;
    const bad = f.slice(FIRST, recordData(2n, payload(545, left - 24), left - 24));
    f.blockHeader({ firstIndex: 2n });
    f.record(3n, text('two'), { index: 2n });
    f.record(4n, text('three'), { index: 3n });
    add(
      'record/first-holds-whole-record',
      `a FIRST slice that fills its block and holds its whole record (it should have been FULL): BAD_SLICE at ${bad.offset}`,
      { params: P512, bytes: f.bytes() },
      ['RSF-043', 'RSF-050', 'RSF-052'],
    );
  }
  {
    const f = new FileAssembler(P512);
    f.record(1n, text('zero'));
    const left = f.leftInBlock;
    const bad = f.slice(FIRST, recordData(2n, payload(546, left - 24), 0xfffffff0));
    f.blockHeader({ firstIndex: 1n });
    f.slice(LAST, payload(547, 100));
    f.record(3n, text('two'), { index: 2n });
    add(
      'record/first-payload-too-large',
      `a FIRST slice whose record header claims 4294967280 bytes: RECORD_TOO_LARGE at ${bad.offset}; its LAST slice in block 1 then continues no record (BAD_SLICE) in the same gap`,
      { params: P512, bytes: f.bytes() },
      ['RSF-002', 'RSF-005', 'RSF-051', 'RSF-052'],
      ['MultiBlockRecord'],
    );
  }

  // ---- Continuations (RSF-043, RSF-052 last group) -----------------------------------------
  /**
   * Block 0: a small record (index 0), then the FIRST slice of record 1 filling the block; its
   * payload_length says `remaining` more payload bytes follow (or is `absolute`).
   */
  const withFirst = (length: { remaining: number } | { absolute: number }): FileAssembler => {
    const f = new FileAssembler(P512);
    f.record(1n, text('zero'));
    const inFirst = f.leftInBlock - 24;
    const payloadLength = 'absolute' in length ? length.absolute : inFirst + length.remaining;
    f.slice(FIRST, recordData(2n, payload(550, inFirst), payloadLength));
    return f;
  };
  {
    const f = withFirst({ remaining: 500 });
    f.blockHeader({ firstIndex: 1n });
    f.slice(MIDDLE, payload(551, 100));
    f.record(3n, text('two'), { index: 2n });
    add(
      'continuation/middle-not-filling-block',
      'a MIDDLE slice of 100 bytes at the start of block 1 (it must fill the block): BAD_SLICE at 544; record 1 is lost from its FIRST slice; the FULL slice after it is record 2',
      { params: P512, bytes: f.bytes() },
      ['RSF-043', 'RSF-052', 'RSF-073'],
      ['MultiBlockRecord'],
    );
  }
  {
    const f = withFirst({ remaining: 10 });
    f.blockHeader({ firstIndex: 1n });
    f.slice(LAST, Buffer.alloc(0));
    f.record(3n, text('two'), { index: 2n });
    add('continuation/last-empty', 'a LAST slice of 0 bytes (a LAST slice holds at least 1 byte): BAD_SLICE at 544', { params: P512, bytes: f.bytes() }, ['RSF-043', 'RSF-052'], ['MultiBlockRecord']);
  }
  {
    const f = withFirst({ remaining: 468 });
    f.blockHeader({ firstIndex: 1n });
    f.slice(MIDDLE, payload(552, 468));
    f.blockHeader({ firstIndex: 2n });
    f.record(3n, text('two'), { index: 2n });
    add(
      'continuation/middle-completes-record',
      'a MIDDLE slice that holds exactly the rest of its record (a MIDDLE slice leaves some of the record to come): BAD_SLICE at 544',
      { params: P512, bytes: f.bytes() },
      ['RSF-043', 'RSF-050', 'RSF-052'],
      ['MultiBlockRecord'],
    );
  }
  {
    const f = withFirst({ remaining: 100 });
    f.blockHeader({ firstIndex: 1n });
    f.slice(LAST, payload(553, 50));
    f.record(3n, text('two'), { index: 2n });
    add(
      'continuation/last-too-short',
      'a LAST slice of 50 bytes where 100 are missing: BAD_SLICE at 544 (RSF-050); record 1 is lost, the FULL slice after it is record 2',
      { params: P512, bytes: f.bytes() },
      ['RSF-050', 'RSF-052'],
      ['MultiBlockRecord'],
    );
  }
  {
    const f = withFirst({ remaining: 100 });
    f.blockHeader({ firstIndex: 1n });
    f.slice(LAST, payload(554, 150));
    f.record(3n, text('two'), { index: 2n });
    add('continuation/last-too-long', 'a LAST slice of 150 bytes where 100 are missing: BAD_SLICE at 544 (RSF-050)', { params: P512, bytes: f.bytes() }, ['RSF-050', 'RSF-052'], ['MultiBlockRecord']);
  }
  {
    const f = new FileAssembler(P512);
    f.record(1n, text('zero'));
    f.record(2n, text('one'));
    const bad = f.slice(MIDDLE, payload(555, 40));
    f.record(3n, text('two'), { index: 2n });
    add(
      'continuation/middle-not-first-in-block',
      `a MIDDLE slice after a FULL slice in block 0 (MIDDLE and LAST slices only stand at a block's data start): BAD_SLICE at ${bad.offset}`,
      { params: P512, bytes: f.bytes() },
      ['RSF-043', 'RSF-052'],
    );
  }
  {
    const f = new FileAssembler(P512);
    f.record(1n, text('zero'));
    f.record(2n, text('one'));
    const bad = f.slice(LAST, payload(556, 40));
    f.record(3n, text('two'), { index: 2n });
    add('continuation/last-not-first-in-block', `a LAST slice after a FULL slice in block 0: BAD_SLICE at ${bad.offset}`, { params: P512, bytes: f.bytes() }, ['RSF-043', 'RSF-052']);
  }
  {
    const f = withFirst({ remaining: 300 });
    f.blockHeader({ firstIndex: 1n });
    f.slice(FULL, recordData(3n, payload(567, 456))); // fills block 1
    f.blockHeader({ firstIndex: 3n });
    f.record(4n, text('the next one'), { index: 3n });
    add(
      'continuation/full-while-in-progress',
      'block 1 (first_index 1, the record in progress) begins with a FULL slice while record 1 is in progress: BAD_SLICE at 544; record 1 is lost from its FIRST slice, the FULL slice counts as record 2, block 2 holds record 3',
      { params: P512, bytes: f.bytes() },
      ['RSF-032', 'RSF-043', 'RSF-052', 'RSF-073'],
      ['MultiBlockRecord', 'Reading'],
    );
  }
  {
    // RSF-073 numbers the FULL slice after the out-of-sequence one from the block's first_index.
    const f = withFirst({ remaining: 300 });
    f.blockHeader({ firstIndex: 1n });
    const early = f.slice(FULL, recordData(3n, text('a new record too early')));
    const next = f.slice(FULL, recordData(4n, text('the next one')));
    add(
      'continuation/full-while-in-progress-then-full',
      `block 1 (first_index 1) begins with a FULL slice while record 1 is in progress (BAD_SLICE at ${early.offset}), then another FULL slice: by RSF-073 that one is record 1 + 0 + 1 = 2 (one record start before it in its block), as open-info also finds; the salvage read must return it as 2`,
      { params: P512, bytes: f.bytes() },
      ['RSF-032', 'RSF-043', 'RSF-052', 'RSF-072', 'RSF-073'],
      ['MultiBlockRecord', 'Reading'],
    );
  }
  {
    const f = withFirst({ remaining: 300 });
    f.blockHeader({ firstIndex: 1n });
    f.slice(FIRST, recordData(3n, payload(557, 456), 600));
    f.blockHeader({ firstIndex: 2n });
    f.slice(LAST, payload(558, 144));
    f.record(5n, text('after'), { index: 3n });
    add(
      'continuation/first-while-in-progress',
      'block 1 (first_index 1) begins with a FIRST slice while record 1 is in progress: BAD_SLICE at 544; it counts as record 2, and its LAST slice in block 2 (first_index 2) continues no record',
      { params: P512, bytes: f.bytes() },
      ['RSF-032', 'RSF-043', 'RSF-052', 'RSF-073'],
      ['MultiBlockRecord', 'Reading'],
    );
  }
  {
    const f = withFirst({ remaining: 300 });
    f.blockHeader({ firstIndex: 1n });
    f.slice(FULL, recordData(3n, payload(559, 456), MAX_PAYLOAD_LENGTH + 1)); // fills block 1
    f.blockHeader({ firstIndex: 3n });
    f.record(5n, text('block 2'), { index: 3n });
    add(
      'continuation/too-large-while-in-progress',
      'block 1 begins with a FULL slice claiming 2^30 + 1 bytes while record 1 is in progress: RECORD_TOO_LARGE at 544, since the rules within a block come before the rules across blocks (RSF-052; appendix B.3 of PROTOCOL.md, which checks the sequence first, would say BAD_SLICE)',
      { params: P512, bytes: f.bytes() },
      ['RSF-051', 'RSF-052'],
      ['CheckOrder', 'EarlierDraft', 'MultiBlockRecord', 'Reading'],
    );
  }
  // Orphan continuations at a block start: nothing is in progress. What first_index a reader
  // expects of such a block is a reading (README): the next record's index minus one.
  const orphan = (kind: number, claimed: bigint, id: string, description: string): void => {
    const f = new FileAssembler(P512);
    f.record(1n, payload(560, 400));
    f.record(2n, Buffer.alloc(0)); // records 0 and 1 fill block 0
    f.blockHeader({ firstIndex: claimed });
    f.slice(kind, payload(561, kind === MIDDLE ? 468 : 100));
    if (kind === MIDDLE) f.blockHeader({ firstIndex: 2n });
    f.record(3n, text('two'), { index: 2n });
    f.record(4n, text('three'), { index: 3n });
    add(`continuation/${id}`, description, { params: P512, bytes: f.bytes() }, ['RSF-032', 'RSF-043', 'RSF-052', 'RSF-073', 'RSF-080'], ['Reading']);
  };
  orphan(MIDDLE, 1n, 'orphan-middle', 'block 1 (first_index 1, the last record: what a reader expects) begins with a MIDDLE slice although no record is in progress: BAD_SLICE at 544; block 2 holds records 2 and 3');
  orphan(LAST, 1n, 'orphan-last', 'block 1 (first_index 1) begins with a LAST slice although no record is in progress: BAD_SLICE at 544; the records after it are 2 and 3; open-info finds the same (spec section 10 step 3: block 0 does not end with a FIRST or MIDDLE slice)');
  orphan(MIDDLE, 2n, 'orphan-middle-claims-next', 'block 1 begins with a MIDDLE slice and says first_index 2, the record that has not started: INDEX_OUT_OF_ORDER at 512 (a reader expects 1)');
  orphan(LAST, 2n, 'orphan-last-claims-next', 'block 1 begins with a LAST slice and says first_index 2: INDEX_OUT_OF_ORDER at 512 for a full read; open-info parses block 0 and reports the LAST slice as BAD_SLICE at 544 (spec section 10 step 3)');

  // ---- Records cut by the end of the file, and long records that meet damage (RSF-051) ------
  {
    const f = withFirst({ absolute: MAX_PAYLOAD_LENGTH });
    f.blockHeader({ firstIndex: 1n });
    f.slice(MIDDLE, payload(564, 468));
    add(
      'long/max-payload-cut-by-eof',
      'a FIRST slice claiming 2^30 bytes (the largest payload) followed by one MIDDLE slice, then the end of the file: the record is cut, not an error: TORN_TAIL at the end of record 0; nothing may be allocated for it (RSF-005)',
      { params: P512, bytes: f.bytes() },
      ['RSF-005', 'RSF-051', 'RSF-070', 'RSF-074'],
      ['MultiBlockRecord'],
    );
  }
  {
    const f = withFirst({ absolute: MAX_PAYLOAD_LENGTH });
    f.blockHeader({ firstIndex: 1n });
    f.slice(LAST, payload(565, 100));
    f.record(3n, text('two'), { index: 2n });
    add(
      'long/max-payload-then-bad-last',
      'a FIRST slice claiming 2^30 bytes, then a LAST slice of 100 bytes in block 1 and more records: the LAST does not end the record, BAD_SLICE at 544 (RSF-051 no longer makes such a record RECORD_TOO_LARGE at its FIRST slice, as appendix B.4 of PROTOCOL.md did)',
      { params: P512, bytes: f.bytes() },
      ['RSF-005', 'RSF-050', 'RSF-051', 'RSF-052'],
      ['EarlierDraft', 'MultiBlockRecord'],
    );
  }
  {
    const f = withFirst({ absolute: MAX_PAYLOAD_LENGTH });
    f.blockHeader({ firstIndex: 1n });
    f.slice(MIDDLE, payload(566, 468));
    f.blockHeader({ firstIndex: 1n });
    const damageAt = f.length;
    f.raw(Buffer.concat([Buffer.from('ffff', 'hex'), Buffer.alloc(100)]));
    f.slice(FULL, recordData(9n, text('intact, after the damage')));
    add(
      'long/max-payload-then-damage',
      `a FIRST slice claiming 2^30 bytes, one MIDDLE, then block 2 with a destroyed slice magic followed by an intact slice: the damage is interior, BAD_MAGIC at ${damageAt}, not RECORD_TOO_LARGE at the FIRST slice (appendix B.4 of PROTOCOL.md); the salvage gap starts at the FIRST slice`,
      { params: P512, bytes: f.bytes() },
      ['RSF-005', 'RSF-051', 'RSF-072'],
      ['EarlierDraft', 'MultiBlockRecord'],
    );
  }

  // ---- Padding (RSF-061, RSF-062) -----------------------------------------------------------
  {
    const f = new FileAssembler(P512);
    f.record(1n, payload(570, 394)); // 64 + 418 = 482: 30 bytes left, room for a record
    f.padToBlockEnd();
    f.blockHeader({ firstIndex: 1n });
    f.record(2n, text('one'), { index: 1n });
    f.record(3n, text('two'), { index: 2n });
    add(
      'padding/where-a-record-fits',
      'a writer that padded 30 bytes (a record can start with 24 or more left): the reader expects a slice there, BAD_MAGIC at 482 (RSF-061)',
      { params: P512, bytes: f.bytes() },
      ['RSF-061', 'RSF-042'],
    );
  }
  {
    const std2 = standardFile();
    const padding = std2.records[3]!.padding!;
    const bytes = flipBit(cut(std2.bytes, padding.offset + padding.length), padding.offset + 3, 7);
    add(
      'padding/non-zero-at-tail',
      `the file ends right after its padding and the last padding byte is 0x80: BAD_PADDING, but no intact structure follows, so it is the torn tail: TORN_TAIL at ${padding.offset}`,
      { params: std2.params, bytes },
      ['RSF-061', 'RSF-062', 'RSF-070', 'RSF-074'],
    );
  }

  // ---- Damage in the last block with an intact slice after it ------------------------------
  {
    const f = new FileAssembler(P512);
    f.record(1n, text('zero'));
    f.record(2n, text('one'));
    const damageAt = f.length;
    f.raw(seededBytes(580, 50));
    f.slice(FULL, recordData(3n, text('intact but unreachable')));
    add(
      'tail-block/garbage-then-intact-slice',
      `50 bytes of garbage at ${damageAt} in the last block, then an intact slice: interior (BAD_MAGIC at ${damageAt}); salvage loses the rest of the block, so its gap runs to the end of the file and there is no tail; open-info fails too`,
      { params: P512, bytes: f.bytes() },
      ['RSF-042', 'RSF-070', 'RSF-072', 'RSF-080'],
    );
  }

  // ---- Index overflow (RSF-003, RSF-052) ------------------------------------------------------
  {
    const f = new FileAssembler(params(512, 2n ** 64n - 2n));
    f.record(1n, text('index 2^64 - 2'));
    const bad = f.record(2n, text('index 2^64 - 1'));
    add(
      'index/overflow-second-record',
      `base index 2^64 - 2 and two records: the second would be index 2^64 - 1: INDEX_OVERFLOW at ${bad.offset}; interior, since the slice itself is intact; open-info parses this block and must find it too (spec section 10 step 2)`,
      { params: f.params, bytes: f.bytes() },
      ['RSF-003', 'RSF-052', 'RSF-080'],
      ['IndexLimit', 'BaseIndex', 'EarlierDraft']
    );
  }
  {
    const f = new FileAssembler(params(512, U64_MAX));
    f.record(1n, text('no room'), { index: U64_MAX });
    add(
      'index/overflow-base-no-room',
      'base index 2^64 - 1 and one record: INDEX_OVERFLOW at 64, for open-info too',
      { params: f.params, bytes: f.bytes() },
      ['RSF-003', 'RSF-022', 'RSF-052', 'RSF-080'],
      ['IndexLimit', 'BaseIndex', 'EarlierDraft']
    );
  }
  {
    const f = new FileAssembler(params(512, 2n ** 64n - 2n));
    f.record(1n, text('index 2^64 - 2'));
    const bad = f.record(2n, payload(590, 700), { index: U64_MAX });
    f.record(3n, text('after'), { index: U64_MAX });
    add(
      'index/overflow-first-slice',
      `base index 2^64 - 2; the second record spans blocks 0 and 1 (block 1 says first_index 2^64 - 1): INDEX_OVERFLOW at its FIRST slice (${bad.offset}); salvage loses it and its LAST slice; open-info finds it when it parses block 0 (spec section 10 step 3)`,
      { params: f.params, bytes: f.bytes() },
      ['RSF-003', 'RSF-052', 'RSF-080'],
      ['IndexLimit', 'BaseIndex', 'MultiBlockRecord']
    );
  }
  {
    const f = new FileAssembler(params(512, U64_MAX));
    f.slice(FULL, recordData(1n, payload(591, 20), 21));
    f.record(2n, text('after'), { index: U64_MAX });
    add(
      'index/overflow-after-length-mismatch',
      'base index 2^64 - 1 and a FULL slice whose length does not match its record header: BAD_SLICE at 64, since the rules within a block come before the index check (RSF-052)',
      { params: f.params, bytes: f.bytes() },
      ['RSF-050', 'RSF-052'],
      ['IndexLimit', 'BaseIndex', 'CheckOrder'],
    );
  }
  {
    // Found by comparing the engine with the Python reader on random damage.
    const f = new FileAssembler(P512);
    const orphan = f.slice(LAST, payload(530, 100));
    f.record(7n, text('after the orphan'), { index: 1n });
    add(
      'continuation/block-0-begins-with-last',
      `block 0 begins with a LAST slice at ${orphan.offset}: block 0 is never INDEX_OUT_OF_ORDER (RSF-032), the slice continues no record (BAD_SLICE at 64, interior: it is intact, so open fails too, §10 step 3), and the FULL slice after it is record base_index + 1 = 1 (RSF-073)`,
      { params: P512, bytes: f.bytes() },
      ['RSF-032', 'RSF-043', 'RSF-052', 'RSF-072', 'RSF-073'],
    );
  }
  add(
    'index/last-block-first-index-too-low',
    'the last block\'s header says first_index 4 with a matching header_crc, where record 5 is in progress: a strict read fails with INDEX_OUT_OF_ORDER at 2048 after records 0 to 4 and never silently stops short; open finds that block 4 does not continue block 3 (BAD_SLICE at its first slice, §10 step 3)',
    stdWith(rewriteBlockHeader(std.bytes, block(4), { firstIndex: 4n })),
    ['RSF-032', 'RSF-071', 'RSF-072'],
  );
  return cases;
}
