/**
 * The `reader` profile (PROTOCOL.md §3, §4.2–§4.4): a case names a vector file and what a reader
 * must find in it. The runner copies the file into the case's directory (so that a broken testee
 * cannot change the checked-in vector), then asks for a strict and a salvage read, a backward
 * read, open-info, lookups and reads `from` an index, as far as the case expects them, and finally
 * checks that the testee left the file unchanged.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  type Difference,
  damageShapeProblems,
  diffJson,
  diffRecords,
  gapShapeProblems,
  recordShapeProblems,
  show,
} from '../compare.js';
import type { Manifest, VectorCase } from '../manifest.js';
import type { Json } from '../testee-process.js';
import { isCount, isSha256String, isU64String } from '../../lib/protocol.js';
import { type CaseContext, type ProfileModule, VectorProblem } from './types.js';

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `{code, offset}` of an expected damage, dropping anything else (messages are never compared). */
function damageOf(value: unknown): unknown {
  if (!isObject(value)) return value;
  return { code: value.code, offset: value.offset };
}

/** The body of a successful response, or undefined after recording why there is none. */
function successBody(step: string, response: Json, context: CaseContext): Json | undefined {
  if (response.ok === true) return response;
  const error = response.error;
  const detail = isObject(error) ? `${String(error.code)} at offset ${show(error.offset)}${typeof error.message === 'string' ? ` (${error.message})` : ''}` : show(error);
  context.differ({ path: step, expected: 'success', actual: error, note: `expected a successful response, got error ${detail}` });
  return undefined;
}

/** The error of a failed response, or undefined after recording the problem. */
function errorBody(step: string, response: Json, context: CaseContext, expected: Fields): Fields | undefined {
  if (response.ok === true) {
    const summary = isObject(response.record) ? `record ${show(response.record.index)}` : 'a successful response';
    context.differ({ path: step, expected: damageOf(expected), actual: 'success', note: `expected error ${String(expected.code)} at offset ${show(expected.offset)}, got ${summary}` });
    return undefined;
  }
  const problems = damageShapeProblems(`${step}.error`, response.error, true);
  if (problems.length > 0) {
    for (const problem of problems) context.violation(problem);
    return undefined;
  }
  return response.error as Fields;
}

function readShapeProblems(step: string, body: Json): string[] {
  const problems: string[] = [];
  if (!Array.isArray(body.records)) problems.push(`${step}.records is not an array`);
  else body.records.forEach((record, i) => problems.push(...recordShapeProblems(`${step}.records[${i}]`, record)));
  if (!('tail' in body)) problems.push(`${step}.tail is missing (null when there is no torn tail)`);
  else problems.push(...damageShapeProblems(`${step}.tail`, body.tail, false));
  if (!Array.isArray(body.gaps)) problems.push(`${step}.gaps is not an array`);
  else body.gaps.forEach((gap, i) => problems.push(...gapShapeProblems(`${step}.gaps[${i}]`, gap)));
  if (!('error' in body)) problems.push(`${step}.error is missing (null when there is none)`);
  else problems.push(...damageShapeProblems(`${step}.error`, body.error, true));
  return problems.slice(0, 10);
}

interface ReadExpectation {
  records?: Fields[];
  tail?: unknown;
  gaps?: unknown;
  error?: unknown;
}

/** Sends a read and compares what the expectation gives. */
async function checkRead(context: CaseContext, step: string, request: Json, expected: ReadExpectation, limit: number): Promise<void> {
  const response = await context.request({ op: 'read', ...request }, { timeoutMs: limit, what: step });
  const body = successBody(step, response, context);
  if (body === undefined) return;
  const problems = readShapeProblems(step, body);
  if (problems.length > 0) {
    for (const problem of problems) context.violation(problem);
    return;
  }
  const out: Difference[] = [];
  if (expected.records !== undefined) diffRecords(`${step}.records`, expected.records, body.records as Fields[], out);
  if ('tail' in expected) diffJson(`${step}.tail`, damageOf(expected.tail), body.tail, out);
  if ('gaps' in expected && Array.isArray(expected.gaps)) {
    diffJson(`${step}.gaps`, expected.gaps.map((gap: unknown) => (isObject(gap) ? { code: gap.code, offset: gap.offset, length: gap.length } : gap)), body.gaps, out);
  } else if (request.mode !== 'salvage' && (body.gaps as unknown[]).length > 0) {
    out.push({ path: `${step}.gaps`, expected: [], actual: body.gaps, note: `a strict read reports no gaps, got ${show(body.gaps)}` });
  }
  if ('error' in expected) diffJson(`${step}.error`, damageOf(expected.error), body.error, out);
  for (const difference of out) context.differ(difference);
}

