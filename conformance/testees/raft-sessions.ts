/**
 * The `raft-log` profile of conformance/PROTOCOL.md (§4.7) on top of a {@link LogAPI}: sessions
 * (one log object each, over a directory the runner gives), and the JSON encoding of every
 * method's arguments and result. The reference testee serves it with {@link LsfsRaftLog}; the
 * vector generator uses the same codec to run its traces on MemoryLog and LsfsRaftLog, so that a
 * vector's arguments and answers are exactly what travels on the wire.
 */
import { isLsfsError } from '../../src/errors.js';
import type { ClusterConfig, LogAPI, LogEntry, LogStats, NewEntry, Snapshot } from '../../src/raft/index.js';
import { LsfsRaftLog } from '../../src/raft/index.js';
import { isCount, isHexString, isU64String } from '../lib/protocol.js';
import { RAFT_ARGUMENTS, type RaftMethod, isRaftMethod } from '../lib/raft-protocol.js';
import { TesteeError, invalidArgument } from '../lib/testee-server.js';

type Fields = Record<string, unknown>;
/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A u64 string as the API's number. Values above 2^53 − 1 become numbers that are not safe
 * integers, which the API refuses with INVALID_ARGUMENT as RLG-012 requires (never a rounded value
 * that it would accept: every double from 2^53 on fails `Number.isSafeInteger`).
 */
function u64(value: unknown, what: string): number {
  if (!isU64String(value)) throw invalidArgument(`${what} must be a canonical decimal u64 string`);
  return Number(value);
}

function hexBytes(value: unknown, what: string): Uint8Array {
  if (!isHexString(value)) throw invalidArgument(`${what} must be lowercase hex digit pairs`);
  return new Uint8Array(Buffer.from(value, 'hex'));
}

function required(args: Fields, name: string, method: string): unknown {
  if (!(name in args)) throw invalidArgument(`${method} needs args.${name}`);
  return args[name];
}

/** An entry of a request (PROTOCOL.md §4.7): only the members present are passed on. */
function entryArgument(value: unknown, what: string): NewEntry {
  if (!isObject(value)) throw invalidArgument(`${what} must be an object`);
  const entry: Record<string, unknown> = {};
  if ('term' in value) entry.term = u64(value.term, `${what}.term`);
  if ('index' in value) entry.index = u64(value.index, `${what}.index`);
  if ('command' in value) entry.command = hexBytes(value.command, `${what}.command`);
  if ('result' in value) entry.result = value.result === null ? null : hexBytes(value.result, `${what}.result`);
  if ('error' in value) {
    if (typeof value.error !== 'boolean') throw invalidArgument(`${what}.error must be a boolean`);
    entry.error = value.error;
  }
  if ('code' in value) {
    if (typeof value.code !== 'string') throw invalidArgument(`${what}.code must be a string`);
    entry.code = value.code;
  }
  if ('serial' in value) entry.serial = value.serial === null ? null : u64(value.serial, `${what}.serial`);
  if ('leaderId' in value) {
    if (value.leaderId !== null && typeof value.leaderId !== 'string') throw invalidArgument(`${what}.leaderId must be a string or null`);
    entry.leaderId = value.leaderId;
  }
  // `committed` and `applied` are ignored (RLG-013), like any member the profile does not define.
  return entry as unknown as NewEntry;
}

/** The LogAPI arguments of a `raft-call`, from its `args` (PROTOCOL.md §4.7). */
export function decodeRaftArguments(method: RaftMethod, args: Fields): unknown[] {
  switch (method) {
    case 'setTerm':
      return [u64(required(args, 'term', method), 'args.term')];
    case 'setVotedFor':
    case 'setUri': {
      const name = RAFT_ARGUMENTS[method][0]!;
      const value = required(args, name, method);
      if (typeof value !== 'string') throw invalidArgument(`args.${name} must be a string`);
      return [value];
    }
    case 'append':
    case 'insert':
      return [entryArgument(required(args, 'entry', method), 'args.entry')];
    case 'appendMulti': {
      const entries = required(args, 'entries', method);
      if (!Array.isArray(entries)) throw invalidArgument('args.entries must be an array');
      return [entries.map((entry, i) => entryArgument(entry, `args.entries[${i}]`))];
    }
    case 'read':
      return 'index' in args ? [u64(args.index, 'args.index')] : [];
    case 'deleteAllFrom':
    case 'markCommitted':
    case 'markApplied':
      return [u64(required(args, 'index', method), 'args.index')];
    case 'saveClusterConfig':
      return [required(args, 'config', method)];
    case 'installSnapshot': {
      const snapshot = required(args, 'snapshot', method);
      if (!isObject(snapshot)) throw invalidArgument('args.snapshot must be an object');
      return [{ index: u64(required(snapshot, 'index', method), 'args.snapshot.index'), term: u64(required(snapshot, 'term', method), 'args.snapshot.term') }];
    }
    default:
      return [];
  }
}

const count = (value: number): string => String(value);
const optionalCount = (value: number | undefined): string | null => (value === undefined ? null : String(value));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** An entry of a result: every member present, `null` for an absent value (PROTOCOL.md §4.7). */
export function entryJson(entry: LogEntry): JsonValue {
  return {
    index: count(entry.index),
    term: count(entry.term),
    command: hex(entry.command),
    result: entry.result === undefined ? null : hex(entry.result),
    error: entry.error,
    code: entry.code,
    serial: optionalCount(entry.serial),
    leaderId: entry.leaderId ?? null,
    committed: entry.committed,
    applied: entry.applied,
  };
}

