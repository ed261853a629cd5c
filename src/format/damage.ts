/** A description of damage found in a file's bytes (spec §9): what failed, where, and how far it reaches. */
import type { ErrorCode } from '../errors.js';
import { LsfsError } from '../errors.js';

export interface Damage {
  readonly code: ErrorCode;
  /** File offset of the structure in which the damage was found. */
  readonly offset: number;
  /** Bytes from `offset` that the damage makes unreadable (at least 1). */
  readonly length: number;
  readonly message: string;
}

export function damage(code: ErrorCode, offset: number, length: number, message: string): Damage {
  return { code, offset, length: Math.max(1, length), message };
}

export function damageToError(found: Damage, path?: string): LsfsError {
  return new LsfsError(found.code, `${found.message} at offset ${found.offset}`, {
    offset: found.offset,
    ...(path === undefined ? {} : { path }),
  });
}
