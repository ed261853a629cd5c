/**
 * Single-bit flips in every structure of the standard file: interior ones (good blocks follow) and
 * the same flips in the last slice, where no intact structure follows and the damage is a torn tail.
 */
import { cut, flipBit } from '../assembler.js';
import type { ReaderSpec } from '../spec.js';
import { reader, standardFile } from './common.js';

const FLIP = ['RSF-010', 'RSF-011', 'RSF-070'];

export function flipCases(): ReaderSpec[] {
  const cases: ReaderSpec[] = [];
  const std = standardFile();
  const r = std.records;
  const add = (id: string, description: string, bytes: Buffer, requirements: string[] = [], flags: string[] = []): void => {
    cases.push(reader(`damaged/flip/${id}`, description, { params: std.params, bytes }, [...FLIP, ...requirements], ['BitFlip', ...flags]));
  };
  const flip = (id: string, offset: number, what: string, outcome: string, requirements: string[] = [], flags: string[] = [], bit = 2): void => {
    add(id, `bit ${bit} of byte ${offset} (${what}) flipped: ${outcome}`, flipBit(std.bytes, offset, bit), requirements, flags);
  };

  const block1 = r[2]!.blockHeaders[0]!;
  const r1 = r[1]!.offset;
  const first2 = r[2]!.slices[0]!;
  const last2 = r[2]!.slices[1]!;
  const padding = r[3]!.padding!;
  const middle5 = r[5]!.slices[1]!;
  const block4 = r[5]!.blockHeaders[1]!;
  const last5 = r[5]!.slices[2]!;
  const r6 = r[6]!.offset;

  // Block header of block 1 (RSF-031): every field is covered by magic or header_crc.
  const blockOutcome = (code: string): string =>
    `${code} at ${block1}; block 1 is lost, with record 2 whose FIRST slice is in block 0; salvage resumes at block 2, whose first_index sets the index again`;
  flip('block-header/magic', block1, 'the magic of block 1', blockOutcome('BAD_MAGIC'), ['RSF-030', 'RSF-031']);
  flip('block-header/crc', block1 + 4, 'the header_crc of block 1', blockOutcome('CHECKSUM_MISMATCH'), ['RSF-031']);
  flip('block-header/file-id', block1 + 8, 'the file_id of block 1', `${blockOutcome('CHECKSUM_MISMATCH')} (header_crc is checked before file_id)`, ['RSF-031'], ['CheckOrder']);
  flip('block-header/block-number', block1 + 16, 'the block_number of block 1', `${blockOutcome('CHECKSUM_MISMATCH')} (header_crc is checked before block_number)`, ['RSF-031'], ['CheckOrder']);
  flip('block-header/first-index', block1 + 24, 'the first_index of block 1', blockOutcome('CHECKSUM_MISMATCH'), ['RSF-031', 'RSF-032']);

  // Slice header of record 1 (RSF-042 checks 2 and 3): the rest of block 0 is lost.
  const headerOutcome = (code: string): string =>
    `${code} at ${r1}; the header cannot be trusted, so the rest of block 0 is lost, and block 1's LAST slice, whose FIRST was lost, is BAD_SLICE inside the same gap`;
  flip('slice-header/magic', r1, 'the slice magic of record 1', headerOutcome('BAD_MAGIC'), ['RSF-042', 'RSF-072', 'RSF-073']);
  flip('slice-header/kind', r1 + 2, 'the kind of record 1\'s slice', headerOutcome('CHECKSUM_MISMATCH'), ['RSF-042'], [], 1);
  flip('slice-header/reserved', r1 + 3, 'the reserved byte of record 1\'s slice', headerOutcome('CHECKSUM_MISMATCH'), ['RSF-042']);
  flip('slice-header/data-length', r1 + 4, 'the data_length of record 1\'s slice', `${headerOutcome('CHECKSUM_MISMATCH')}: a reader must not follow the damaged length`, ['RSF-042', 'RSF-005']);
  flip('slice-header/header-check', r1 + 6, 'the header_check of record 1\'s slice', headerOutcome('CHECKSUM_MISMATCH'), ['RSF-041', 'RSF-042']);

  // The rest of record 1's slice (RSF-042 check 8): the header is trusted, exactly the slice is lost.
  const dataOutcome = `CHECKSUM_MISMATCH at ${r1}; the header passed its check, so salvage loses exactly this slice, counts it as record 1 (RSF-073) and returns record 2 on`;
  flip('record-header/type-code', r1 + 8 + 3, 'the type code in record 1\'s record header', dataOutcome, ['RSF-042', 'RSF-073']);
  flip('record-header/payload-length', r1 + 8 + 8, 'the payload_length in record 1\'s record header', `${dataOutcome}: the checksum is verified before the length is used`, ['RSF-042', 'RSF-005', 'RSF-073']);
  flip('payload', r1 + 8 + 12 + 50, 'the payload of record 1', dataOutcome, ['RSF-042', 'RSF-073']);
  flip('trailer', r[1]!.end - 3, 'the slice_crc of record 1', dataOutcome, ['RSF-042', 'RSF-073']);

  flip(
    'padding',
    padding.offset + 1,
    'the padding after record 2',
    `BAD_PADDING at ${padding.offset}, the padding's start; salvage loses the padding only and resumes at block 2`,
    ['RSF-061', 'RSF-062'],
    [],
    0,
  );
  flip(
    'first-slice-data',
    first2.offset + 100,
    'the data of record 2\'s FIRST slice',
    `CHECKSUM_MISMATCH at ${first2.offset}; the record is lost, and its LAST slice in block 1 continues no record (BAD_SLICE) inside the same gap`,
    ['RSF-042', 'RSF-043'],
    ['MultiBlockRecord'],
  );
  flip(
    'last-slice-data',
    last2.offset + 100,
    'the data of record 2\'s LAST slice',
    `CHECKSUM_MISMATCH at ${last2.offset}; in salvage the gap starts at the record's FIRST slice (${first2.offset}): a record in progress is lost whole`,
    ['RSF-042'],
    ['MultiBlockRecord'],
  );
  flip(
    'middle-slice-data',
    middle5.offset + 100,
    'the data of record 5\'s MIDDLE slice',
    `CHECKSUM_MISMATCH at ${middle5.offset}; salvage loses record 5 from its FIRST slice (${r[5]!.offset}) through its orphaned LAST slice and returns record 6 with index 6`,
    ['RSF-042', 'RSF-073'],
    ['MultiBlockRecord'],
  );
  flip(
    'middle-slice-magic',
    middle5.offset,
    'the slice magic of record 5\'s MIDDLE slice',
    `BAD_MAGIC at ${middle5.offset}; the rest of block 3 is lost, then the orphaned LAST slice, all in one gap from ${r[5]!.offset}`,
    ['RSF-042'],
    ['MultiBlockRecord'],
  );
  flip(
    'tail-block/last-slice-data',
    last5.offset + 100,
    'the data of record 5\'s LAST slice, in the last block, before record 6',
    `CHECKSUM_MISMATCH at ${last5.offset}: interior, since record 6 after it is intact; open-info parses this block (spec section 10) and fails with it`,
    ['RSF-042', 'RSF-080'],
    ['MultiBlockRecord'],
  );
  flip(
    'tail-block/header-magic',
    block4,
    'the magic of block 4, the last block',
    `BAD_MAGIC at ${block4}: interior, since the slices of block 4 are intact; open-info finds block 3 to be the last with a valid header, and block 4's header is the damage it fails with (spec section 10 steps 2 and 4)`,
    ['RSF-031', 'RSF-080'],
    ['MultiBlockRecord'],
  );

  // The same flips in the last slice: no intact structure at or after them, so they are a torn tail.
  const tailOutcome = `no intact structure at or after it, so the damage is at the tail: records 0 to 5 and TORN_TAIL at ${r6}, in strict and salvage reads alike, and no error`;
  flip('tail/slice-magic', r6, 'the slice magic of record 6, the last slice of the file', tailOutcome, ['RSF-042', 'RSF-074']);
  flip('tail/data-length', r6 + 4, 'the data_length of record 6, the last slice', tailOutcome, ['RSF-042', 'RSF-074']);
  flip('tail/payload', r6 + 8 + 12 + 3, 'the payload of record 6, the last slice (compare damaged/flip/payload)', tailOutcome, ['RSF-042', 'RSF-074']);
  flip('tail/trailer', std.bytes.length - 1, 'the slice_crc of record 6, the last slice', tailOutcome, ['RSF-042', 'RSF-074']);

  // Combinations.
  add(
    'two-gaps',
    `two interior flips, in the payloads of records 1 and 4: salvage reports two gaps, with records 2 and 3 between them, and numbers every record as in the intact file`,
    flipBit(flipBit(std.bytes, r1 + 30, 4), r[4]!.offset + 30, 4),
    ['RSF-042', 'RSF-072', 'RSF-073'],
  );
  add(
    'gap-then-torn-tail',
    `record 4's payload flipped and the file cut inside record 5's MIDDLE slice: strict fails at ${r[4]!.offset}; salvage reports the gap and then the torn tail from the gap's end (${r[4]!.end}), RSF-072 item 3`,
    cut(flipBit(std.bytes, r[4]!.offset + 30, 4), middle5.offset + 100),
    ['RSF-042', 'RSF-072', 'RSF-074'],
    ['MultiBlockRecord'],
  );
  add(
    'gap-then-torn-record',
    `record 1's payload flipped and the file cut inside record 6: strict fails at ${r1}; salvage returns records 0 and 2 to 5, then TORN_TAIL at ${r6}`,
    cut(flipBit(std.bytes, r1 + 30, 4), r6 + 20),
    ['RSF-042', 'RSF-072', 'RSF-074'],
  );
  return cases;
}
