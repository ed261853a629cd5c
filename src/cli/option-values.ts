/**
 * Parsers for command-line values. Numbers that reach the file format are parsed strictly: a
 * typo must fail (INVALID_ARGUMENT), never become some other valid value.
 */
import { LsfsError } from '../errors.js';
import { isValidBlockSize } from '../format/constants.js';

const U64_MAX = 2n ** 64n - 1n;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** A u64 written in decimal, without sign, leading zeros or spaces. */
export function parseU64(text: string, what: string): bigint {
  if (!DECIMAL.test(text)) throw new LsfsError('INVALID_ARGUMENT', `${what} must be a decimal integer from 0 to ${U64_MAX}, got ${quote(text)}`);
  const value = BigInt(text);
  if (value > U64_MAX) throw new LsfsError('INVALID_ARGUMENT', `${what} ${text} exceeds ${U64_MAX}`);
  return value;
}

/** A block size: decimal, and one the format allows (a power of two from 512 to 65536). */
export function parseBlockSize(text: string): number {
  const value = parseU64(text, 'block size');
  // Checked here rather than left to the engine, whose BAD_BLOCK_SIZE is a damage code (exit 1).
  if (value > 65536n || !isValidBlockSize(Number(value))) {
    throw new LsfsError('INVALID_ARGUMENT', `block size must be a power of two from 512 to 65536, got ${text}`);
  }
  return Number(value);
}

/** A file id: exactly 16 hex digits, the u64 written most significant digit first (as `inspect` prints it). */
export function parseFileId(text: string): bigint {
  if (!/^[0-9a-fA-F]{16}$/.test(text)) throw new LsfsError('INVALID_ARGUMENT', `file id must be 16 hex digits, got ${quote(text)}`);
  return BigInt(`0x${text}`);
}

/** The form `inspect` prints and `--file-id` accepts. */
export function formatFileId(fileId: bigint): string {
  return fileId.toString(16).padStart(16, '0');
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
