/**
 * The A/B final-data files (spec §6): two copies of the hard state, each with a generation and a
 * CRC-32C. An update overwrites, in place, the copy that does not hold the current state, with the
 * next generation, then syncs it; the current copy is never touched, so whatever a crash does to
 * the copy being written, a reader finds the old state in the other copy or the new state in this
 * one (RLG-070 to RLG-075).
 */
import { LsfsError, isLsfsError } from '../errors.js';
import { crc32c } from '../format/crc32c.js';
import type { Storage, StorageFile } from '../io/storage.js';
import { decodeHardState, encodeHardState, type HardState } from './hard-state.js';

/** `\x89LRF\r\n\x1a\n`: "LSFS Raft final data", shaped like the LSFS magic (RLG-060). */
export const FINAL_DATA_MAGIC: Readonly<Uint8Array> = Uint8Array.from([0x89, 0x4c, 0x52, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The layout version this implementation writes and reads. */
export const FINAL_DATA_VERSION = 1;
/** Bytes before the payload. */
export const FINAL_DATA_HEADER_BYTES = 24;
/** Bytes of the CRC after the payload. */
export const FINAL_DATA_CRC_BYTES = 4;
/** Largest payload a writer writes and a reader accepts (RLG-060). */
export const MAX_FINAL_DATA_PAYLOAD = 1 << 26;
/** The two copies, slot 0 (A) and slot 1 (B) (RLG-050). */
export const FINAL_DATA_FILE_NAMES = ['final-data.a', 'final-data.b'] as const;

/** A copy's slot: 0 for A, 1 for B. */
export type Slot = 0 | 1;

/** The bytes of a final-data file (RLG-060). */
export function encodeFinalData(slot: Slot, generation: bigint, payload: Uint8Array): Buffer {
  const bytes = Buffer.alloc(FINAL_DATA_HEADER_BYTES + payload.length + FINAL_DATA_CRC_BYTES);
  bytes.set(FINAL_DATA_MAGIC, 0);
  bytes.writeUInt16LE(FINAL_DATA_VERSION, 8);
  bytes[10] = slot;
  bytes.writeUInt32LE(payload.length, 12);
  bytes.writeBigUInt64LE(generation, 16);
  bytes.set(payload, FINAL_DATA_HEADER_BYTES);
  const end = FINAL_DATA_HEADER_BYTES + payload.length;
  bytes.writeUInt32LE(crc32c(bytes.subarray(0, end)), end);
  return bytes;
}

/** What one copy holds. */
export type Copy =
  | { readonly status: 'absent' }
  /** Not a whole, checked copy: a crash may leave one (RLG-071); the other copy decides. */
  | { readonly status: 'torn'; readonly reason: LsfsError }
  | { readonly status: 'valid'; readonly generation: bigint; readonly payload: Buffer };

/**
 * Checks one copy in the order of RLG-071. Failures a crash can cause make the copy `torn`;
 * the others (a right magic with another version, a checked copy in the wrong slot or with
 * reserved bits set) throw, since trusting the other copy then could go back in time.
 */
export function inspectCopy(bytes: Buffer | undefined, slot: Slot, where: string): Copy {
  if (bytes === undefined) return { status: 'absent' };
  const torn = (code: 'TRUNCATED_HEADER' | 'BAD_MAGIC' | 'TORN_TAIL' | 'CHECKSUM_MISMATCH', message: string, offset: number): Copy => ({
    status: 'torn',
    reason: new LsfsError(code, `${where}: ${message}`, { path: where, offset }),
  });
  if (bytes.length < FINAL_DATA_HEADER_BYTES + FINAL_DATA_CRC_BYTES) return torn('TRUNCATED_HEADER', `${bytes.length} bytes are too few for a final-data file`, 0);
  if (!bytes.subarray(0, 8).equals(FINAL_DATA_MAGIC)) return torn('BAD_MAGIC', 'not a final-data file (bad magic)', 0);
  const version = bytes.readUInt16LE(8);
  if (version !== FINAL_DATA_VERSION) throw new LsfsError('UNSUPPORTED_VERSION', `${where}: final-data version ${version} is not ${FINAL_DATA_VERSION}`, { path: where, offset: 8 });
  const length = bytes.readUInt32LE(12);
  const end = FINAL_DATA_HEADER_BYTES + length;
  if (length > MAX_FINAL_DATA_PAYLOAD || end + FINAL_DATA_CRC_BYTES > bytes.length) return torn('TORN_TAIL', `a payload of ${length} bytes does not fit in the file`, 12);
  if (crc32c(bytes.subarray(0, end)) !== bytes.readUInt32LE(end)) return torn('CHECKSUM_MISMATCH', 'the CRC-32C does not match', end);
  if (bytes[10] !== slot) throw new LsfsError('MISPLACED_BLOCK', `${where}: holds the copy of slot ${bytes[10]}, not ${slot}`, { path: where, offset: 10 });
  if (bytes[11] !== 0) throw new LsfsError('UNSUPPORTED_FEATURE', `${where}: the reserved byte is not zero`, { path: where, offset: 11 });
  return { status: 'valid', generation: bytes.readBigUInt64LE(16), payload: bytes.subarray(FINAL_DATA_HEADER_BYTES, end) };
}

/** The copy a reader must use (RLG-072), or undefined when neither file exists. */
export function chooseCopy(copies: readonly [Copy, Copy], where: string): { slot: Slot; generation: bigint; payload: Buffer } | undefined {
  const [a, b] = copies;
  if (a.status === 'valid' && b.status === 'valid' && a.generation === b.generation) {
    throw new LsfsError('CHECKSUM_MISMATCH', `${where}: both final-data copies claim generation ${a.generation}`, { path: where });
  }
  let best: { slot: Slot; generation: bigint; payload: Buffer } | undefined;
  copies.forEach((copy, slot) => {
    if (copy.status === 'valid' && (best === undefined || copy.generation > best.generation)) best = { slot: slot as Slot, generation: copy.generation, payload: copy.payload };
  });
  if (best !== undefined) return best;
  if (a.status === 'absent' && b.status === 'absent') return undefined;
  // Both exist or one is torn and the other missing: the update protocol never leaves that.
  throw (a.status === 'torn' ? a.reason : (b as { reason: LsfsError }).reason);
}

function isMissing(error: unknown): boolean {
  return isLsfsError(error, 'IO_ERROR') && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Reads a whole file, or undefined when it does not exist; the open handle is kept for writing. */
async function readWhole(storage: Storage, path: string): Promise<{ file: StorageFile; bytes: Buffer } | undefined> {
  let file: StorageFile;
  try {
    file = await storage.open(path, 'write');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  try {
    // Bytes past the largest copy are slack: never read more, whatever the file's size.
    const limit = FINAL_DATA_HEADER_BYTES + MAX_FINAL_DATA_PAYLOAD + FINAL_DATA_CRC_BYTES;
    return { file, bytes: await file.read(0, Math.min(limit, await file.size())) };
  } catch (error) {
    await file.close().catch(() => undefined);
    throw error;
  }
}

/** The pair of final-data files of one log directory, open for updates. */
export class FinalData {
  private constructor(
    private readonly storage: Storage,
    private readonly paths: readonly [string, string],
    private readonly files: [StorageFile | undefined, StorageFile | undefined],
    private readonly lengths: [number, number],
    /** The slot holding the current state. */
    private current: Slot,
    private generation: bigint,
  ) {}

  /** The paths of the two copies in `directory`. */
  static pathsIn(directory: string): [string, string] {
    return [`${directory}/${FINAL_DATA_FILE_NAMES[0]}`, `${directory}/${FINAL_DATA_FILE_NAMES[1]}`];
  }

  /** Reads both copies and returns the current state, or undefined when neither file exists. */
  static async load(storage: Storage, directory: string): Promise<{ finalData: FinalData; state: HardState } | undefined> {
    const paths = FinalData.pathsIn(directory);
    const read = [await readWhole(storage, paths[0]), await readWhole(storage, paths[1])] as const;
    try {
      const chosen = chooseCopy([inspectCopy(read[0]?.bytes, 0, paths[0]), inspectCopy(read[1]?.bytes, 1, paths[1])], directory);
      if (chosen === undefined) return undefined;
      const state = decodeHardState(chosen.payload, paths[chosen.slot]);
      const files: [StorageFile | undefined, StorageFile | undefined] = [read[0]?.file, read[1]?.file];
      const lengths: [number, number] = [read[0]?.bytes.length ?? 0, read[1]?.bytes.length ?? 0];
      return { finalData: new FinalData(storage, paths, files, lengths, chosen.slot, chosen.generation), state };
    } catch (error) {
      await Promise.all(read.map((copy) => copy?.file.close().catch(() => undefined)));
      throw error;
    }
  }

  /** Creates copy A of a new log holding `state`, atomically (RLG-074); copy B appears on the first update. */
  static async create(storage: Storage, directory: string, state: HardState): Promise<FinalData> {
    const paths = FinalData.pathsIn(directory);
    const bytes = encodeFinalData(0, 1n, checkedPayload(state));
    await storage.createAtomically(paths[0], bytes);
    const file = await storage.open(paths[0], 'write');
    return new FinalData(storage, paths, [file, undefined], [bytes.length, 0], 0, 1n);
  }

  /** Bytes of both files. */
  get bytesOnDisk(): number {
    return this.lengths[0] + this.lengths[1];
  }

  /** The payload holding `state`; `INVALID_ARGUMENT` (before any I/O) when it is too large. */
  prepare(state: HardState): Buffer {
    return checkedPayload(state);
  }

  /** Makes the prepared `payload` the current state, durably (RLG-070); the caller serialises updates. */
  async write(payload: Buffer): Promise<void> {
    const slot: Slot = this.current === 0 ? 1 : 0;
    const generation = this.generation + 1n;
    const bytes = encodeFinalData(slot, generation, payload);
    const file = this.files[slot];
    if (file === undefined) {
      await this.storage.createAtomically(this.paths[slot], bytes);
      this.files[slot] = await this.storage.open(this.paths[slot], 'write');
    } else {
      // Bytes past the new copy's end (from a longer earlier one) stay: the length field ignores them.
      await file.write(bytes, 0);
      await file.datasync();
    }
    this.lengths[slot] = Math.max(this.lengths[slot], bytes.length);
    this.current = slot;
    this.generation = generation;
  }

  async close(): Promise<void> {
    const files = this.files.splice(0, 2, undefined, undefined);
    await Promise.all(files.map((file) => file?.close()));
  }
}

function checkedPayload(state: HardState): Buffer {
  const payload = encodeHardState(state);
  if (payload.length > MAX_FINAL_DATA_PAYLOAD) {
    throw new LsfsError('INVALID_ARGUMENT', `the hard state needs ${payload.length} bytes, more than the ${MAX_FINAL_DATA_PAYLOAD} a final-data file holds`);
  }
  return payload;
}
