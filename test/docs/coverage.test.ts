/**
 * The coverage matrix (issue 7): every numbered requirement of the specs (RSF-nnn, RLG-nnn) is named
 * by a test vector (test-vectors/manifest.json, `cases[].requirements`) or by a test (an id in a
 * test title or comment, e.g. `// covers RSF-nnn`), and the checked-in docs/coverage.md is the one
 * `npm run docs` generates from the current sources.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { coverageMarkdown, coverageMatrix, scanTests } from '../../scripts/docs/lib/coverage.mjs';
import { loadVectors } from '../../scripts/docs/lib/examples.mjs';
import { loadRequirements, presentSpecs } from '../../scripts/docs/lib/specs.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function matrix() {
  const requirements = await loadRequirements();
  return coverageMatrix(requirements, await loadVectors(), await scanTests());
}

describe('requirement coverage', () => {
  it('finds the requirements of the specs', async () => {
    const requirements = await loadRequirements();
    expect(requirements.length).toBeGreaterThan(30);
    expect(requirements.every((r) => /^(RSF|RLG)-\d{3}$/.test(r.id))).toBe(true);
  });

  it('every requirement is named by a test vector or a test', async () => {
    const m = await matrix();
    const why = m.vectorsPresent ? '' : ' (test-vectors/manifest.json does not exist yet)';
    expect(m.neither, `requirements named by neither a vector nor a test${why}: ${m.neither.join(' ')}`).toEqual([]);
  });

  it('docs/coverage.md is up to date (run `npm run docs` after adding tests, vectors or requirements)', async () => {
    const expected = coverageMarkdown(await matrix(), presentSpecs());
    const actual = readFileSync(join(ROOT, 'docs', 'coverage.md'), 'utf8');
    expect(actual, 'docs/coverage.md is stale: run `npm run docs` and commit it').toBe(expected);
  });
});