async function checkLookup(context: CaseContext, path: string, expected: Fields, limit: number): Promise<void> {
  const step = `lookup[${String(expected.index)}]`;
  const response = await context.request({ op: 'lookup', path, index: expected.index }, { timeoutMs: limit, what: step });
  if (isObject(expected.error)) {
    checkExpectedError(context, step, response, expected.error);
    return;
  }
  const body = successBody(step, response, context);
  if (body === undefined) return;
  const problems = recordShapeProblems(`${step}.record`, body.record);
  if (problems.length > 0) {
    for (const problem of problems) context.violation(problem);
    return;
  }
  const out: Difference[] = [];
  diffJson(`${step}.record`, expected.record, body.record, out, ['hex']);
  for (const difference of out) context.differ(difference);
}

const OPEN_INFO_FIELDS = ['blockSize', 'fileId', 'baseIndex', 'firstIndex', 'lastIndex', 'tail'] as const;

async function checkOpenInfo(context: CaseContext, path: string, expected: Fields, limit: number): Promise<void> {
  const step = 'openInfo';
  const response = await context.request({ op: 'open-info', path }, { timeoutMs: limit, what: step });
  if (isObject(expected.error)) {
    checkExpectedError(context, step, response, expected.error);
    return;
  }
  const body = successBody(step, response, context);
  if (body === undefined) return;
  const missing = OPEN_INFO_FIELDS.filter((field) => !(field in body));
  if (missing.length > 0) {
    context.violation(`${step} lacks ${missing.map((field) => `"${field}"`).join(', ')}`);
    return;
  }
  const tailProblems = damageShapeProblems(`${step}.tail`, body.tail, false);
  if (tailProblems.length > 0) {
    for (const problem of tailProblems) context.violation(problem);
    return;
  }
  const out: Difference[] = [];
  for (const field of OPEN_INFO_FIELDS) {
    if (field in expected) diffJson(`${step}.${field}`, field === 'tail' ? damageOf(expected.tail) : expected[field], body[field], out);
  }
  for (const difference of out) context.differ(difference);
}

function recordsShape(where: string, value: unknown): string[] {
  if (!Array.isArray(value)) return [`${where} must be an array of records`];
  return value.flatMap((record, i) => recordShapeProblems(`${where}[${i}]`, record)).slice(0, 3);
}

