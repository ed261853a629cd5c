/** Shared helpers of the vector tests: where things are, and the manifest as loaded. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Manifest } from '../../scripts/vectors/types.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const VECTORS = join(ROOT, 'test-vectors');
export const SPEC = join(ROOT, 'spec', 'lsfs-format.md');

export function loadManifest(): Manifest {
  return JSON.parse(readFileSync(join(VECTORS, 'manifest.json'), 'utf8')) as Manifest;
}

/** Every requirement of the spec: id → tag letters (F, W, R), in order of appearance. */
export function specRequirements(): Map<string, string> {
  const text = readFileSync(SPEC, 'utf8');
  const found = new Map<string, string>();
  for (const match of text.matchAll(/\*\*(RSF-\d{3}) ((?:\[[FWR]\])+)\*\*/g)) {
    const [, id, tags] = match;
    if (found.has(id!)) throw new Error(`${id} is defined twice in the spec`);
    found.set(id!, tags!.replace(/[[\]]/g, ''));
  }
  return found;
}