/** The compared fields of `getStats` (those that depend neither on the clock nor on the storage). */
export function statsJson(stats: LogStats): JsonValue {
  return {
    firstIndex: optionalCount(stats.firstIndex),
    lastIndex: count(stats.lastIndex),
    lastTerm: count(stats.lastTerm),
    recordCount: count(stats.recordCount),
    recordsSinceSnapshot: count(stats.recordsSinceSnapshot),
    snapshotIndex: optionalCount(stats.snapshotIndex),
  };
}

/** A method's result as JSON (PROTOCOL.md §4.7). */
export function encodeRaftResult(method: RaftMethod, value: unknown): JsonValue {
  switch (method) {
    case 'getTerm':
    case 'incrTerm':
    case 'getLastIndex':
    case 'getLastTerm':
    case 'getCommitIndex':
    case 'getAppliedIndex':
      return count(value as number);
    case 'getFirstIndex':
      return optionalCount(value as number | undefined);
    case 'getVotedFor':
    case 'getUri':
      return (value as string | undefined) ?? null;
    case 'getBroken':
      return value as boolean;
    case 'append':
    case 'insert':
      return entryJson(value as LogEntry);
    case 'appendMulti':
      return (value as LogEntry[]).map(entryJson);
    case 'read':
      return value === undefined ? null : entryJson(value as LogEntry);
    case 'getClusterConfig':
      return value === undefined ? null : (value as ClusterConfig as unknown as JsonValue);
    case 'getSnapshot': {
      const snapshot = value as Snapshot | undefined;
      return snapshot === undefined ? null : { index: count(snapshot.index), term: count(snapshot.term) };
    }
    case 'getStats':
      return statsJson(value as LogStats);
    default:
      return null;
  }
}

/** Calls `method` on `log` with decoded arguments. */
export function invokeRaftMethod(log: LogAPI, method: RaftMethod, args: unknown[]): Promise<unknown> {
  const fn = (log as unknown as Record<string, (...values: unknown[]) => Promise<unknown>>)[method];
  if (typeof fn !== 'function') throw new TesteeError('UNSUPPORTED_OP', null, `the log has no method ${method}`);
  return fn.apply(log, args);
}

/** A log's refusal as the protocol's error: offset null, since it concerns no place in a file. */
export function raftError(error: unknown): TesteeError | undefined {
  if (error instanceof TesteeError) return error;
  if (isLsfsError(error)) return new TesteeError(error.code, null, error.message);
  if (error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string') return new TesteeError('IO_ERROR', null, error.message);
  return undefined;
}

/** What `raft-open` passes on to the log it creates (PROTOCOL.md §4.7). */
export interface RaftOpenHints {
  /** The runner's segment size hint, in bytes; a testee may ignore it. */
  readonly segmentBytes?: number;
}

/** Makes the log of a new session; nothing may be read or written before its `start`. */
export type RaftLogFactory = (directory: string, hints: RaftOpenHints) => LogAPI;

/** The reference: {@link LsfsRaftLog} on the real file system. */
export const lsfsRaftLogFactory: RaftLogFactory = (directory, hints) => new LsfsRaftLog({ directory, ...(hints.segmentBytes === undefined ? {} : { segmentBytes: hints.segmentBytes }) });

/** The sessions of one testee process: `raft-open`, `raft-call`, `raft-close`. */
export class RaftSessions {
  private readonly sessions = new Map<string, LogAPI>();
  private opened = 0;

  constructor(private readonly factory: RaftLogFactory = lsfsRaftLogFactory) {}

  private session(request: Fields): [string, LogAPI] {
    const handle = request.session;
    if (typeof handle !== 'string') throw invalidArgument('"session" must be a session handle string');
    const log = this.sessions.get(handle);
    if (log === undefined) throw invalidArgument(`no open session ${JSON.stringify(handle)}`);
    return [handle, log];
  }

  async open(request: Fields): Promise<{ session: string }> {
    const dir = request.dir;
    if (typeof dir !== 'string' || dir === '') throw invalidArgument('"dir" must be a non-empty string');
    let segmentBytes: number | undefined;
    if ('segmentBytes' in request) {
      if (!isCount(request.segmentBytes) || request.segmentBytes === 0) throw invalidArgument('"segmentBytes" must be a positive integer');
      segmentBytes = request.segmentBytes;
    }
    let log: LogAPI;
    try {
      log = this.factory(dir, segmentBytes === undefined ? {} : { segmentBytes });
    } catch (error) {
      throw raftError(error) ?? error;
    }
    const handle = `s${++this.opened}`;
    this.sessions.set(handle, log);
    return { session: handle };
  }

  async call(request: Fields): Promise<{ result: JsonValue }> {
    const [, log] = this.session(request);
    const method = request.method;
    if (typeof method !== 'string') throw invalidArgument('"method" must be a string');
    if (!isRaftMethod(method)) throw new TesteeError('UNSUPPORTED_OP', null, `unknown raft-log method ${JSON.stringify(method)}`);
    const args = request.args ?? {};
    if (!isObject(args)) throw invalidArgument('"args" must be an object');
    const values = decodeRaftArguments(method, args);
    try {
      return { result: encodeRaftResult(method, await invokeRaftMethod(log, method, values)) };
    } catch (error) {
      throw raftError(error) ?? error;
    }
  }

  async close(request: Fields): Promise<Record<string, never>> {
    const [handle, log] = this.session(request);
    this.sessions.delete(handle);
    try {
      await log.stop();
    } catch (error) {
      throw raftError(error) ?? error;
    }
    return {};
  }
}
