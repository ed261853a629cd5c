/**
 * The testee side of conformance/PROTOCOL.md for testees written in TypeScript: reads request
 * lines on stdin, validates the common fields, dispatches to the testee's operations and writes one
 * response line per request on stdout. stdout carries responses only: `console.*` is sent to
 * stderr before any operation runs.
 */
import {
  PROTOCOL_VERSION,
  isCount,
  isFileIdString,
  isHexString,
  isU64String,
  type OpenInfoResult,
  type ReadResult,
  type RecordJson,
  type WriteOperation,
} from './protocol.js';

/** A failed request: the error object of PROTOCOL.md §2.1. */
export class TesteeError extends Error {
  readonly code: string;
  readonly offset: number | null;
  readonly operation: number | undefined;

  constructor(code: string, offset: number | null, message: string, operation?: number) {
    super(message);
    this.code = code;
    this.offset = offset;
    this.operation = operation;
  }
}

export function invalidArgument(message: string): TesteeError {
  return new TesteeError('INVALID_ARGUMENT', null, message);
}

export interface ReadRequest {
  path: string;
  mode: 'strict' | 'salvage';
  direction: 'forward' | 'backward';
  from: bigint | undefined;
}

export interface WriteRequest {
  path: string;
  blockSize: number;
  fileId: bigint | undefined;
  baseIndex: bigint;
  operations: ParsedWriteOperation[];
}

export type ParsedWriteOperation =
  | { kind: 'record'; typeCode: bigint; payload: { hex: Buffer } | { byte: number; length: number } }
  | { kind: 'sync' };

/**
 * The operations of the `raft-log` profile (PROTOCOL.md §4.7). Each gets the whole request and
 * validates it; the testee keeps its sessions between requests.
 */
export interface RaftLogOperations {
  open(request: Record<string, unknown>): Promise<{ session: string }>;
  call(request: Record<string, unknown>): Promise<{ result: unknown }>;
  close(request: Record<string, unknown>): Promise<Record<string, never>>;
}

/** What a testee implements; an operation left out answers `UNSUPPORTED_OP`. */
export interface TesteeImplementation {
  readonly implementation: string;
  readonly profiles: readonly string[];
  read?(request: ReadRequest): Promise<ReadResult>;
  lookup?(path: string, index: bigint): Promise<{ record: RecordJson }>;
  openInfo?(path: string): Promise<OpenInfoResult>;
  write?(request: WriteRequest): Promise<{ size: number }>;
  raft?: RaftLogOperations;
}

type Fields = Record<string, unknown>;

function requireString(request: Fields, name: string): string {
  const value = request[name];
  if (typeof value !== 'string' || value === '') throw invalidArgument(`"${name}" must be a non-empty string`);
  return value;
}

function optionalChoice<T extends string>(request: Fields, name: string, choices: readonly T[], fallback: T): T {
  if (!(name in request)) return fallback;
  const value = request[name];
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw invalidArgument(`"${name}" must be one of ${choices.join(', ')}`);
  }
  return value as T;
}

function u64Field(request: Fields, name: string): bigint | undefined {
  if (!(name in request)) return undefined;
  const value = request[name];
  if (!isU64String(value)) throw invalidArgument(`"${name}" must be a canonical decimal u64 string`);
  return BigInt(value);
}

export function parseReadRequest(request: Fields): ReadRequest {
  const path = requireString(request, 'path');
  const mode = optionalChoice(request, 'mode', ['strict', 'salvage'] as const, 'strict');
  const direction = optionalChoice(request, 'direction', ['forward', 'backward'] as const, 'forward');
  const from = u64Field(request, 'from');
  if (from !== undefined && direction !== 'forward') throw invalidArgument('"from" is only allowed with direction "forward"');
  return { path, mode, direction, from };
}

export function parseWriteRequest(request: Fields): WriteRequest {
  const path = requireString(request, 'path');
  let blockSize = 4096;
  if ('blockSize' in request) {
    if (!isCount(request.blockSize)) throw invalidArgument('"blockSize" must be a non-negative integer');
    blockSize = request.blockSize;
  }
  let fileId: bigint | undefined;
  if ('fileId' in request) {
    if (!isFileIdString(request.fileId)) throw invalidArgument('"fileId" must be 16 lowercase hex digits');
    fileId = BigInt(`0x${request.fileId}`);
  }
  const baseIndex = u64Field(request, 'baseIndex') ?? 0n;
  const operations = request.operations;
  if (!Array.isArray(operations)) throw invalidArgument('"operations" must be an array');
  return { path, blockSize, fileId, baseIndex, operations: operations.map(parseOperation) };
}

