/**
 * Example files for the hex views, and the test vectors. The examples are files of
 * test-vectors/manifest.json when it exists (a small set chosen so that together they show every
 * field and slice kind that any small vector shows); until then, two small files that the
 * reference engine's canonical layout (src/format/layout.ts, built into dist/) makes.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DocsError, ROOT, escapeHtml, repoPath } from './common.mjs';
import { annotate, featuresOf } from './hexview.mjs';

export const VECTORS_DIR = join(ROOT, 'test-vectors');
export const MANIFEST = join(VECTORS_DIR, 'manifest.json');

/** Largest file shown as a hex view, and the limit for a field that no smaller file shows. */
const HEX_VIEW_MAX_BYTES = 4096;
const HEX_VIEW_MAX_BYTES_FOR_MISSING_FIELD = 16384;
/** Most vector files shown as hex views. */
const HEX_VIEW_MAX_FILES = 8;
const FILE_MAGIC = Buffer.from([0x89, 0x4c, 0x53, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * @typedef {{ id: string, description: string, requirements: string[], files: string[] }} VectorCase
 */

/**
 * The cases of test-vectors/manifest.json, or undefined when there is no manifest yet. A case is
 * read loosely: its id is `id` (or `name`), its requirements `requirements`, its description
 * `description` (or `comment`, `title`), and its files every string in it that names an existing
 * file under test-vectors/.
 * @returns {Promise<VectorCase[] | undefined>}
 */
export async function loadVectors() {
  if (!existsSync(MANIFEST)) return undefined;
  let manifest;
  try {
    manifest = JSON.parse(await readFile(MANIFEST, 'utf8'));
  } catch (error) {
    throw new DocsError(`test-vectors/manifest.json is not valid JSON: ${error.message}`);
  }
  if (!manifest || !Array.isArray(manifest.cases)) throw new DocsError('test-vectors/manifest.json has no "cases" array');
  const problems = [];
  const cases = manifest.cases.map((entry, i) => {
    const id = entry?.id ?? entry?.name;
    if (typeof id !== 'string') problems.push(`cases[${i}] has no string "id"`);
    const requirements = entry?.requirements ?? [];
    if (!Array.isArray(requirements) || requirements.some((r) => typeof r !== 'string')) problems.push(`case ${id}: "requirements" is not an array of strings`);
    const description = [entry?.description, entry?.comment, entry?.title].find((d) => typeof d === 'string') ?? '';
    const files = new Set();
    const visit = (value) => {
      if (typeof value === 'string') {
        for (const base of [VECTORS_DIR, ROOT]) {
          const candidate = isAbsolute(value) ? value : resolve(base, value);
          if (candidate.startsWith(VECTORS_DIR) && candidate !== MANIFEST && existsSync(candidate) && statSync(candidate).isFile()) {
            files.add(candidate);
            break;
          }
        }
      } else if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object') Object.values(value).forEach(visit);
    };
    visit(entry);
    return { id: String(id), description, requirements: Array.isArray(requirements) ? requirements.map(String) : [], files: [...files].sort() };
  });
  const ids = new Set();
  for (const c of cases) {
    if (ids.has(c.id)) problems.push(`case id ${c.id} appears twice`);
    ids.add(c.id);
  }
  if (problems.length > 0) throw new DocsError(`test-vectors/manifest.json:\n  ${problems.join('\n  ')}`);
  return cases;
}

/**
 * @typedef {{ id: string, title: string, description: string, requirements: string[],
 *   source: string, bytes: Buffer, annotation: any, fromVector: boolean, caseIds: string[] }} Example
 */

/**
 * The hex-view examples, and for every vector file that the schema parses whole, the fields it
 * shows (to tell, for each field, which vectors exercise it).
 * @returns {Promise<{ examples: Example[], exercised: Map<string, { caseId: string, file: string }[]> }>}
 */
export async function chooseExamples(vectors, parser) {
  const exercised = new Map();
  if (vectors === undefined) return { examples: await engineExamples(parser), exercised };

  // Every LSFS file a case names, annotated when the schema parses it whole.
  const candidates = [];
  const byFile = new Map();
  for (const c of vectors) {
    for (const file of c.files) {
      if (!byFile.has(file)) byFile.set(file, { file, caseIds: [], requirements: new Set(), description: c.description });
      const entry = byFile.get(file);
      entry.caseIds.push(c.id);
      c.requirements.forEach((r) => entry.requirements.add(r));
    }
  }
  for (const entry of byFile.values()) {
    const bytes = await readFile(entry.file);
    if (bytes.length < 64 || !bytes.subarray(0, 8).equals(FILE_MAGIC) || bytes.length > 1 << 20) continue;
    const annotation = annotate(bytes, parser);
    if ('error' in annotation) continue;
    const features = featuresOf(annotation);
    for (const feature of features) {
      if (!exercised.has(feature)) exercised.set(feature, []);
      exercised.get(feature).push({ caseId: entry.caseIds[0], file: entry.file });
    }
    if (bytes.length <= HEX_VIEW_MAX_BYTES_FOR_MISSING_FIELD) candidates.push({ ...entry, bytes, annotation, features });
  }
  // Greedy cover: the file that shows the most fields not shown yet; the smaller one on a tie.
  // Small files first; a larger one only for a field that no small file shows.
  const chosen = [];
  const covered = new Set();
  for (const limit of [HEX_VIEW_MAX_BYTES, HEX_VIEW_MAX_BYTES_FOR_MISSING_FIELD]) {
    while (chosen.length < HEX_VIEW_MAX_FILES) {
      let best;
      let bestGain = 0;
      for (const candidate of candidates) {
        if (chosen.includes(candidate) || candidate.bytes.length > limit) continue;
        const gain = [...candidate.features].filter((f) => !covered.has(f)).length;
        if (gain > bestGain || (gain === bestGain && gain > 0 && candidate.bytes.length < best.bytes.length)) {
          best = candidate;
          bestGain = gain;
        }
      }
      if (!best) break;
      chosen.push(best);
      best.features.forEach((f) => covered.add(f));
    }
  }
  const examples = chosen.map((c) => ({
    id: safeName(c.caseIds[0]),
    title: c.caseIds[0],
    short: c.caseIds[0],
    description: `Test vector <code>${escapeHtml(c.caseIds.join(', '))}</code>${c.description ? `: ${escapeHtml(c.description)}` : ''}.`,
    requirements: [...c.requirements].sort(),
    sourcePath: repoPath(c.file),
    source: `<code>${escapeHtml(repoPath(c.file))}</code>`,
    bytes: c.bytes,
    annotation: c.annotation,
    fromVector: true,
    caseIds: c.caseIds,
  }));
  return { examples, exercised };
}

function safeName(id) {
  return id.replace(/[^a-z0-9._-]+/gi, '-');
}

/** The engine's canonical layout, from the build in dist/ (made by `npm run build`). */
async function engineLayout() {
  const layout = join(ROOT, 'dist', 'src', 'format', 'layout.js');
  const header = join(ROOT, 'dist', 'src', 'format', 'file-header.js');
  if (!existsSync(layout) || !existsSync(header)) throw new DocsError('dist/ is missing: run `npm run build` before the docs build');
  const { encodeRecord } = await import(pathToFileURL(layout).href);
  const { encodeFileHeader } = await import(pathToFileURL(header).href);
  return { encodeRecord, encodeFileHeader };
}

/** Two small files made with the engine, for the hex views until test vectors exist. */
async function engineExamples(parser) {
  const { encodeRecord, encodeFileHeader } = await engineLayout();
  const make = (blockSize, fileId, baseIndex, records) => {
    const parts = [encodeFileHeader({ blockSize, fileId, baseIndex })];
    let position = 64;
    let index = baseIndex;
    for (const [typeCode, payload] of records) {
      const bytes = encodeRecord(position, index++, typeCode, payload, { blockSize, fileId });
      parts.push(bytes);
      position += bytes.length;
    }
    return Buffer.concat(parts);
  };
  const pattern = (length, seed) => Buffer.from(Array.from({ length }, (_, i) => 0x61 + ((i + seed) % 26)));
  const specs = [
    {
      id: 'engine-two-records',
      title: 'two small records',
      short: 'two-records',
      description: 'Made by the reference engine (no test vector yet): block size 512, base index 0, record 0 of type 1 with payload "hello", record 1 of type 2 with an empty payload. Both are FULL slices in block 0.',
      bytes: make(512, 0x0123456789abcdefn, 0n, [[1n, Buffer.from('hello')], [2n, Buffer.alloc(0)]]),
      requirements: ['RSF-020', 'RSF-043', 'RSF-060'],
    },
    {
      id: 'engine-spanning-and-padding',
      title: 'a record across three blocks, and padding',
      short: 'spanning',
      description: 'Made by the reference engine (no test vector yet): block size 512, base index 100. Record 100 (FULL) is followed by record 101, whose 1000-byte payload is cut into a FIRST slice (block 0), a MIDDLE slice (block 1) and a LAST slice (block 2); record 102 leaves 10 bytes in block 2, so record 103 starts in block 3 after 10 bytes of zero padding.',
      bytes: make(512, 0x5eed5eed5eed5eedn, 100n, [[1n, Buffer.from('hello')], [7n, pattern(1000, 0)], [8n, pattern(297, 3)], [9n, Buffer.from('bye')]]),
      requirements: ['RSF-032', 'RSF-043', 'RSF-060', 'RSF-061'],
    },
  ];
  return specs.map((spec) => {
    const annotation = annotate(spec.bytes, parser);
    if ('error' in annotation) throw new DocsError(`the schema cannot parse the engine's example ${spec.id}: ${annotation.error}`);
    return { ...spec, source: `made by <code>encodeRecord</code> (<code>src/format/layout.ts</code>), ${spec.bytes.length} bytes`, annotation, fromVector: false, caseIds: [] };
  });
}
