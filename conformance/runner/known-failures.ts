/**
 * The known-failures file (PROTOCOL.md §8): the case ids a testee is expected to fail. Accepted
 * forms, all JSON:
 *
 *     ["read/x", "write/y"]                                   ids only
 *     [{"id": "read/x", "reason": "why"}, "write/y"]          ids with reasons
 *     {"read/x": "why", "write/y": "why"}                     id → reason
 *     {"cases": <any of the above>, ...}                      with other fields of your own
 */
import { readFile } from 'node:fs/promises';

export class KnownFailuresError extends Error {}

/** id → reason (empty when none was given). */
export type KnownFailures = ReadonlyMap<string, string>;

export function parseKnownFailures(data: unknown, where: string): KnownFailures {
  const result = new Map<string, string>();
  const fail = (why: string): never => {
    throw new KnownFailuresError(`${where}: ${why}`);
  };
  const add = (id: unknown, reason: unknown): void => {
    if (typeof id !== 'string' || id === '') fail(`a case id must be a non-empty string, got ${JSON.stringify(id)}`);
    if (reason !== undefined && typeof reason !== 'string') fail(`the reason for ${String(id)} must be a string`);
    if (result.has(id as string)) fail(`${String(id)} is listed twice`);
    result.set(id as string, (reason as string | undefined) ?? '');
  };
  let list = data;
  if (typeof list === 'object' && list !== null && !Array.isArray(list) && 'cases' in list) list = (list as { cases: unknown }).cases;
  if (Array.isArray(list)) {
    for (const item of list) {
      if (typeof item === 'string') add(item, undefined);
      else if (typeof item === 'object' && item !== null && !Array.isArray(item)) add((item as { id?: unknown }).id, (item as { reason?: unknown }).reason);
      else fail(`entries must be case ids or {"id", "reason"} objects, got ${JSON.stringify(item)}`);
    }
  } else if (typeof list === 'object' && list !== null) {
    for (const [id, reason] of Object.entries(list)) add(id, reason);
  } else {
    fail('expected a JSON array of case ids (or an object of id → reason)');
  }
  return result;
}

export async function loadKnownFailures(path: string): Promise<KnownFailures> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new KnownFailuresError(`cannot read the known-failures file ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new KnownFailuresError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseKnownFailures(data, path);
}
