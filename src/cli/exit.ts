/**
 * How the CLI ends: exit codes, and the single `lsfs: CODE: message` line that every failure
 * prints on stderr (no stack traces: the code and message are the interface).
 */
import { CommanderError } from 'commander';
import { DAMAGE_CODES, LsfsError, type ErrorCode } from '../errors.js';

/** Success, nothing damaged. */
export const EXIT_OK = 0;
/** The file is damaged (or a read stopped at damage). */
export const EXIT_DAMAGE = 1;
/** Usage errors, invalid arguments, I/O failures, locks: nothing was learnt about the file's bytes. */
export const EXIT_USAGE = 2;

/** The reader of stdout went away (EPIPE, e.g. `lsfs dump f | head`): stop quietly. */
export class OutputClosed extends Error {
  constructor() {
    super('stdout was closed');
  }
}

export interface Failure {
  /** An LSFS error code, or USAGE / INTERNAL, which only the CLI uses. */
  readonly code: ErrorCode | 'USAGE' | 'INTERNAL';
  readonly message: string;
  readonly exitCode: number;
}

/** Classifies anything a command threw. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof LsfsError) {
    return { code: error.code, message: error.message, exitCode: DAMAGE_CODES.has(error.code) ? EXIT_DAMAGE : EXIT_USAGE };
  }
  if (error instanceof CommanderError) return describeUsage(error);
  if (isSystemError(error)) return { code: 'IO_ERROR', message: error.message, exitCode: EXIT_USAGE };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message, exitCode: EXIT_USAGE };
}

function describeUsage(error: CommanderError): Failure {
  // Bare `lsfs` makes commander print help to stderr; we suppress that and say why instead.
  const message = error.code === 'commander.help' ? 'no command given (see lsfs --help)' : error.message.replace(/^error: /, '');
  return { code: 'USAGE', message, exitCode: EXIT_USAGE };
}

/** OS errors (fs, streams) carry a string `code` such as ENOENT and a `syscall`. */
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && 'syscall' in error;
}

/** The one stderr line of a failure; messages are folded to one line so scripts can rely on it. */
export function failureLine(failure: Failure): string {
  return `lsfs: ${failure.code}: ${failure.message.replace(/\s*\n\s*/g, ' ')}\n`;
}

/** True for commander's "help or version was shown" exits, which are not failures. */
export function isCleanCommanderExit(error: unknown): boolean {
  return error instanceof CommanderError && error.exitCode === 0;
}
