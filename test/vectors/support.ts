/** Shared helpers of the vector tests: where things are, and the manifest as loaded. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Manifest } from '../../scripts/vectors/types.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const VECTORS = join(ROOT, 'test-vectors');
export const SPEC = join(ROOT, 'spec', 'lsfs-format.md');
export const RAFT_SPEC = join(ROOT, 'spec', 'lsfs-raft-log.md');

export function loadManifest(): Manifest {
  return JSON.parse(readFileSync(join(VECTORS, 'manifest.json'), 'utf8')) as Manifest;
}

/**
 * Every requirement of the specs: id → tag letters (A, F, W, R), in order of appearance; RSF-nnn
 * from spec/lsfs-format.md, then RLG-nnn from spec/lsfs-raft-log.md.
 */
export function specRequirements(): Map<string, string> {
  const found = new Map<string, string>();
  for (const [path, prefix] of [
    [SPEC, 'RSF'],
    [RAFT_SPEC, 'RLG'],
  ] as const) {
    const text = readFileSync(path, 'utf8');
    for (const match of text.matchAll(new RegExp(`\\*\\*(${prefix}-\\d{3}) ((?:\\[[AFWR]\\])+)\\*\\*`, 'g'))) {
      const [, id, tags] = match;
      if (found.has(id!)) throw new Error(`${id} is defined twice in the specs`);
      found.set(id!, tags!.replace(/[[\]]/g, ''));
    }
  }
  return found;
}
