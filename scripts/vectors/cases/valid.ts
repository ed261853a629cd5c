/** Valid files: every edge of the canonical layout, block sizes, base indexes, many and large records. */
import { FileAssembler, type FileParams } from '../assembler.js';
import { text, U64_MAX } from '../bytes.js';
import type { ReaderSpec } from '../spec.js';
import { P4096, P512, params, payload, reader } from './common.js';

const LAYOUT = ['RSF-001', 'RSF-010', 'RSF-020', 'RSF-030', 'RSF-040', 'RSF-041', 'RSF-043', 'RSF-050'];

function build(p: FileParams, records: readonly [bigint, Buffer][]): { params: FileParams; bytes: Buffer; file: FileAssembler } {
  const file = new FileAssembler(p);
  for (const [type, data] of records) file.record(type, data);
  return { params: p, bytes: file.bytes(), file };
}

function blocks(file: { params: FileParams; bytes: Buffer }): number {
  return Math.ceil(file.bytes.length / file.params.blockSize);
}

/** Asserts the layout fact a slicing-edge case is about, so that a change of the standard sizes cannot silently lose it. */
function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`valid case layout: ${what}`);
}

export function validCases(): ReaderSpec[] {
  const cases: ReaderSpec[] = [];
  const add = (id: string, description: string, file: { params: FileParams; bytes: Buffer }, requirements: string[], flags: string[] = [], requests?: ReaderSpec['requests']): void => {
    cases.push(reader(`valid/${id}`, description, file, [...LAYOUT, ...requirements], flags, requests));
  };

  add('empty', 'a file of just its header holds no record: firstIndex and lastIndex are null and every lookup is INDEX_OUT_OF_RANGE', build(P4096, []), ['RSF-022']);
  add('one-record', 'one small record in one FULL slice right after the file header', build(P4096, [[1n, text('hello, LSFS')]]), ['RSF-022']);
  add(
    'zero-length-payloads',
    'twenty records with empty payloads (24-byte FULL slices): block 0 holds 18, then 16 bytes of padding and block 1',
    build(P512, Array.from({ length: 20 }, (_, i) => [BigInt(i), Buffer.alloc(0)] as [bigint, Buffer])),
    ['RSF-061'],
  );
  add(
    'type-codes',
    'type codes 0, 1, 2^63 and the largest, 2^64 - 1: every u64 is a valid type code and must come back as the same decimal string',
    build(P4096, [
      [0n, text('type zero')],
      [1n, text('type one')],
      [2n ** 63n, text('type 2^63')],
      [U64_MAX, text('the largest type code')],
    ]),
    [],
  );

  // Slicing edges, block size 512: block 0's data area is 448 bytes (64..512), a FULL slice of payload n takes 24 + n.
  {
    const f = build(P512, [[1n, payload(1, 424)], [2n, text('next block')]]);
    check(f.file.records[0]!.end === 512 && f.file.records[1]!.padding === undefined, 'exact fill');
    add('edge/full-fills-block', 'a FULL slice that exactly fills what is left of block 0 (payload 424 at 512-byte blocks): the next record starts block 1 with no padding', f, ['RSF-061'], ['SlicingEdge']);
  }
  {
    const f = build(P512, [[1n, payload(2, 423)], [2n, text('after 1 byte of padding')]]);
    check(f.file.records[1]!.padding?.length === 1, 'one byte short');
    add('edge/full-one-byte-short', 'a FULL slice one byte short of the block end: 1 byte of zero padding, then block 1', f, ['RSF-061'], ['SlicingEdge']);
  }
  {
    const f = build(P512, [[1n, payload(3, 425)], [2n, text('after a 1-byte LAST')]]);
    check(f.file.records[0]!.slices.length === 2 && f.file.records[0]!.slices[1]!.dataLength === 1, 'one byte over');
    add('edge/one-byte-over', 'a payload one byte too long for a FULL slice: a FIRST slice that fills block 0 and a LAST slice of 1 byte in block 1', f, ['RSF-061'], ['SlicingEdge', 'MultiBlockRecord']);
  }
  {
    const f = build(P512, [[1n, payload(4, 400)], [2n, Buffer.alloc(0)], [3n, text('block 1')]]);
    check(f.file.records[1]!.offset === 488 && f.file.records[1]!.end === 512, '24 left, full');
    add('edge/24-left-empty-record', 'exactly 24 bytes left: a record with an empty payload still starts there and its 24-byte FULL slice fills the block', f, ['RSF-061'], ['SlicingEdge']);
  }
  {
    const f = build(P512, [[1n, payload(5, 400)], [2n, text('five!')], [3n, text('after')]]);
    check(f.file.records[1]!.slices[0]!.kind === 2 && f.file.records[1]!.slices[0]!.dataLength === 12, '24 left, first');
    add('edge/24-left-first-holds-header-only', 'exactly 24 bytes left and a 5-byte payload: a FIRST slice of 12 data bytes holding only the record header, the payload in a LAST slice', f, ['RSF-061'], ['SlicingEdge', 'MultiBlockRecord']);
  }
  {
    const f = build(P512, [[1n, payload(6, 401)], [2n, Buffer.alloc(0)]]);
    check(f.file.records[1]!.padding?.length === 23, '23 left');
    add('edge/23-left-padding', 'exactly 23 bytes left: too few to start a record (MIN_RECORD_START is 24), so 23 bytes of zero padding, even for an empty payload', f, ['RSF-061'], ['SlicingEdge']);
  }
  {
    const f = build(P512, [[1n, payload(7, 408)], [2n, text('x')]]);
    check(f.file.records[1]!.padding?.length === 16, '16 left');
    add('edge/header-would-straddle', '16 bytes left: a slice header fits but the record header would straddle the block end, so the writer pads', f, ['RSF-061'], ['SlicingEdge']);
  }
  {
    const f = build(P512, [[1n, payload(8, 892)], [2n, text('block 2')]]);
    const last = f.file.records[0]!.slices[1]!;
    check(last.kind === 4 && last.end === 1024, 'LAST fills block 1');
    add('edge/last-fills-block', 'a LAST slice of 468 bytes (a MIDDLE slice\'s capacity) that exactly fills block 1: LAST, not MIDDLE, since nothing more follows', f, ['RSF-061'], ['SlicingEdge', 'MultiBlockRecord']);
  }
  {
    const f = build(P512, [[1n, payload(9, 893)], [2n, text('after')]]);
    const slices = f.file.records[0]!.slices;
    check(slices.length === 3 && slices[1]!.kind === 3 && slices[2]!.dataLength === 1, 'MIDDLE then 1-byte LAST');
    add('edge/middle-then-1-byte-last', 'one byte more than FIRST plus a full block: a MIDDLE slice that fills block 1 and a LAST slice of 1 byte in block 2', f, [], ['SlicingEdge', 'MultiBlockRecord']);
  }
  {
    const f = build(P512, [[1n, payload(10, 424)], [2n, payload(11, 1000)], [3n, text('tail')]]);
    check(f.file.records[1]!.offset === 544 && f.file.records[1]!.slices[0]!.end === 1024, 'FIRST at data start');
    add('edge/first-at-block-start', 'a FIRST slice at the start of block 1\'s data area, filling the whole block', f, [], ['SlicingEdge', 'MultiBlockRecord']);
  }

  add(
    'many-blocks',
    'one record of 10000 bytes spanning 22 blocks of 512 bytes (a FIRST, 20 MIDDLE and a LAST slice), between two small records',
    build(P512, [[1n, text('before')], [2n, payload(12, 10000)], [3n, text('after')]]),
    ['RSF-032'],
    ['MultiBlockRecord', 'LargePayload'],
  );

  {
    const records: [bigint, Buffer][] = [];
    for (let i = 0; i < 3000; i++) records.push([BigInt(i % 7), payload(10000 + i, i % 17)]);
    const f = build(P4096, records);
    const lookups = [0n, 1n, 127n, 128n, 999n, 1000n, 1337n, 2047n, 2048n, 2500n, 2998n, 2999n, 3000n, 10000n];
    add(
      'many-small-records',
      `3000 records of 0 to 16 bytes in ${blocks(f)} blocks of 4096: lookups at many indexes exercise the binary search of block headers (spec section 11)`,
      f,
      ['RSF-032', 'RSF-061'],
      ['ManyRecords'],
      { lookups, from: [2990n, 2999n, 3000n].map((from) => ({ from, mode: 'strict' as const })) },
    );
  }

  for (let log2 = 9; log2 <= 16; log2++) {
    const blockSize = 2 ** log2;
    const f = build(params(blockSize), [
      [1n, text(`block size ${blockSize}`)],
      [2n, payload(log2, Math.floor(blockSize * 2.5))],
      [3n, Buffer.alloc(0)],
      [4n, payload(log2 + 100, blockSize - 100)],
    ]);
    add(
      `block-size/${blockSize}`,
      `block size ${blockSize} (block_size_log2 ${log2}): a small record, one spanning three blocks, an empty one and one that needs a new block`,
      f,
      ['RSF-032', 'RSF-061'],
      ['MultiBlockRecord', ...(blockSize * 2.5 > 4096 ? ['LargePayload'] : [])],
    );
  }

  add(
    'base-index/1000',
    'base index 1000: the first record is 1000, block headers count from it, and lookups below it are INDEX_OUT_OF_RANGE',
    build(params(512, 1000n), [[1n, text('a')], [2n, payload(20, 900)], [3n, text('c')], [4n, payload(21, 600)], [5n, text('e')]]),
    ['RSF-032', 'RSF-073'],
    ['BaseIndex', 'MultiBlockRecord'],
  );
  add(
    'base-index/2-pow-63',
    'base index 2^63: indexes above 2^53 must survive as decimal strings, in block headers and in lookups',
    build(params(512, 2n ** 63n), [[1n, payload(22, 600)], [2n, text('b')], [3n, payload(23, 700)]]),
    ['RSF-032'],
    ['BaseIndex', 'MultiBlockRecord'],
  );
  add(
    'base-index/largest-record-index',
    'base index 2^64 - 2 = MAX_RECORD_INDEX with one record: the largest index a record may have',
    build(params(512, 2n ** 64n - 2n), [[7n, text('the last possible record')]]),
    ['RSF-003', 'RSF-022'],
    ['BaseIndex', 'IndexLimit'],
    { lookups: [2n ** 64n - 3n, 2n ** 64n - 2n, U64_MAX] },
  );
  add(
    'base-index/no-room',
    'base index 2^64 - 1: a readable file that can hold no record (RSF-022); it is empty and lookups of 2^64 - 1 are INDEX_OUT_OF_RANGE',
    build(params(512, U64_MAX), []),
    ['RSF-003', 'RSF-022'],
    ['BaseIndex', 'IndexLimit'],
    { lookups: [2n ** 64n - 2n, U64_MAX] },
  );

  add(
    'hex-limit',
    'payloads of 4095, 4096 and 4097 bytes: record objects carry hex up to 4096 bytes and only sha256 and length above (PROTOCOL.md section 4.2)',
    build(P4096, [[1n, payload(30, 4095)], [2n, payload(31, 4096)], [3n, payload(32, 4097)]]),
    ['RSF-032'],
    ['MultiBlockRecord'],
  );
  {
    const f = build(P4096, [[9n, payload(40, 3 * 1024 * 1024)], [10n, text('after the large one')]]);
    add(
      'large-payload',
      `a 3 MiB pseudo-random payload spanning ${blocks(f)} blocks of 4096, then a small record: compared by length and sha256`,
      f,
      ['RSF-005', 'RSF-032'],
      ['MultiBlockRecord'],
    );
  }
  return cases;
}
