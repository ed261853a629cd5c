/**
 * Typed errors (spec §12). Every failure the engine reports is an {@link LsfsError} with a stable
 * `code`; where a place in a file is concerned it also carries the file `offset`.
 */

/** Codes that describe damage found in a file's bytes (spec §12), in the spec's table order. */
const DAMAGE_CODE_LIST = [
  'TRUNCATED_HEADER',
  'BAD_MAGIC',
  'UNSUPPORTED_VERSION',
  'UNSUPPORTED_FEATURE',
  'BAD_BLOCK_SIZE',
  'CHECKSUM_MISMATCH',
  'FOREIGN_BLOCK',
  'MISPLACED_BLOCK',
  'INDEX_OUT_OF_ORDER',
  'BAD_SLICE',
  'BAD_PADDING',
  'RECORD_TOO_LARGE',
  'TORN_TAIL',
  'INDEX_OVERFLOW',
] as const;

/** Every error code of spec §12: damage codes, then misuse and operating-system failures. */
export const ERROR_CODES = [...DAMAGE_CODE_LIST, 'INDEX_OUT_OF_RANGE', 'LOCKED', 'CLOSED', 'INVALID_ARGUMENT', 'IO_ERROR'] as const;

/** One of the error codes of spec §12. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes that describe damage found in a file's bytes (as opposed to misuse or I/O failure). */
export const DAMAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(DAMAGE_CODE_LIST);

/** The error type of the whole library: a stable `code`, a message and, for damage, an offset. */
export class LsfsError extends Error {
  /** Always `LsfsError`. */
  override readonly name = 'LsfsError';
  /** Stable machine-readable code (spec §12). */
  readonly code: ErrorCode;
  /** File offset of the structure concerned, when the error is about a place in a file. */
  readonly offset: number | undefined;
  /** Path of the file concerned, when known. */
  readonly path: string | undefined;

  constructor(code: ErrorCode, message: string, options: { offset?: number; path?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.offset = options.offset;
    this.path = options.path;
  }
}

/** True when `error` is an {@link LsfsError}, optionally with the given code. */
export function isLsfsError(error: unknown, code?: ErrorCode): error is LsfsError {
  return error instanceof LsfsError && (code === undefined || error.code === code);
}

/** Wraps an operating-system error as `IO_ERROR`, keeping the original as `cause`. */
export function ioError(operation: string, path: string, cause: unknown): LsfsError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new LsfsError('IO_ERROR', `${operation} ${path}: ${detail}`, { path, cause });
}

/** Throws an internal-invariant failure: a bug in this library, never a property of the input. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`LSFS internal assertion failed: ${message}`);
}
