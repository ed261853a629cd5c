/**
 * Torn tails: the standard file cut at every kind of place (spec section 10 step 7), and the crash
 * shapes of appendix A: a cut prefix, then one run of zero or garbage bytes from a 512-byte boundary.
 */
import { cut, FileAssembler, tear } from '../assembler.js';
import { seededBytes, text } from '../bytes.js';
import type { ReaderSpec } from '../spec.js';
import { P4096, P512, params, payload, reader, standardFile } from './common.js';

const TORN = ['RSF-070', 'RSF-071', 'RSF-074'];

export function tornCases(): ReaderSpec[] {
  const cases: ReaderSpec[] = [];
  const std = standardFile();
  const r = std.records;
  const add = (id: string, description: string, bytes: Buffer, requirements: string[] = [], flags: string[] = []): void => {
    cases.push(reader(`damaged/torn/${id}`, description, { params: std.params, bytes }, [...TORN, ...requirements], ['CrashShape', ...flags]));
  };
  const at = (id: string, length: number, where: string, requirements: string[] = [], flags: string[] = []): void => {
    add(id, `the standard file cut at ${length}, ${where}`, cut(std.bytes, length), requirements, flags);
  };

  const first2 = r[2]!.slices[0]!;
  const last2 = r[2]!.slices[1]!;
  const block1 = r[2]!.blockHeaders[0]!;
  const padding = r[3]!.padding!;
  const block2 = r[3]!.blockHeaders[0]!;
  const middle5 = r[5]!.slices[1]!;
  const block4 = r[5]!.blockHeaders[1]!;
  const last5 = r[5]!.slices[2]!;

  at('in-first-slice-header', 64 + 5, 'inside the first slice header: no whole record, TORN_TAIL at 64', ['RSF-042']);
  at('after-first-slice-header', 64 + 8, 'right after the first slice header: TORN_TAIL at 64', ['RSF-042']);
  at('in-payload', r[1]!.offset + 8 + 12 + 30, 'inside the payload of record 1: TORN_TAIL at the end of record 0', ['RSF-042']);
  at('in-trailer', r[1]!.end - 2, 'inside the trailer of record 1: TORN_TAIL at the end of record 0', ['RSF-042']);
  at('after-first-slice', first2.end, `right after the FIRST slice of record 2, at the end of block 0: the record is cut, TORN_TAIL at ${r[1]!.end}`, ['RSF-051'], ['MultiBlockRecord']);
  at('in-block-header', block1 + 10, 'inside the header of block 1 (RSF-031: fewer than 32 bytes): TORN_TAIL at the end of record 1', ['RSF-031'], ['MultiBlockRecord']);
  at('after-block-header', block1 + 32, 'right after the header of block 1, before the LAST slice of record 2: TORN_TAIL at the end of record 1', ['RSF-031'], ['MultiBlockRecord']);
  at('in-last-slice-header', last2.offset + 4, 'inside the header of the LAST slice of record 2: TORN_TAIL at the end of record 1', ['RSF-042'], ['MultiBlockRecord']);
  at('in-last-slice-data', last2.offset + 200, 'inside the data of the LAST slice of record 2: TORN_TAIL at the end of record 1', ['RSF-042'], ['MultiBlockRecord']);
  at('in-padding', padding.offset + 2, `inside the 4 bytes of padding after record 2: the file ends inside the log, TORN_TAIL at ${padding.offset}`, ['RSF-061']);
  at('after-padding', padding.offset + padding.length, `right after the padding, at the end of block 1: TORN_TAIL at ${padding.offset}`, ['RSF-061']);
  at('in-block-header-2', block2 + 31, 'one byte short of the header of block 2: TORN_TAIL at the end of record 2', ['RSF-031']);
  at('after-block-header-2', block2 + 32, 'right after the header of block 2 (no slice yet): TORN_TAIL at the end of record 2', ['RSF-031']);
  at('in-middle-slice', middle5.offset + 100, 'inside the MIDDLE slice of record 5: TORN_TAIL at the end of record 4; open walks back from block 3 to block 2', ['RSF-042', 'RSF-080'], ['MultiBlockRecord']);
  at('after-middle-slice', middle5.end, 'right after the MIDDLE slice of record 5, at the end of block 3: TORN_TAIL at the end of record 4', ['RSF-051', 'RSF-080'], ['MultiBlockRecord']);
  at('after-block-header-4', block4 + 32, 'right after the header of block 4, whose LAST slice is missing: TORN_TAIL at the end of record 4', ['RSF-031', 'RSF-080'], ['MultiBlockRecord']);
  at('in-last-slice-of-5', last5.offset + 200, 'inside the LAST slice of record 5: TORN_TAIL at the end of record 4', ['RSF-042'], ['MultiBlockRecord']);
  at('after-slice-header-of-6', r[6]!.offset + 8, 'right after the slice header of record 6: TORN_TAIL at the end of record 5', ['RSF-042']);
  at('in-last-trailer', std.bytes.length - 1, 'one byte short of the end: the trailer of record 6 is cut, TORN_TAIL at the end of record 5', ['RSF-042']);

  // A record spanning many blocks, cut: open walks back over all of them (spec section 10 step 5).
  {
    const f = new FileAssembler(P512);
    f.record(1n, text('whole'));
    const big = f.record(2n, payload(310, 4000));
    const bytes = cut(f.bytes(), big.slices[6]!.offset + 50);
    cases.push(
      reader(
        'damaged/torn/long-record-cut',
        'a 4000-byte record over 9 blocks of 512, cut inside its seventh slice: TORN_TAIL at the end of the first record; open walks back over six blocks that hold no record end',
        { params: P512, bytes },
        [...TORN, 'RSF-051', 'RSF-080'],
        ['CrashShape', 'MultiBlockRecord'],
      ),
    );
  }

  // Crash shapes of appendix A: the kept prefix, then a torn run of whole sectors from a 512-byte boundary.
  const crash = (id: string, description: string, p: typeof P512, bytes: Buffer, requirements: string[] = []): void => {
    cases.push(reader(`damaged/crash/${id}`, description, { params: p, bytes }, [...TORN, ...requirements], ['CrashShape']));
  };
  const small = new FileAssembler(P4096);
  for (let i = 0; i < 60; i++) small.record(BigInt(i), payload(400 + i, 100 + ((i * 37) % 150)));
  const smallBytes = small.bytes();
  crash('zero-sectors-in-block', 'records at 4096-byte blocks, with every byte from offset 2560 (a sector boundary inside block 0) to the end zeroed: TORN_TAIL at the end of the last record before 2560', P4096, tear(smallBytes, 2560, 'zero'), ['RSF-042']);
  crash('zero-sectors-from-block-1', 'the same file zeroed from 4096, the start of block 1: its header is all zeros, TORN_TAIL at the end of the last record of block 0', P4096, tear(smallBytes, 4096, 'zero'), ['RSF-031']);
  crash('garbage-sectors', 'the same file with seeded garbage from offset 5632 to the end: TORN_TAIL at the end of the last record before it', P4096, tear(smallBytes, 5632, seededBytes(7, smallBytes.length)), ['RSF-042']);
  crash(
    'zero-sectors-then-cut',
    'the same file cut at 7000 with bytes 6656 to 7000 zeroed (a torn run ends where the kept prefix ends): TORN_TAIL before 6656',
    P4096,
    tear(cut(smallBytes, 7000), 6656, 'zero'),
    ['RSF-042'],
  );
  {
    const f = new FileAssembler(P512);
    f.record(1n, payload(320, 424)); // fills block 0 exactly
    f.record(2n, payload(321, 300));
    f.record(3n, payload(322, 500));
    const bytes = tear(f.bytes(), 512, 'zero');
    crash('zero-from-record-end', 'a record ends exactly at 512, a sector and block boundary, and everything after is zeros: TORN_TAIL at 512', P512, bytes, ['RSF-031']);
    crash('garbage-from-record-end', 'the same with garbage after 512: TORN_TAIL at 512', P512, tear(f.bytes(), 512, seededBytes(8, 2000)), ['RSF-031']);
  }
  {
    const f = new FileAssembler(params(65536));
    for (let i = 0; i < 10; i++) f.record(BigInt(i), payload(330 + i, 9000));
    crash('zero-sectors-large-block', 'records at 65536-byte blocks (one spanning blocks 0 and 1) zeroed from 65024, the last sector of block 0: TORN_TAIL before it', params(65536), tear(f.bytes(), 65024, 'zero'), ['RSF-042']);
  }
  return cases;
}
