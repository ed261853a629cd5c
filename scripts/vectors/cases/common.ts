/** Files and helpers shared by the case modules. */
import { FileAssembler, type FileParams, type RecordInfo } from '../assembler.js';
import { seededBytes } from '../bytes.js';
import { FILE_ID, type ReaderSpec } from '../spec.js';

export const P512: FileParams = { blockSize: 512, fileId: FILE_ID, baseIndex: 0n };
export const P4096: FileParams = { blockSize: 4096, fileId: FILE_ID, baseIndex: 0n };

export function params(blockSize: number, baseIndex = 0n, fileId = FILE_ID): FileParams {
  return { blockSize, fileId, baseIndex };
}

/** A seeded payload: the seed names the record, so payloads differ from record to record. */
export function payload(seed: number, length: number): Buffer {
  return seededBytes(seed, length);
}

export function reader(
  id: string,
  description: string,
  file: { params: FileParams; bytes: Buffer },
  requirements: readonly string[],
  flags: readonly string[] = [],
  requests?: ReaderSpec['requests'],
  corrections?: ReaderSpec['corrections'],
): ReaderSpec {
  return {
    profile: 'reader',
    id,
    description,
    params: file.params,
    bytes: file.bytes,
    requirements,
    flags,
    ...(requests === undefined ? {} : { requests }),
    ...(corrections === undefined ? {} : { corrections }),
  };
}

/**
 * The standard small file most damage cases start from (block size 512). Its records, in order:
 *
 * | record | payload | slices |
 * |---|---|---|
 * | 0 | 40 | FULL at 64 |
 * | 1 | 100 | FULL at 128 |
 * | 2 | 700 | FIRST at 252 (fills block 0), LAST at 544 (block 1), then 4 bytes of padding |
 * | 3 | 30 | FULL at 1056 (block 2) |
 * | 4 | 50 | FULL at 1110 |
 * | 5 | 1200 | FIRST at 1184, MIDDLE at 1568 (block 3), LAST at 2080 (block 4) |
 * | 6 | 10 | FULL at 2496, the file ends at 2530 |
 */
export interface StandardFile {
  readonly params: FileParams;
  readonly bytes: Buffer;
  readonly records: readonly RecordInfo[];
}

export function standardFile(fileId = FILE_ID): StandardFile {
  const file = new FileAssembler({ blockSize: 512, fileId, baseIndex: 0n });
  const lengths = [40, 100, 700, 30, 50, 1200, 10];
  lengths.forEach((length, i) => file.record(BigInt(i + 1), payload(100 + i, length)));
  const built = { params: file.params, bytes: file.bytes(), records: file.records };
  const r = built.records;
  const expect = (what: string, actual: number, wanted: number): void => {
    if (actual !== wanted) throw new Error(`standard file: ${what} is at ${actual}, not ${wanted}`);
  };
  expect('record 1', r[1]!.offset, 128);
  expect('record 2 LAST', r[2]!.slices[1]!.offset, 544);
  expect('record 3', r[3]!.offset, 1056);
  expect('record 5 MIDDLE', r[5]!.slices[1]!.offset, 1568);
  expect('record 6', r[6]!.offset, 2496);
  expect('end', built.bytes.length, 2530);
  return built;
}
