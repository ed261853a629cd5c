/** Writer cases: operation scripts and the exact bytes a conforming writer produces, or its refusal. */
import { text, U64_MAX } from '../bytes.js';
import { FILE_ID, type WriteOp, type WriterSpec } from '../spec.js';
import { params, payload } from './common.js';

const MAX_PAYLOAD = 2 ** 30;

function writer(id: string, description: string, p: ReturnType<typeof params>, operations: WriteOp[], requirements: string[] = [], flags: string[] = []): WriterSpec {
  return { profile: 'writer', id: `writer/${id}`, description, params: p, operations, requirements, flags };
}

const rec = (type: bigint, data: Buffer): WriteOp => ({ type, payload: data });
const rep = (type: bigint, byte: number, length: number): WriteOp => ({ type, repeat: { byte, length } });
const sync: WriteOp = { sync: true };

export function writerCases(): WriterSpec[] {
  const cases: WriterSpec[] = [];
  const add = (...args: Parameters<typeof writer>): void => {
    cases.push(writer(...args));
  };

  add('empty', 'no operations: the file is exactly its 64-byte header, with the given block size, file id and base index', params(4096), []);
  add('one-record', 'one small record: header, then one FULL slice', params(4096), [rec(1n, text('hello, LSFS'))]);

  // The same records with and without syncs: RSF-060 says the bytes are the same.
  const mixed: WriteOp[] = [
    rec(1n, text('first')),
    rec(2n, payload(200, 300)),
    rec(3n, Buffer.alloc(0)),
    rec(4n, payload(201, 1500)),
    rec(5n, payload(202, 401)),
    rec(6n, text('last')),
  ];
  add('records-without-syncs', 'six records of mixed sizes at 512-byte blocks, no sync: the reference bytes for writer/records-with-syncs', params(512), mixed);
  add(
    'records-with-syncs',
    'the records of writer/records-without-syncs with a sync after each, and two syncs in a row: a sync adds no byte, so the file is the same',
    params(512),
    [sync, ...mixed.flatMap((op) => [op, sync]), sync],
    ['RSF-060'],
  );

  add('zero-length-payloads', 'empty payloads: 24-byte FULL slices, padding and a new block when fewer than 24 bytes are left', params(512), Array.from({ length: 20 }, (_, i) => rec(BigInt(i), Buffer.alloc(0))), ['RSF-061']);
  add('type-codes', 'type codes 0 and 2^64 - 1 written as given', params(4096), [rec(0n, text('zero')), rec(U64_MAX, text('max'))]);

  add(
    'slicing-edges',
    'one script through the slicing edges at 512-byte blocks: exact fill, 1 byte short, 1 byte over, 24 and 23 bytes left, a LAST that fills its block, MIDDLE then a 1-byte LAST',
    params(512),
    [
      rec(1n, payload(210, 424)), // fills block 0 exactly
      rec(2n, payload(211, 455)), // block 1: 32 + 24 + 455 = 511, 1 byte short
      rec(3n, payload(212, 457)), // block 2 (after 1 byte of padding): FIRST 468 bytes fills it, LAST of 1 byte in block 3
      rec(4n, payload(213, 419)), // block 3: 32 + 13 + 24 + 419 = 488, 24 bytes left
      rec(5n, Buffer.alloc(0)), // a 24-byte FULL slice fills block 3
      rec(6n, payload(214, 433)), // block 4: 32 + 24 + 433 = 489, 23 bytes left
      rec(7n, payload(215, 924)), // padding 23, block 5: FIRST 468, LAST 468 fills block 6
      rec(8n, payload(216, 925)), // block 7: FIRST 468, MIDDLE 468 in block 8, LAST 1 in block 9
      rec(9n, text('end')),
    ],
    ['RSF-061'],
  );

  for (let log2 = 9; log2 <= 16; log2++) {
    const blockSize = 2 ** log2;
    add(
      `block-size/${blockSize}`,
      `block size ${blockSize}: a small record, a repeated-byte record spanning three blocks, an empty record`,
      params(blockSize),
      [rec(1n, text(`block size ${blockSize}`)), rep(2n, 0x5a, Math.floor(blockSize * 2.5)), rec(3n, Buffer.alloc(0))],
      ['RSF-001', 'RSF-032'],
    );
  }

  add(
    'large-repeat',
    'a 2 MiB payload given by the repeat form (one byte repeated), then a small record: the writer should build it piecewise',
    params(4096),
    [rep(7n, 0xa5, 2 * 1024 * 1024), sync, rec(8n, text('after'))],
    ['RSF-032'],
  );
  add('base-index/1000', 'base index 1000 in the file header and in the block headers of a record spanning blocks', params(512, 1000n), [rec(1n, text('a')), rec(2n, payload(220, 1000)), rec(3n, text('c'))], ['RSF-032']);
  add(
    'base-index/largest-record-index',
    'base index 2^64 - 2: one record at the largest index is accepted',
    params(512, 2n ** 64n - 2n),
    [rec(1n, text('the last possible record'))],
    ['RSF-003', 'RSF-004'],
  );

  // Refusals (RSF-004): the writer writes nothing for the refused operation and stops there.
  add(
    'refuse/record-too-large',
    'a payload of 2^30 + 1 bytes (repeat form) after one good record: RECORD_TOO_LARGE at operation 1; the file keeps the first record',
    params(4096),
    [rec(1n, text('kept')), rep(2n, 0x00, MAX_PAYLOAD + 1), rec(3n, text('never written'))],
    ['RSF-002', 'RSF-004'],
  );
  add(
    'refuse/record-too-large-first',
    'a payload of 4294967295 bytes as the first operation: RECORD_TOO_LARGE at operation 0; the file is just its header',
    params(4096),
    [rep(2n, 0xff, 2 ** 32 - 1)],
    ['RSF-002', 'RSF-004'],
  );
  add(
    'refuse/index-overflow',
    'base index 2^64 - 2 and two records: the second would get index 2^64 - 1, beyond MAX_RECORD_INDEX: INDEX_OVERFLOW at operation 1',
    params(512, 2n ** 64n - 2n),
    [rec(1n, text('fits')), rec(2n, text('overflows'))],
    ['RSF-003', 'RSF-004'],
    ['IndexLimit'],
  );
  add(
    'refuse/index-overflow-after-sync',
    'as writer/refuse/index-overflow with a sync in between: INDEX_OVERFLOW at operation 2',
    params(512, 2n ** 64n - 2n),
    [rec(1n, text('fits')), sync, rec(2n, text('overflows'))],
    ['RSF-003', 'RSF-004'],
    ['IndexLimit'],
  );
  add(
    'refuse/base-index-no-room',
    'base index 2^64 - 1: a file that could hold no record; the writer refuses to create it with INVALID_ARGUMENT (spec RSF-022) and creates no file',
    params(512, U64_MAX),
    [],
    ['RSF-003', 'RSF-022'],
    ['IndexLimit'],
  );
  for (const blockSize of [0, 256, 1000, 4095, 131072]) {
    add(
      `refuse/block-size-${blockSize}`,
      `block size ${blockSize} is not a power of two from 512 to 65536: the writer refuses with INVALID_ARGUMENT (spec section 12) and creates no file`,
      { blockSize, fileId: FILE_ID, baseIndex: 0n },
      [rec(1n, text('never written'))],
      ['RSF-001'],
      ['EarlierDraft'],
    );
  }
  return cases;
}
