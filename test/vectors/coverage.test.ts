/**
 * Requirement coverage of the vectors: every requirement of spec/lsfs-format.md (RSF-nnn) and of
 * spec/lsfs-raft-log.md (RLG-nnn) is shown by at least one case or listed, with a reason and the
 * tests that cover it instead, under `notCoveredByVectors`; no case names a requirement the specs do
 * not define.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, loadManifest, specRequirements } from './support.js';

const manifest = loadManifest();
const spec = specRequirements();
const covered = new Set(manifest.cases.flatMap((c) => c.requirements));

describe('requirement coverage of test-vectors/', () => {
  it('finds the requirements in both specs', () => {
    expect([...spec.keys()].filter((id) => id.startsWith('RSF-')).length).toBeGreaterThan(30);
    expect([...spec.keys()].filter((id) => id.startsWith('RLG-')).length).toBeGreaterThan(30);
  });

  it('titles exactly the spec\'s requirements, each with its tag', () => {
    expect(Object.keys(manifest.requirements).sort()).toEqual([...spec.keys()].sort());
    for (const [id, tags] of spec) {
      const title = manifest.requirements[id]!;
      expect(title.startsWith(tags.split('').map((tag) => `[${tag}]`).join('')), `${id}: ${title}`).toBe(true);
    }
  });

  it('covers every requirement by a case or lists it as not coverable', () => {
    const missing = [...spec.keys()].filter((id) => !covered.has(id) && !(id in manifest.notCoveredByVectors));
    expect(missing).toEqual([]);
  });

  it('names no unknown requirement in a case', () => {
    const unknown = manifest.cases.flatMap((c) => c.requirements.filter((id) => !spec.has(id)).map((id) => `${c.id}: ${id}`));
    expect(unknown).toEqual([]);
  });

  it('lists as not coverable only spec requirements that no case covers, each with existing tests', () => {
    for (const [id, why] of Object.entries(manifest.notCoveredByVectors)) {
      expect(spec.has(id), id).toBe(true);
      expect(covered.has(id), `${id} is covered by a case and listed as not coverable`).toBe(false);
      const tests = [...why.matchAll(/test\/[\w./-]+\.test\.ts/g)].map((match) => match[0]);
      expect(tests.length, `${id} names no test`).toBeGreaterThan(0);
      for (const test of tests) expect(existsSync(join(ROOT, test)), `${id}: ${test}`).toBe(true);
    }
  });

  it('has reader and writer cases for every tag they can show', () => {
    const readerIds = new Set(manifest.cases.filter((c) => c.profile === 'reader').flatMap((c) => c.requirements));
    const writerIds = new Set(manifest.cases.filter((c) => c.profile === 'writer').flatMap((c) => c.requirements));
    for (const [id, tags] of spec) {
      if (id in manifest.notCoveredByVectors || !id.startsWith('RSF-')) continue;
      if (tags.includes('R')) expect(readerIds.has(id), `${id} [R] has no reader case`).toBe(true);
      if (tags.includes('W')) expect(writerIds.has(id), `${id} [W] has no writer case`).toBe(true);
    }
  });

  it('shows every API requirement of the Raft log in a raft-log case, or lists it as not coverable', () => {
    const raftIds = new Set(manifest.cases.filter((c) => c.profile === 'raft-log').flatMap((c) => c.requirements));
    const api = [...spec].filter(([id, tags]) => id.startsWith('RLG-') && tags.includes('A')).map(([id]) => id);
    expect(api.length).toBeGreaterThan(20);
    expect(api.filter((id) => !raftIds.has(id) && !(id in manifest.notCoveredByVectors))).toEqual([]);
    // Only raft-log cases name RLG requirements, and they name no RSF requirement.
    for (const c of manifest.cases) {
      const raft = c.requirements.filter((id) => id.startsWith('RLG-'));
      expect(raft.length === c.requirements.length, c.id).toBe(c.profile === 'raft-log');
    }
  });
});
