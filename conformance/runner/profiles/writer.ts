/**
 * The `writer` profile (PROTOCOL.md §3, §4.5): a case gives the parameters of a new file and the
 * operations to apply; the testee writes the file into the case's directory and the runner
 * compares its bytes (sha256 and size) with the vector, or checks the refusal the case expects.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type Difference, damageShapeProblems, diffJson, show } from '../compare.js';
import type { Manifest, VectorCase } from '../manifest.js';
import { isCount, isSha256String } from '../../lib/protocol.js';
import { sha256File } from './reader.js';
import { type CaseContext, type ProfileModule } from './types.js';

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Payload bytes the operations append: the time allowance of the case. */
function payloadBytes(operations: unknown[]): number {
  let bytes = 0;
  for (const operation of operations) {
    if (!isObject(operation)) continue;
    if (typeof operation.hex === 'string') bytes += operation.hex.length / 2;
    if (isObject(operation.repeat) && typeof operation.repeat.length === 'number') bytes += Math.min(operation.repeat.length, 2 ** 31);
  }
  return bytes;
}

/** Where two files first differ, for the report; undefined when the expected file is not at hand. */
async function firstDifference(expectedPath: string, actualPath: string): Promise<string | undefined> {
  let expected: Buffer;
  let actual: Buffer;
  try {
    [expected, actual] = await Promise.all([readFile(expectedPath), readFile(actualPath)]);
  } catch {
    return undefined;
  }
  const length = Math.min(expected.length, actual.length);
  for (let i = 0; i < length; i++) {
    if (expected[i] !== actual[i]) {
      return `first difference at offset ${i}: expected 0x${expected[i]!.toString(16).padStart(2, '0')}, got 0x${actual[i]!.toString(16).padStart(2, '0')}`;
    }
  }
  return expected.length === actual.length ? undefined : `the files agree up to offset ${length}, then one ends`;
}

export const writerProfile: ProfileModule = {
  name: 'writer',

  validate(vectorCase: VectorCase, _manifest: Manifest): string[] {
    const c = vectorCase.raw;
    const problems: string[] = [];
    if (!Array.isArray(c.operations)) problems.push('"operations" must be an array');
    if (c.parameters !== undefined && !isObject(c.parameters)) problems.push('"parameters" must be an object');
    const expected = c.expected;
    if (!isObject(expected)) return [...problems, '"expected" must be an object'];
    if (isObject(expected.error)) {
      if (typeof expected.error.code !== 'string') problems.push('expected.error.code must be a string');
    } else {
      if (!isSha256String(expected.sha256)) problems.push('expected.sha256 must be 64 lowercase hex digits');
      if (!isCount(expected.size)) problems.push('expected.size must be an integer');
    }
    return problems;
  },

  async run(vectorCase: VectorCase, context: CaseContext): Promise<void> {
    const c = vectorCase.raw as Fields & { operations: unknown[]; expected: Fields };
    const parameters = isObject(c.parameters) ? c.parameters : {};
    const expected = c.expected;
    const name = typeof expected.file === 'string' ? basename(expected.file) : 'written.lsfs';
    const target = join(context.workDir, name);
    const step = 'write';
    const limit = context.limitFor(payloadBytes(c.operations) + (isCount(expected.size) ? expected.size : 0));
    const response = await context.request({ op: 'write', path: target, ...parameters, operations: c.operations }, { timeoutMs: limit, what: step });
    const out: Difference[] = [];

    if (isObject(expected.error)) {
      const want = expected.error;
      if (response.ok === true) {
        out.push({ path: step, expected: want, actual: 'success', note: `expected the refusal ${String(want.code)}${want.operation === undefined || want.operation === null ? '' : ` of operation ${String(want.operation)}`}, got success (size ${show(response.size)})` });
      } else {
        const problems = damageShapeProblems(`${step}.error`, response.error, true);
        if (problems.length > 0) {
          for (const problem of problems) context.violation(problem);
          return;
        }
        const error = response.error as Fields;
        diffJson(`${step}.error.code`, want.code, error.code, out);
        // `operation` is compared when the case gives it; a refusal of the whole request has none.
        if ('operation' in want) diffJson(`${step}.error.operation`, want.operation ?? null, error.operation ?? null, out);
        if ('offset' in want) diffJson(`${step}.error.offset`, want.offset, error.offset, out);
      }
      if (isSha256String(expected.sha256)) {
        // A refused operation: the records before it remain, and the case gives the file.
        await compareFile(context, target, expected, out);
      } else if (response.ok !== true && !isCount((response.error as Fields | undefined)?.operation)) {
        // A refused request (INVALID_ARGUMENT): no file is created (PROTOCOL.md §4.5).
        const entries = await readdir(context.workDir);
        if (entries.length > 0) out.push({ path: 'directory', expected: [], actual: entries, note: `a refused request must create no file, found ${entries.join(', ')}` });
      }
      for (const difference of out) context.differ(difference);
      return;
    }

    if (response.ok !== true) {
      const error = response.error;
      const detail = isObject(error) ? `${String(error.code)}${error.operation === undefined ? '' : ` (operation ${String(error.operation)})`}${typeof error.message === 'string' ? `: ${error.message}` : ''}` : show(error);
      context.differ({ path: step, expected: 'success', actual: error, note: `expected a successful write, got error ${detail}` });
      return;
    }
    if (!isCount(response.size)) {
      context.violation(`${step}.size is not a non-negative integer: ${show(response.size)}`);
      return;
    }
    diffJson(`${step}.size`, expected.size, response.size, out);
    await compareFile(context, target, expected, out);
    for (const difference of out) context.differ(difference);
  },
};

/** The written file against the case's sha256 and size; no temporary file may be left (RSF-023). */
async function compareFile(context: CaseContext, target: string, expected: Fields, out: Difference[]): Promise<void> {
  let fileSize: number | undefined;
  try {
    fileSize = (await stat(target)).size;
  } catch {
    out.push({ path: 'file', expected: expected.sha256, actual: undefined, note: `the testee wrote no file at ${target}` });
  }
  if (fileSize !== undefined) {
    if (fileSize !== expected.size) out.push({ path: 'file.size', expected: expected.size, actual: fileSize });
    const sha256 = await sha256File(target);
    if (sha256 !== expected.sha256) {
      const where = typeof expected.file === 'string' ? await firstDifference(join(context.manifest.dir, expected.file), target) : undefined;
      out.push({ path: 'file.sha256', expected: expected.sha256, actual: sha256, note: `the bytes differ from the vector (RSF-060)${where === undefined ? '' : `: ${where}`}` });
    }
  }
  // RSF-023: temporary files are gone when the testee responds.
  const name = basename(target);
  const leftovers = (await readdir(context.workDir)).filter((entry) => entry !== name);
  if (leftovers.length > 0) out.push({ path: 'directory', expected: [name], actual: leftovers, note: `files left beside the output: ${leftovers.join(', ')}` });
}
