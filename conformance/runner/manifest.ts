/**
 * The vector manifest (`test-vectors/manifest.json`, schema `lsfs-vectors/1`, JSON Schema in
 * `spec/vectors.schema.json`): loaded and checked for what the runner relies on. The structure of
 * each case's `expected` is checked by the module of its profile.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const MANIFEST_SCHEMA = 'lsfs-vectors/1';

export interface VectorCase {
  readonly id: string;
  /** The profiles the case needs (the manifest's `profile`, or `profiles`). */
  readonly profiles: readonly string[];
  readonly description: string;
  readonly requirements: readonly string[];
  readonly flags: readonly string[];
  /** The case as it stands in the manifest. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface Manifest {
  /** Absolute path of manifest.json. */
  readonly path: string;
  /** Absolute path of the vectors directory: case files are relative to it. */
  readonly dir: string;
  readonly generator: string;
  readonly formatVersion: number;
  readonly flags: Readonly<Record<string, string>>;
  readonly requirements: Readonly<Record<string, string>>;
  readonly cases: readonly VectorCase[];
}

export class ManifestError extends Error {}

const CASE_ID = /^[a-z0-9][a-z0-9_./-]*$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? (value as string[]) : undefined;
}

/** Loads `DIR/manifest.json` (or the file itself when `location` names a .json file). */
export async function loadManifest(location: string): Promise<Manifest> {
  const path = resolve(location.endsWith('.json') ? location : join(location, 'manifest.json'));
  const dir = resolve(path, '..');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ManifestError(`cannot read the vector manifest ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseManifest(data, path, dir);
}

export function parseManifest(data: unknown, path: string, dir: string): Manifest {
  const problems: string[] = [];
  if (!isObject(data)) throw new ManifestError(`${path}: the manifest must be a JSON object`);
  if (data.schema !== MANIFEST_SCHEMA) problems.push(`"schema" is ${JSON.stringify(data.schema)}, this runner reads ${JSON.stringify(MANIFEST_SCHEMA)}`);
  if (data.formatVersion !== undefined && data.formatVersion !== 1) problems.push(`"formatVersion" is ${JSON.stringify(data.formatVersion)}, this runner knows format version 1`);
  if (!Array.isArray(data.cases)) problems.push('"cases" must be an array');
  const cases: VectorCase[] = [];
  const seen = new Set<string>();
  for (const [position, item] of (Array.isArray(data.cases) ? data.cases : []).entries()) {
    const where = `cases[${position}]`;
    if (!isObject(item)) {
      problems.push(`${where} must be an object`);
      continue;
    }
    const id = item.id;
    if (typeof id !== 'string' || !CASE_ID.test(id)) {
      problems.push(`${where}.id must be a string of lowercase letters, digits and -_./ (got ${JSON.stringify(id)})`);
      continue;
    }
    if (seen.has(id)) problems.push(`case id ${id} appears twice`);
    seen.add(id);
    const profiles = typeof item.profile === 'string' ? [item.profile] : stringList(item.profiles);
    if (profiles === undefined || profiles.length === 0) {
      problems.push(`case ${id}: "profile" must be a profile name`);
      continue;
    }
    cases.push({
      id,
      profiles,
      description: typeof item.description === 'string' ? item.description : '',
      requirements: stringList(item.requirements) ?? [],
      flags: stringList(item.flags) ?? [],
      raw: item,
    });
  }
  if (typeof data.numberOfCases === 'number' && Array.isArray(data.cases) && data.numberOfCases !== data.cases.length) {
    problems.push(`"numberOfCases" is ${data.numberOfCases} but "cases" holds ${data.cases.length}`);
  }
  if (problems.length > 0) throw new ManifestError(`${path} is not a valid ${MANIFEST_SCHEMA} manifest:\n  ${problems.slice(0, 20).join('\n  ')}`);
  const record = (value: unknown): Record<string, string> =>
    isObject(value) ? Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string')) : {};
  return {
    path,
    dir,
    generator: typeof data.generator === 'string' ? data.generator : '',
    formatVersion: typeof data.formatVersion === 'number' ? data.formatVersion : 1,
    flags: record(data.flags),
    requirements: record(data.requirements),
    cases,
  };
}

/** The category a case is reported under: its id up to the last `/` (or its profile). */
export function categoryOf(vectorCase: VectorCase): string {
  const slash = vectorCase.id.lastIndexOf('/');
  return slash > 0 ? vectorCase.id.slice(0, slash) : (vectorCase.profiles[0] ?? 'other');
}

/** `--filter`: a glob (`*` any run of characters, `?` one) matches whole ids, anything else is a substring. */
export function caseFilter(patterns: readonly string[]): (id: string) => boolean {
  if (patterns.length === 0) return () => true;
  const tests = patterns.map((pattern) => {
    if (!/[*?]/.test(pattern)) return (id: string) => id.includes(pattern);
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    const regex = new RegExp(`^${source}$`);
    return (id: string) => regex.test(id);
  });
  return (id) => tests.some((test) => test(id));
}
