/**
 * The encoding of a Raft log entry as one LSFS record (spec §4): the record's type code says what
 * the entry is for, its index is the entry's index, and its payload holds the other fields. The
 * commit marks are not stored (they are in the final data, RLG-032), so an entry's bytes never
 * change after its sync.
 */
import { LsfsError, assert } from '../errors.js';
import type { EntryCode } from './log-api.js';
import type { EntryData } from './values.js';
import { readVlq, vlqLength, writeVlq } from './vlq.js';

/** Record type codes of entries (RLG-030). */
export const ENTRY_TYPE_CODES: Readonly<Record<EntryCode, bigint>> = {
  TERM_START: 1n,
  CLIENT_COMMAND: 2n,
  CLUSTER_CONFIG: 3n,
};

const CODES_BY_TYPE = new Map<bigint, EntryCode>(Object.entries(ENTRY_TYPE_CODES).map(([code, type]) => [type, code as EntryCode]));

/** Bytes before the optional fields: the term (u64) and the flags byte (RLG-031). */
export const ENTRY_FIXED_BYTES = 9;

/** Flag bits of the entry's flags byte (RLG-031). */
export const ENTRY_FLAGS = { hasSerial: 0x01, hasLeaderId: 0x02, hasResult: 0x04, error: 0x08 } as const;
const RESERVED_FLAGS = 0xf0;

/** Bytes of an entry's payload before its command: the fixed fields and the optional ones (RLG-031). */
export function entryFieldsLength(entry: EntryData): number {
  let length = ENTRY_FIXED_BYTES;
  if (entry.serial !== undefined) length += vlqLength(entry.serial);
  if (entry.leaderId !== undefined) {
    const idLength = Buffer.byteLength(entry.leaderId, 'utf8');
    length += vlqLength(idLength) + idLength;
  }
  if (entry.result !== undefined) length += vlqLength(entry.result.length) + entry.result.length;
  return length;
}

/**
 * Writes an entry's payload up to its command (term, flags, serial, leader id, result) at the start
 * of `into`, which must hold {@link entryFieldsLength} bytes (`length`, when the caller has it);
 * the command follows them. Returns that length. Every byte up to it is written: `into` needs no zero-fill.
 */
export function encodeEntryFields(entry: EntryData, into: Buffer, length = entryFieldsLength(entry)): number {
  assert(into.length >= length, 'the buffer holds the entry fields');
  const term = entry.term;
  // term is a safe integer (RLG-012): two u32 halves, no BigInt.
  into.writeUInt32LE(term >>> 0, 0);
  into.writeUInt32LE(Math.floor(term / 0x100000000), 4);
  into[8] =
    (entry.serial === undefined ? 0 : ENTRY_FLAGS.hasSerial) |
    (entry.leaderId === undefined ? 0 : ENTRY_FLAGS.hasLeaderId) |
    (entry.result === undefined ? 0 : ENTRY_FLAGS.hasResult) |
    (entry.error ? ENTRY_FLAGS.error : 0);
  let at = ENTRY_FIXED_BYTES;
  if (entry.serial !== undefined) at = writeVlq(into, at, entry.serial);
  if (entry.leaderId !== undefined) {
    const idLength = Buffer.byteLength(entry.leaderId, 'utf8');
    at = writeVlq(into, at, idLength);
    at += into.write(entry.leaderId, at, 'utf8');
  }
  if (entry.result !== undefined) {
    at = writeVlq(into, at, entry.result.length);
    into.set(entry.result, at);
    at += entry.result.length;
  }
  assert(at === length, 'encoded entry fields fill their planned length');
  return length;
}

/** The record type code and payload of an entry: its fields, then its command. */
export function encodeEntry(entry: EntryData): { typeCode: bigint; payload: Buffer } {
  const fieldsLength = entryFieldsLength(entry);
  const payload = Buffer.allocUnsafe(fieldsLength + entry.command.length);
  encodeEntryFields(entry, payload);
  payload.set(entry.command, fieldsLength);
  return { typeCode: ENTRY_TYPE_CODES[entry.code], payload };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** `length` bytes of `payload` from `start`, as a plain Uint8Array sharing its memory (not a copy). */
function viewOf(payload: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(payload.buffer, payload.byteOffset + start, length);
}

/** A length-prefixed byte string at `offset`: a view into `payload`, not a copy. */
function readBytes(payload: Uint8Array, offset: number, what: string): { bytes: Uint8Array; next: number } {
  const { value: length, next } = readVlq(payload, offset, payload.length, `the ${what} length`);
  if (length > payload.length - next) throw new LsfsError('RECORD_TOO_LARGE', `the ${what} runs past the end of its record`);
  return { bytes: viewOf(payload, next, length), next: next + length };
}

/**
 * Decodes an entry's record (RLG-033); `where` names it in errors. The command and result are views
 * into `payload`, not copies: a caller that hands them out copies them ({@link toLogEntry} does).
 */
export function decodeEntry(typeCode: bigint, payload: Uint8Array, where: string): EntryData {
  try {
    const code = CODES_BY_TYPE.get(typeCode);
    if (code === undefined) throw new LsfsError('UNSUPPORTED_FEATURE', `unknown entry type code ${typeCode}`);
    if (payload.length < ENTRY_FIXED_BYTES) throw new LsfsError('TRUNCATED_HEADER', `an entry payload of ${payload.length} bytes is shorter than ${ENTRY_FIXED_BYTES}`);
    const view = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
    const term64 = view.readBigUInt64LE(0);
    if (term64 > BigInt(Number.MAX_SAFE_INTEGER)) throw new LsfsError('UNSUPPORTED_FEATURE', `entry term ${term64} exceeds 2^53 − 1`);
    const flags = payload[8]!;
    if ((flags & RESERVED_FLAGS) !== 0) throw new LsfsError('UNSUPPORTED_FEATURE', `reserved entry flags 0x${flags.toString(16)} are set`);
    let at = ENTRY_FIXED_BYTES;
    let serial: number | undefined;
    if (flags & ENTRY_FLAGS.hasSerial) ({ value: serial, next: at } = readVlq(payload, at, payload.length, 'the serial'));
    let leaderId: string | undefined;
    if (flags & ENTRY_FLAGS.hasLeaderId) {
      const field = readBytes(payload, at, 'leader id');
      try {
        leaderId = UTF8.decode(field.bytes);
      } catch {
        throw new LsfsError('UNSUPPORTED_FEATURE', 'the leader id is not valid UTF-8');
      }
      at = field.next;
    }
    let result: Uint8Array | undefined;
    if (flags & ENTRY_FLAGS.hasResult) ({ bytes: result, next: at } = readBytes(payload, at, 'result'));
    return { term: Number(term64), command: viewOf(payload, at, payload.length - at), result, error: (flags & ENTRY_FLAGS.error) !== 0, code, serial, leaderId };
  } catch (error) {
    if (error instanceof LsfsError) throw new LsfsError(error.code, `${where}: ${error.message}`, { path: where });
    throw error;
  }
}