function parseOperation(operation: unknown, position: number): ParsedWriteOperation {
  const fail = (why: string): never => {
    throw invalidArgument(`operation ${position}: ${why}`);
  };
  if (typeof operation !== 'object' || operation === null || Array.isArray(operation)) return fail('must be an object');
  const op = operation as Fields;
  if ('sync' in op) {
    if (op.sync !== true || 'type' in op) fail('a sync operation is exactly {"sync":true}');
    return { kind: 'sync' };
  }
  if (!isU64String(op.type)) fail('"type" must be a canonical decimal u64 string');
  const typeCode = BigInt(op.type as string);
  if (('hex' in op) === ('repeat' in op)) fail('exactly one of "hex" and "repeat" is required');
  if ('hex' in op) {
    if (!isHexString(op.hex)) fail('"hex" must be lowercase hex digit pairs');
    return { kind: 'record', typeCode, payload: { hex: Buffer.from(op.hex as string, 'hex') } };
  }
  const repeat = op.repeat as Fields | null;
  if (typeof repeat !== 'object' || repeat === null || Array.isArray(repeat)) return fail('"repeat" must be an object');
  if (typeof repeat.byte !== 'string' || !/^[0-9a-f]{2}$/.test(repeat.byte)) fail('"repeat.byte" must be one byte as two lowercase hex digits');
  if (!isCount(repeat.length)) fail('"repeat.length" must be a non-negative integer');
  return { kind: 'record', typeCode, payload: { byte: Number.parseInt(repeat.byte as string, 16), length: repeat.length as number } };
}

/** Reads one request line at a time from `input` (lines of any length). */
async function* lines(input: NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let start = 0;
    for (let newline = chunk.indexOf(10, start); newline !== -1; newline = chunk.indexOf(10, start)) {
      pending.push(chunk.subarray(start, newline));
      yield pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      pending = [];
      start = newline + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length > 0) yield Buffer.concat(pending);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Maps whatever an operation threw to an error object; `toTesteeError` lets a testee map its own errors. */
async function dispatch(
  testee: TesteeImplementation,
  request: Fields,
  toTesteeError: (error: unknown) => TesteeError | undefined,
): Promise<Fields> {
  const op = request.op;
  try {
    switch (op) {
      case 'hello':
        return { implementation: testee.implementation, profiles: [...testee.profiles], protocol: PROTOCOL_VERSION };
      case 'read':
        if (testee.read === undefined) break;
        return { ...(await testee.read(parseReadRequest(request))) };
      case 'lookup': {
        if (testee.lookup === undefined) break;
        const path = requireString(request, 'path');
        const index = u64Field(request, 'index');
        if (index === undefined) throw invalidArgument('"index" is required');
        return { ...(await testee.lookup(path, index)) };
      }
      case 'open-info':
        if (testee.openInfo === undefined) break;
        return { ...(await testee.openInfo(requireString(request, 'path'))) };
      case 'write':
        if (testee.write === undefined) break;
        return { ...(await testee.write(parseWriteRequest(request))) };
      case 'raft-open':
        if (testee.raft === undefined) break;
        return { ...(await testee.raft.open(request)) };
      case 'raft-call':
        if (testee.raft === undefined) break;
        return { ...(await testee.raft.call(request)) };
      case 'raft-close':
        if (testee.raft === undefined) break;
        return { ...(await testee.raft.close(request)) };
      default:
        if (typeof op !== 'string') throw invalidArgument('"op" must be a string');
    }
    throw new TesteeError('UNSUPPORTED_OP', null, `operation ${JSON.stringify(op)} is not implemented by ${testee.implementation}`);
  } catch (error) {
    if (error instanceof TesteeError) throw error;
    const mapped = toTesteeError(error);
    if (mapped !== undefined) throw mapped;
    process.stderr.write(`${testee.implementation}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    throw new TesteeError('INTERNAL_ERROR', null, describe(error));
  }
}

function errorResponse(id: unknown, error: TesteeError): Fields {
  const body: Fields = { code: error.code, offset: error.offset, message: error.message };
  if (error.operation !== undefined) body.operation = error.operation;
  return { id, ok: false, error: body };
}

/**
 * Serves the protocol on stdin/stdout until `shutdown` or end of input, then exits with status 0.
 * Requests are handled one at a time, in order.
 */
export async function serve(testee: TesteeImplementation, toTesteeError: (error: unknown) => TesteeError | undefined = () => undefined): Promise<void> {
  // Nothing but responses may reach stdout (PROTOCOL.md §1).
  const out = process.stdout;
  const toStderr = (...args: unknown[]): void => {
    process.stderr.write(`${args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ')}\n`);
  };
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  const write = (response: Fields): Promise<void> =>
    new Promise((resolve, reject) => {
      out.write(`${JSON.stringify(response)}\n`, (error) => (error ? reject(error) : resolve()));
    });
  out.on('error', () => process.exit(0)); // the runner went away

  for await (const line of lines(process.stdin)) {
    const text = line.toString('utf8').trim();
    if (text === '') continue;
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch (error) {
      await write(errorResponse(null, invalidArgument(`not a JSON line: ${describe(error)}`)));
      continue;
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      await write(errorResponse(null, invalidArgument('a request is a JSON object')));
      continue;
    }
    const fields = request as Fields;
    const id = fields.id ?? null;
    if (fields.op === 'shutdown') {
      await write({ id, ok: true });
      process.exit(0);
    }
    try {
      await write({ id, ok: true, ...(await dispatch(testee, fields, toTesteeError)) });
    } catch (error) {
      await write(errorResponse(id, error as TesteeError));
    }
  }
  process.exit(0);
}
