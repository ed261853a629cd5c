/**
 * The `raft-log` profile (PROTOCOL.md §3, §4.7): a case is a trace of LogAPI calls on one log
 * directory, each with the answer a conforming log gives (its result, or its error code). The
 * runner opens a session on a fresh directory, sends the calls in order and compares each answer;
 * a `kill` step kills the testee process between two calls and goes on with a fresh testee and a
 * new session over the same directory, which must hold everything the log acknowledged.
 *
 * The trace stops at the first step that differs: every later step depends on the state before it.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Difference, diffJson, show } from '../compare.js';
import type { Manifest, VectorCase } from '../manifest.js';
import type { Json } from '../testee-process.js';
import { isCount } from '../../lib/protocol.js';
import { RAFT_ARGUMENTS, isRaftMethod } from '../../lib/raft-protocol.js';
import { type CaseContext, type ProfileModule, VectorProblem } from './types.js';

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Most differences listed for one step's result (the count of the rest is given). */
const MAX_STEP_DIFFERENCES = 5;

interface CallStep {
  readonly session?: number;
  readonly call: { readonly method: string; readonly args?: Fields };
  readonly expected: { readonly result: unknown } | { readonly error: { readonly code: string; readonly offset: null } };
}

type Step = CallStep | { readonly kill: true };

/**
 * Differences between two JSON values, exactly: objects must have the same members (in any
 * order), arrays the same length. Used for every result but `getStats`, where a testee may report
 * more fields than the compared ones.
 */
export function diffExact(path: string, expected: unknown, actual: unknown, out: Difference[]): void {
  if (isObject(expected) && isObject(actual)) {
    for (const key of Object.keys(expected)) {
      if (!(key in actual)) out.push({ path: `${path}.${key}`, expected: expected[key], actual: undefined });
      else diffExact(`${path}.${key}`, expected[key], actual[key], out);
    }
    for (const key of Object.keys(actual)) if (!(key in expected)) out.push({ path: `${path}.${key}`, expected: undefined, actual: actual[key] });
    return;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) out.push({ path: `${path}.length`, expected: expected.length, actual: actual.length });
    for (let i = 0; i < Math.min(expected.length, actual.length); i++) diffExact(`${path}[${i}]`, expected[i], actual[i], out);
    return;
  }
  if (isObject(expected) || isObject(actual) || Array.isArray(expected) || Array.isArray(actual) || expected !== actual) out.push({ path, expected, actual });
}

function stepProblems(step: unknown, where: string): string[] {
  if (!isObject(step)) return [`${where} must be an object`];
  if ('kill' in step) return step.kill === true && Object.keys(step).length === 1 ? [] : [`${where} must be exactly {"kill": true} or a call step`];
  const problems: string[] = [];
  if (step.session !== undefined && !isCount(step.session)) problems.push(`${where}.session must be an integer ≥ 0`);
  const call = step.call;
  if (!isObject(call)) problems.push(`${where}.call must be an object`);
  else {
    if (!isRaftMethod(call.method)) problems.push(`${where}.call.method ${show(call.method)} is not a method of the raft-log profile`);
    if (call.args !== undefined && !isObject(call.args)) problems.push(`${where}.call.args must be an object`);
    else if (isRaftMethod(call.method) && isObject(call.args)) {
      const known = RAFT_ARGUMENTS[call.method];
      const unknown = Object.keys(call.args).filter((key) => !known.includes(key));
      if (unknown.length > 0) problems.push(`${where}.call.args has members ${call.method} does not take: ${unknown.join(', ')}`);
    }
  }
  const expected = step.expected;
  if (!isObject(expected) || ('result' in expected) === ('error' in expected)) problems.push(`${where}.expected must hold exactly one of "result" and "error"`);
  else if ('error' in expected && (!isObject(expected.error) || typeof expected.error.code !== 'string' || expected.error.offset !== null)) {
    problems.push(`${where}.expected.error must be {"code": string, "offset": null}`);
  }
  return problems;
}

/** A session's handle after `raft-open`, or undefined after recording why there is none. */
async function openSession(context: CaseContext, dir: string, segmentBytes: number | undefined, session: number, what: string): Promise<string | undefined> {
  const request: Json = { op: 'raft-open', dir };
  if (segmentBytes !== undefined) request.segmentBytes = segmentBytes;
  const response = await context.request(request, { what });
  if (response.ok !== true) {
    const error = response.error;
    context.differ({ path: what, expected: 'success', actual: error, note: `raft-open of session ${session} failed: ${isObject(error) ? `${String(error.code)}${typeof error.message === 'string' ? ` (${error.message})` : ''}` : show(error)}` });
    return undefined;
  }
  if (typeof response.session !== 'string') {
    context.violation(`${what}.session is not a string: ${show(response.session)}`);
    return undefined;
  }
  return response.session;
}

