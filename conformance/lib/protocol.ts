/**
 * The message shapes and value encodings of conformance/PROTOCOL.md, shared by the runner and the
 * TypeScript testees. Nothing here imports the engine: a testee built on another reader (Kaitai)
 * uses it too.
 */
import { createHash } from 'node:crypto';

/** Protocol version spoken by this runner and these testees (PROTOCOL.md §4.1). */
export const PROTOCOL_VERSION = 1;

/** Records whose payload is at most this long carry `hex` (PROTOCOL.md §4.2). */
export const HEX_LIMIT = 4096;

export const U64_MAX = 2n ** 64n - 1n;

/** Protocol-only error codes (PROTOCOL.md §2.1), besides the codes of spec §12. */
export const PROTOCOL_ERROR_CODES = ['UNSUPPORTED_OP', 'INTERNAL_ERROR'] as const;

/** A record object as it travels in responses and in vector expectations. */
export interface RecordJson {
  index: string;
  type: string;
  length: number;
  sha256: string;
  hex?: string;
}

/** `tail` of a read or open-info response. */
export interface TailJson {
  code: string;
  offset: number;
}

/** `error` inside a successful read response, or the error of a failed request. */
export interface ErrorJson {
  code: string;
  offset: number | null;
  message?: string;
  operation?: number;
}

export interface GapJson {
  code: string;
  offset: number;
  length: number;
}

/** The body of a successful `read` response. */
export interface ReadResult {
  records: RecordJson[];
  tail: TailJson | null;
  gaps: GapJson[];
  error: { code: string; offset: number | null } | null;
}

/** The body of a successful `open-info` response. */
export interface OpenInfoResult {
  blockSize: number;
  fileId: string;
  baseIndex: string;
  firstIndex: string | null;
  lastIndex: string | null;
  tail: TailJson | null;
}

/** One operation of a `write` request (PROTOCOL.md §4.5). */
export type WriteOperation =
  | { type: string; hex: string }
  | { type: string; repeat: { byte: string; length: number } }
  | { sync: true };

const U64_PATTERN = /^(?:0|[1-9][0-9]*)$/;
const FILE_ID_PATTERN = /^[0-9a-f]{16}$/;
const HEX_PATTERN = /^(?:[0-9a-f]{2})*$/;

/** True for a canonical u64 string (decimal, no sign, no leading zeros, at most 2^64 − 1). */
export function isU64String(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 20 && U64_PATTERN.test(value) && BigInt(value) <= U64_MAX;
}

export function isFileIdString(value: unknown): value is string {
  return typeof value === 'string' && FILE_ID_PATTERN.test(value);
}

export function isHexString(value: unknown): value is string {
  return typeof value === 'string' && HEX_PATTERN.test(value);
}

export function isSha256String(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/** A non-negative JSON integer that is exact in a double (offsets, lengths, sizes). */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function fileIdString(fileId: bigint): string {
  return fileId.toString(16).padStart(16, '0');
}

/** The protocol's record object for a payload. */
export function recordJson(index: bigint, typeCode: bigint, payload: Uint8Array): RecordJson {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const record: RecordJson = {
    index: index.toString(),
    type: typeCode.toString(),
    length: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  if (bytes.length <= HEX_LIMIT) record.hex = bytes.toString('hex');
  return record;
}
