/** fast-check arbitraries shared by the engine tests: record sizes weighted to the slicing edges. */
import fc from 'fast-check';
import {
  BLOCK_HEADER_SIZE,
  FILE_HEADER_SIZE,
  MIN_RECORD_START,
  RECORD_HEADER_SIZE,
  SLICE_OVERHEAD,
} from '../../src/format/constants.js';

export const BLOCK_SIZES = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536] as const;

export const blockSizeArb = fc.constantFrom(...BLOCK_SIZES);

/** Payload lengths that land exactly on, one short of and one past the slicing edges of `blockSize`. */
export function edgeLengths(blockSize: number): number[] {
  const firstBlockRoom = blockSize - FILE_HEADER_SIZE - SLICE_OVERHEAD - RECORD_HEADER_SIZE;
  const blockRoom = blockSize - BLOCK_HEADER_SIZE - SLICE_OVERHEAD - RECORD_HEADER_SIZE;
  const middle = blockSize - BLOCK_HEADER_SIZE - SLICE_OVERHEAD;
  const edges = [0, 1, MIN_RECORD_START, firstBlockRoom, blockRoom, blockRoom + middle, 2 * blockSize];
  return [...new Set(edges.flatMap((edge) => [edge - 1, edge, edge + 1]).filter((n) => n >= 0))];
}

export function payloadLengthArb(blockSize: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 64 }) },
    { weight: 3, arbitrary: fc.constantFrom(...edgeLengths(blockSize)) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: blockSize * 2 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: blockSize * 6 }) },
  );
}

export const typeCodeArb = fc.oneof(fc.constantFrom(0n, 1n, 2n ** 64n - 1n, 2n ** 63n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));

export interface GeneratedRecord {
  readonly typeCode: bigint;
  readonly payload: Buffer;
}

/** A payload whose bytes say where they are, so that a misplaced slice shows in a diff. */
export function patternPayload(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (seed * 31 + i * 7 + (i >> 8)) & 0xff;
  return bytes;
}

export function recordsArb(blockSize: number, maxRecords = 24): fc.Arbitrary<GeneratedRecord[]> {
  return fc.array(fc.tuple(typeCodeArb, payloadLengthArb(blockSize), fc.nat(255)), { maxLength: maxRecords }).map((specs) =>
    specs.map(([typeCode, length, seed]) => ({ typeCode, payload: patternPayload(length, seed) })),
  );
}

/** Test files in a MemoryStorage all live here. */
export const MEMORY_DIR = '/mem';

import { MemoryStorage } from '../../src/io/memory-storage.js';

/** A fresh in-memory disk with the test directory made. */
export async function memoryStorage(): Promise<MemoryStorage> {
  const storage = new MemoryStorage();
  await storage.makeDirectory(MEMORY_DIR);
  return storage;
}
