/**
 * Comparing a testee's answers with a case's expectations (PROTOCOL.md §5), as a list of
 * field-level differences such as `strict.error.offset: expected 4096, got 4128`.
 */
import { isCount, isSha256String, isU64String, isHexString } from '../lib/protocol.js';

export interface Difference {
  /** Where: `strict.records[3].sha256`, `openInfo.lastIndex`, `file`, ... */
  readonly path: string;
  readonly expected: unknown;
  readonly actual: unknown;
  /** A sentence instead of the expected/actual pair, when that says it better. */
  readonly note?: string;
}

/** At most this many element differences are listed for one array (the count is always given). */
const MAX_ELEMENT_DIFFERENCES = 3;

export function show(value: unknown): string {
  if (value === undefined) return 'absent';
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

export function formatDifference(difference: Difference): string {
  if (difference.note !== undefined) return `${difference.path}: ${difference.note}`;
  return `${difference.path}: expected ${show(difference.expected)}, got ${show(difference.actual)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Differences between `expected` and `actual` JSON values. Objects are compared on the keys of
 * `expected` only (a testee may add fields such as `message`); `exact` lists keys that must also be
 * absent in `actual` when absent in `expected` (a record's `hex`).
 */
export function diffJson(path: string, expected: unknown, actual: unknown, out: Difference[], exact: readonly string[] = []): void {
  if (isObject(expected)) {
    if (!isObject(actual)) {
      out.push({ path, expected, actual });
      return;
    }
    for (const key of Object.keys(expected)) diffJson(`${path}.${key}`, expected[key], actual[key], out, exact);
    for (const key of exact) {
      if (!(key in expected) && key in actual) out.push({ path: `${path}.${key}`, expected: undefined, actual: actual[key] });
    }
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      out.push({ path, expected, actual });
      return;
    }
    if (expected.length !== actual.length) {
      out.push({ path: `${path}.length`, expected: expected.length, actual: actual.length });
    }
    let listed = 0;
    for (let i = 0; i < Math.min(expected.length, actual.length) && listed < MAX_ELEMENT_DIFFERENCES; i++) {
      const before = out.length;
      diffJson(`${path}[${i}]`, expected[i], actual[i], out, exact);
      if (out.length > before) listed++;
    }
    return;
  }
  if (expected !== actual) out.push({ path, expected, actual });
}

/**
 * Records differ most usefully by index: when the lists have different lengths, say which indexes
 * are missing or extra before comparing element by element.
 */
export function diffRecords(path: string, expected: readonly Record<string, unknown>[], actual: readonly Record<string, unknown>[], out: Difference[]): void {
  if (expected.length !== actual.length) {
    const expectedIndexes = new Set(expected.map((record) => record.index));
    const actualIndexes = new Set(actual.map((record) => record.index));
    const missing = [...expectedIndexes].filter((index) => !actualIndexes.has(index));
    const extra = [...actualIndexes].filter((index) => !expectedIndexes.has(index));
    const parts = [`expected ${expected.length} records, got ${actual.length}`];
    if (missing.length > 0) parts.push(`missing ${listIndexes(missing)}`);
    if (extra.length > 0) parts.push(`extra ${listIndexes(extra)}`);
    out.push({ path, expected: expected.length, actual: actual.length, note: parts.join('; ') });
    if (missing.length > 0 || extra.length > 0) return;
  }
  let listed = 0;
  for (let i = 0; i < Math.min(expected.length, actual.length) && listed < MAX_ELEMENT_DIFFERENCES; i++) {
    const before = out.length;
    diffJson(`${path}[${i}]`, expected[i], actual[i], out, ['hex']);
    if (out.length > before) listed++;
  }
}

function listIndexes(indexes: unknown[]): string {
  const shown = indexes.slice(0, 5).map((index) => String(index));
  return `index${indexes.length === 1 ? '' : 'es'} ${shown.join(', ')}${indexes.length > 5 ? `, … (${indexes.length})` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Shape checks of responses: a response that lacks a field or has one of the wrong type is a
// protocol error, reported with what is wrong.

/** Problems with a record object (PROTOCOL.md §4.2), or an empty list. */
export function recordShapeProblems(path: string, value: unknown): string[] {
  if (!isObject(value)) return [`${path} is not an object`];
  const problems: string[] = [];
  if (!isU64String(value.index)) problems.push(`${path}.index is not a u64 string: ${show(value.index)}`);
  if (!isU64String(value.type)) problems.push(`${path}.type is not a u64 string: ${show(value.type)}`);
  if (!isCount(value.length)) problems.push(`${path}.length is not a non-negative integer: ${show(value.length)}`);
  if (!isSha256String(value.sha256)) problems.push(`${path}.sha256 is not 64 lowercase hex digits: ${show(value.sha256)}`);
  if ('hex' in value && !isHexString(value.hex)) problems.push(`${path}.hex is not lowercase hex: ${show(value.hex)}`);
  return problems;
}

/** `null` or `{code, offset}` (offset an integer, or null where `nullableOffset`). */
export function damageShapeProblems(path: string, value: unknown, nullableOffset: boolean): string[] {
  if (value === null) return [];
  if (!isObject(value)) return [`${path} is neither null nor an object: ${show(value)}`];
  const problems: string[] = [];
  if (typeof value.code !== 'string') problems.push(`${path}.code is not a string: ${show(value.code)}`);
  if (!(isCount(value.offset) || (nullableOffset && value.offset === null))) problems.push(`${path}.offset is not ${nullableOffset ? 'an integer or null' : 'an integer'}: ${show(value.offset)}`);
  return problems;
}

export function gapShapeProblems(path: string, value: unknown): string[] {
  if (!isObject(value)) return [`${path} is not an object`];
  const problems: string[] = [];
  if (typeof value.code !== 'string') problems.push(`${path}.code is not a string`);
  if (!isCount(value.offset)) problems.push(`${path}.offset is not an integer`);
  if (!isCount(value.length)) problems.push(`${path}.length is not an integer`);
  return problems;
}
