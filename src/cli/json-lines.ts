/**
 * The JSON Lines that `write` reads and `dump` prints. Input is checked strictly (unknown keys,
 * odd hex) so that a malformed producer fails loudly instead of writing wrong records.
 */
import { LsfsError } from '../errors.js';
import type { LsfsRecord } from '../engine/record.js';
import { parseU64 } from './option-values.js';

/** One input line: a record to append, or a request to sync the records so far. */
export type InputLine = { readonly kind: 'record'; readonly typeCode: bigint; readonly payload: Buffer } | { readonly kind: 'sync' };

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** Parses input line `lineNumber` (1-based); undefined for a blank line. Throws INVALID_ARGUMENT. */
export function parseInputLine(text: string, lineNumber: number): InputLine | undefined {
  if (text.trim() === '') return undefined;
  const fail = (why: string): never => {
    throw new LsfsError('INVALID_ARGUMENT', `stdin line ${lineNumber}: ${why}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('expected a JSON object');
  return parseObject(value as Record<string, unknown>, fail);
}

function parseObject(object: Record<string, unknown>, fail: (why: string) => never): InputLine {
  const keys = Object.keys(object).sort().join(',');
  if (keys === 'sync') {
    if (object.sync !== true) fail('"sync" must be true');
    return { kind: 'sync' };
  }
  if (keys !== 'hex,type') fail(`expected the keys "type" and "hex" (or only "sync"), got ${JSON.stringify(Object.keys(object))}`);
  if (typeof object.type !== 'string') fail('"type" must be a string holding a decimal u64');
  if (typeof object.hex !== 'string' || !HEX.test(object.hex)) fail('"hex" must be a string of hex digit pairs');
  let typeCode: bigint;
  try {
    typeCode = parseU64(object.type as string, '"type"');
  } catch (error) {
    return fail((error as Error).message);
  }
  return { kind: 'record', typeCode, payload: Buffer.from(object.hex as string, 'hex') };
}

/** Payload bytes turned into hex per piece: a huge payload never becomes one giant string. */
const HEX_PIECE_BYTES = 1 << 20;

/** The output line of `record`, in pieces to write one after another (the last ends the line). */
export function* recordLinePieces(record: LsfsRecord): Generator<string> {
  yield `{"index":"${record.index}","type":"${record.typeCode}","hex":"`;
  const { payload } = record;
  for (let at = 0; at < payload.length; at += HEX_PIECE_BYTES) yield payload.toString('hex', at, Math.min(payload.length, at + HEX_PIECE_BYTES));
  yield '"}\n';
}