/** Compares one step's response; returns false when it differs (the trace then stops). */
function checkStep(context: CaseContext, label: string, step: CallStep, response: Json, position: number, total: number): boolean {
  const out: Difference[] = [];
  const stopped = `the trace stops at step ${position} of ${total}`;
  const expected = step.expected;
  if ('error' in expected) {
    if (response.ok === true) {
      out.push({ path: label, expected: expected.error, actual: 'success', note: `expected error ${expected.error.code}, got result ${show(response.result)} (${stopped})` });
    } else {
      const error = response.error;
      if (!isObject(error) || typeof error.code !== 'string' || !('offset' in error)) {
        context.violation(`${label}.error must be {"code", "offset", "message"}: ${show(error)}`);
        return false;
      }
      diffJson(`${label}.error`, expected.error, { code: error.code, offset: error.offset }, out);
      if (out.length > 0) out[0] = { ...out[0]!, note: `expected ${show(out[0]!.expected)}, got ${show(out[0]!.actual)}${typeof error.message === 'string' ? ` (${error.message})` : ''} (${stopped})` };
    }
  } else if (response.ok !== true) {
    const error = response.error;
    const detail = isObject(error) ? `${String(error.code)}${typeof error.message === 'string' ? ` (${error.message})` : ''}` : show(error);
    out.push({ path: label, expected: expected.result, actual: error, note: `expected result ${show(expected.result)}, got error ${detail} (${stopped})` });
  } else if (!('result' in response)) {
    context.violation(`${label}: a successful raft-call response needs "result" (null for a call that returns nothing)`);
    return false;
  } else {
    // getStats: a testee may report more than the compared fields (bytes, rates, times).
    if (step.call.method === 'getStats') diffJson(`${label}.result`, expected.result, response.result, out);
    else diffExact(`${label}.result`, expected.result, response.result, out);
    if (out.length > 0) {
      const more = out.length > MAX_STEP_DIFFERENCES ? ` and ${out.length - MAX_STEP_DIFFERENCES} more` : '';
      out.splice(MAX_STEP_DIFFERENCES);
      const last = out.length - 1;
      out[last] = { ...out[last]!, note: `expected ${show(out[last]!.expected)}, got ${show(out[last]!.actual)}${more} (${stopped})` };
    }
  }
  for (const difference of out) context.differ(difference);
  return out.length === 0;
}

export const raftLogProfile: ProfileModule = {
  name: 'raft-log',

  validate(vectorCase: VectorCase, _manifest: Manifest): string[] {
    const c = vectorCase.raw;
    const problems: string[] = [];
    if (c.parameters !== undefined && !isObject(c.parameters)) problems.push('"parameters" must be an object');
    else if (isObject(c.parameters) && c.parameters.segmentBytes !== undefined && (!isCount(c.parameters.segmentBytes) || c.parameters.segmentBytes === 0)) {
      problems.push('"parameters.segmentBytes" must be a positive integer');
    }
    if (!Array.isArray(c.steps) || c.steps.length === 0) return [...problems, '"steps" must be a non-empty array'];
    c.steps.forEach((step: unknown, i) => problems.push(...stepProblems(step, `steps[${i}]`)));
    return problems.slice(0, 10);
  },

  async run(vectorCase: VectorCase, context: CaseContext): Promise<void> {
    const c = vectorCase.raw as Fields & { steps: Step[]; parameters?: Fields };
    const segmentBytes = isObject(c.parameters) && isCount(c.parameters.segmentBytes) ? c.parameters.segmentBytes : undefined;
    const dir = join(context.workDir, 'log');
    try {
      await mkdir(dir);
    } catch (error) {
      throw new VectorProblem(`cannot create the log directory ${dir}: ${(error as Error).message}`);
    }
    /** Session number → the testee's handle (sessions are opened on first use, on the same directory). */
    const handles = new Map<number, string>();
    let kills = 0;
    const open = async (session: number): Promise<boolean> => {
      const handle = await openSession(context, dir, segmentBytes, session, `raft-open[${session}${kills > 0 ? `, after kill ${kills}` : ''}]`);
      if (handle === undefined) return false;
      handles.set(session, handle);
      return true;
    };

    const total = c.steps.length;
    let passed = await open(0);
    for (const [position, step] of c.steps.entries()) {
      if (!passed) break;
      if ('kill' in step) {
        kills++;
        await context.restartTestee();
        const sessions = [...handles.keys()];
        handles.clear();
        for (const session of sessions) if (!(passed = await open(session))) break;
        continue;
      }
      const session = step.session ?? 0;
      if (!handles.has(session) && !(passed = await open(session))) break;
      const { method, args } = step.call;
      const label = `steps[${position}]${session === 0 ? '' : `[session ${session}]`}.${method}`;
      const request: Json = { op: 'raft-call', session: handles.get(session), method };
      if (args !== undefined) request.args = args;
      const response = await context.request(request, { what: `step ${position} (${method})` });
      passed = checkStep(context, label, step, response, position, total);
    }
    // Close every session, even after a difference: the testee process serves the next case.
    for (const [session, handle] of handles) {
      const response = await context.request({ op: 'raft-close', session: handle }, { what: `raft-close[${session}]` });
      if (response.ok !== true && passed) {
        const error = response.error;
        context.differ({ path: `raft-close[${session}]`, expected: 'success', actual: error, note: `raft-close failed: ${isObject(error) ? String(error.code) : show(error)}` });
      }
    }
  },
};