export const readerProfile: ProfileModule = {
  name: 'reader',

  validate(vectorCase: VectorCase, _manifest: Manifest): string[] {
    const c = vectorCase.raw;
    const problems: string[] = [];
    if (typeof c.file !== 'string' || c.file === '') problems.push('"file" must name the vector file');
    if (!isSha256String(c.sha256)) problems.push('"sha256" must be 64 lowercase hex digits');
    if (c.size !== undefined && !isCount(c.size)) problems.push('"size" must be an integer');
    const expected = c.expected;
    if (!isObject(expected)) return [...problems, '"expected" must be an object'];
    for (const mode of ['strict', 'salvage', 'backward'] as const) {
      const read = expected[mode];
      if (read === undefined) continue;
      if (!isObject(read)) problems.push(`expected.${mode} must be an object`);
      else problems.push(...recordsShape(`expected.${mode}.records`, read.records));
    }
    if (expected.openInfo !== undefined && !isObject(expected.openInfo)) problems.push('expected.openInfo must be an object');
    if (expected.lookups !== undefined) {
      if (!Array.isArray(expected.lookups)) problems.push('expected.lookups must be an array');
      else
        expected.lookups.forEach((lookup: unknown, i) => {
          if (!isObject(lookup) || !isU64String(lookup.index) || !(isObject(lookup.record) || isObject(lookup.error))) {
            problems.push(`expected.lookups[${i}] must be {"index": u64 string, "record": {...}} or {"index", "error": {...}}`);
          }
        });
    }
    if (expected.from !== undefined) {
      if (!Array.isArray(expected.from)) problems.push('expected.from must be an array');
      else
        expected.from.forEach((entry: unknown, i) => {
          if (!isObject(entry) || !isU64String(entry.from)) problems.push(`expected.from[${i}].from must be a u64 string`);
          else if (entry.mode !== undefined && entry.mode !== 'strict' && entry.mode !== 'salvage') problems.push(`expected.from[${i}].mode must be "strict" or "salvage"`);
          else problems.push(...recordsShape(`expected.from[${i}].records`, entry.records));
        });
    }
    return problems;
  },

  async run(vectorCase: VectorCase, context: CaseContext): Promise<void> {
    const c = vectorCase.raw as Fields & { file: string; sha256: string; expected: Fields };
    const source = join(context.manifest.dir, c.file);
    const target = join(context.workDir, basename(c.file));
    try {
      await copyFile(source, target);
    } catch (error) {
      throw new VectorProblem(`cannot copy the vector file ${c.file}: ${(error as Error).message}`);
    }
    const copied = await sha256File(target);
    if (copied !== c.sha256) throw new VectorProblem(`the vector file ${c.file} has sha256 ${copied}, the manifest says ${c.sha256}`);
    await chmod(target, 0o444);
    const size = (await stat(target)).size;
    const limit = context.limitFor(size);
    const expected = c.expected;
    const strict = isObject(expected.strict) ? (expected.strict as ReadExpectation) : undefined;
    const salvage = isObject(expected.salvage) ? (expected.salvage as ReadExpectation) : undefined;
    // tail, gaps and error of backward and `from` reads are those of the forward read in the same
    // mode (PROTOCOL.md §4.2): only the records differ.
    const outcomeOf = (read: ReadExpectation | undefined): ReadExpectation => {
      if (read === undefined) return {};
      const outcome: ReadExpectation = {};
      if ('tail' in read) outcome.tail = read.tail;
      if ('gaps' in read) outcome.gaps = read.gaps;
      if ('error' in read) outcome.error = read.error;
      return outcome;
    };

    if (strict !== undefined) await checkRead(context, 'strict', { path: target, mode: 'strict', direction: 'forward' }, strict, limit);
    if (salvage !== undefined) await checkRead(context, 'salvage', { path: target, mode: 'salvage', direction: 'forward' }, salvage, limit);
    if (isObject(expected.backward)) {
      const backward = expected.backward as ReadExpectation & { mode?: unknown };
      const mode = backward.mode === 'salvage' ? 'salvage' : 'strict';
      await checkRead(context, 'backward', { path: target, mode, direction: 'backward' }, { ...outcomeOf(mode === 'salvage' ? salvage : strict), ...backward }, limit);
    }
    if (isObject(expected.openInfo)) await checkOpenInfo(context, target, expected.openInfo, limit);
    for (const lookup of Array.isArray(expected.lookups) ? (expected.lookups as Fields[]) : []) await checkLookup(context, target, lookup, limit);
    for (const entry of Array.isArray(expected.from) ? (expected.from as Fields[]) : []) {
      const mode = entry.mode === 'salvage' ? 'salvage' : 'strict';
      const step = `from[${String(entry.from)}${mode === 'salvage' ? ',salvage' : ''}]`;
      await checkRead(context, step, { path: target, mode, direction: 'forward', from: entry.from }, { ...outcomeOf(mode === 'salvage' ? salvage : strict), records: entry.records as Fields[] }, limit);
    }

    if ((await sha256File(target)) !== c.sha256) {
      context.differ({ path: 'file', expected: c.sha256, actual: 'changed', note: 'the testee changed the file it was asked only to read (PROTOCOL.md §7)' });
    }
  },
};

/** A step that must fail: the response's error against the expected code and offset. */
function checkExpectedError(context: CaseContext, step: string, response: Json, expected: Fields): void {
  const error = errorBody(step, response, context, expected);
  if (error === undefined) return;
  const out: Difference[] = [];
  diffJson(`${step}.error`, damageOf(expected), error, out);
  for (const difference of out) context.differ(difference);
}
