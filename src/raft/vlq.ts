/**
 * Unsigned LEB128 variable-length integers (spec RLG-002): 7 bits per byte, least significant
 * group first, high bit set on every byte but the last. Values are JavaScript numbers up to
 * 2^53 − 1, so the arithmetic avoids 32-bit bit operators.
 */
import { LsfsError } from '../errors.js';

/** Most bytes of a u64 in LEB128. */
export const MAX_VLQ_BYTES = 10;

/** Bytes `value` takes in LEB128. */
export function vlqLength(value: number): number {
  let length = 1;
  for (let rest = Math.floor(value / 128); rest > 0; rest = Math.floor(rest / 128)) length++;
  return length;
}

/** Writes `value` at `offset`; returns the offset after it. */
export function writeVlq(target: Uint8Array, offset: number, value: number): number {
  let rest = value;
  let at = offset;
  while (rest >= 128) {
    target[at++] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  target[at++] = rest;
  return at;
}

/**
 * Reads a LEB128 value at `offset` within `bytes[0, end)`. Rejects one that runs past `end`
 * (`RECORD_TOO_LARGE`), one that is not in its shortest form or exceeds 2^53 − 1
 * (`UNSUPPORTED_FEATURE`): RLG-002 makes the encoding canonical.
 */
export function readVlq(bytes: Uint8Array, offset: number, end: number, what: string): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let at = offset; at < end && at - offset < MAX_VLQ_BYTES; at++) {
    const byte = bytes[at]!;
    value += (byte & 0x7f) * scale;
    if (value > Number.MAX_SAFE_INTEGER) throw new LsfsError('UNSUPPORTED_FEATURE', `${what} exceeds 2^53 − 1`);
    if ((byte & 0x80) === 0) {
      if (byte === 0 && at > offset) throw new LsfsError('UNSUPPORTED_FEATURE', `${what} is not in its shortest LEB128 form`);
      return { value, next: at + 1 };
    }
    scale *= 128;
  }
  if (offset + MAX_VLQ_BYTES <= end) throw new LsfsError('UNSUPPORTED_FEATURE', `${what} is longer than ${MAX_VLQ_BYTES} bytes`);
  throw new LsfsError('RECORD_TOO_LARGE', `${what} runs past the end of its record`);
}
