/**
 * Regenerates the vectors into a temporary folder and compares every byte with the checked-in
 * test-vectors/: a change of the engine's behaviour (or of the generator) cannot slip through
 * without the vectors being regenerated and reviewed (`npm run vectors`).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateVectors } from '../../scripts/vectors/generate.js';
import { VECTORS } from './support.js';

const out = mkdtempSync(join(tmpdir(), 'lsfs-vectors-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function listed(dir: string): string[] {
  const files = readdirSync(join(dir, 'files'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'));
  return [...files, 'manifest.json'].sort();
}

describe('regenerating test-vectors/', () => {
  it('gives exactly the checked-in files and manifest, byte for byte', async () => {
    const started = Date.now();
    const result = await generateVectors(out);
    expect(Date.now() - started).toBeLessThan(60_000);
    // The engine agreed with itself everywhere, and every known disagreement with the spec is still there.
    expect(result.observations).toEqual([]);
    expect(listed(out)).toEqual(listed(VECTORS));
    expect(result.files).toEqual(listed(VECTORS));
    const differing = result.files.filter((file) => !readFileSync(join(out, file)).equals(readFileSync(join(VECTORS, file))));
    expect(differing, 'run `npm run vectors` and review the diff').toEqual([]);
  });

  it('is deterministic: a second run in the same process gives the same manifest', async () => {
    const again = mkdtempSync(join(tmpdir(), 'lsfs-vectors-'));
    try {
      await generateVectors(again);
      expect(readFileSync(join(again, 'manifest.json')).equals(readFileSync(join(out, 'manifest.json')))).toBe(true);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  });
});
