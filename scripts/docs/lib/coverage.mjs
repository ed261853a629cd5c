/**
 * The coverage matrix: for every numbered requirement of the specs, the test vectors that name it
 * (test-vectors/manifest.json, `cases[].requirements`) and the tests that name it (a requirement id
 * in a test title or a comment of test/**\/*.test.ts or conformance/**\/*.test.ts, e.g.
 * `// covers RSF-042` above the tests, or `it('checks slices in the order of RSF-042', ...)`).
 * test/docs/ is left out: the documentation's own tests cover no requirement.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REQUIREMENT_ID, ROOT, escapeHtml } from './common.mjs';

const TEST_ROOTS = ['test', 'conformance'];
const TITLE = /\b(?:describe|it|test)(?:\.\w+)*\s*\(\s*(['"`])((?:\\.|(?!\1).)*)\1/;

/** @typedef {{ id: string, file: string, line: number, title: string }} TestMention */

/** Every `*.test.ts` under test/ and conformance/, repository-relative, sorted. */
async function testFiles() {
  const files = [];
  for (const dir of TEST_ROOTS) {
    let entries;
    try {
      entries = await readdir(join(ROOT, dir), { recursive: true, withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.test.ts')) continue;
      const path = join(entry.parentPath ?? entry.path, entry.name);
      const file = path.slice(ROOT.length + 1).split('\\').join('/');
      // The docs' own tests name requirement ids only as examples: they cover none.
      if (!file.includes('/node_modules/') && !file.startsWith('test/docs/')) files.push(file);
    }
  }
  return files.sort();
}

const indentOf = (line) => /^\s*/.exec(line)[0].length;

/**
 * The test a mention on `lines[index]` belongs to: the title on its own line if it has one,
 * otherwise the nearest enclosing `describe` (by indentation), otherwise the file.
 */
function titleFor(lines, index) {
  const own = TITLE.exec(lines[index]);
  const titles = [];
  if (own) titles.unshift(own[2]);
  let indent = indentOf(lines[index]);
  for (let i = index - 1; i >= 0 && indent > 0; i--) {
    if (lines[i].trim() === '') continue;
    const lineIndent = indentOf(lines[i]);
    if (lineIndent >= indent) continue;
    indent = lineIndent;
    const match = /\bdescribe(?:\.\w+)*\s*\(/.test(lines[i]) ? TITLE.exec(lines[i]) : null;
    if (match) titles.unshift(match[2]);
  }
  return titles.join(' › ');
}

/** @returns {Promise<TestMention[]>} */
export async function scanTests() {
  const mentions = [];
  for (const file of await testFiles()) {
    const lines = (await readFile(join(ROOT, file), 'utf8')).split('\n');
    lines.forEach((line, i) => {
      const ids = new Set(line.match(REQUIREMENT_ID) ?? []);
      for (const id of ids) mentions.push({ id, file, line: i + 1, title: titleFor(lines, i) });
    });
  }
  return mentions;
}

/**
 * @typedef {{ requirement: import('./specs.mjs').Requirement, vectors: string[],
 *   tests: TestMention[] }} CoverageRow
 */

/**
 * The matrix, and what is missing. `vectors` is the manifest's cases (undefined before it exists).
 */
export function coverageMatrix(requirements, vectors, mentions) {
  const known = new Set(requirements.map((r) => r.id));
  const rows = requirements.map((requirement) => ({
    requirement,
    vectors: (vectors ?? []).filter((c) => c.requirements.includes(requirement.id)).map((c) => c.id).sort(),
    tests: mentions.filter((m) => m.id === requirement.id),
  }));
  const unknownInVectors = [...new Set((vectors ?? []).flatMap((c) => c.requirements.filter((id) => !known.has(id)).map((id) => `${id} (case ${c.id})`)))].sort();
  const unknownInTests = [...new Set(mentions.filter((m) => !known.has(m.id)).map((m) => `${m.id} (${m.file}:${m.line})`))].sort();
  return {
    rows,
    neither: rows.filter((r) => r.vectors.length === 0 && r.tests.length === 0).map((r) => r.requirement.id),
    noTest: rows.filter((r) => r.tests.length === 0).map((r) => r.requirement.id),
    noVector: rows.filter((r) => r.vectors.length === 0).map((r) => r.requirement.id),
    unknownInVectors,
    unknownInTests,
    vectorsPresent: vectors !== undefined,
  };
}

/** One entry per test (file › title), however many lines of it name the requirement. */
function distinctTests(tests) {
  const seen = new Map();
  for (const t of tests) {
    const key = `${t.file}\u0000${t.title}`;
    if (!seen.has(key)) seen.set(key, t);
  }
  return [...seen.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

const mdEscape = (text) => text.replaceAll('|', '\\|').replaceAll('<', '&lt;');

/**
 * The checked-in docs/coverage.md: deterministic, and free of line numbers so that it changes
 * only when coverage changes. Its links are relative to docs/.
 */
export function coverageMarkdown(matrix, specs) {
  const out = [];
  const sources = [...specs.map((s) => `\`${s.source}\``), '`test-vectors/manifest.json`', 'the requirement ids named in `test/**/*.test.ts` and `conformance/**/*.test.ts`'];
  out.push('# LSFS requirement coverage', '');
  out.push(`Generated by \`npm run docs\` (\`scripts/docs/build-docs.mjs\`) from ${sources.join(', ')}; do not edit. A test names the requirements it covers in its title or in a comment (\`// covers RSF-042\`); a vector names them in \`cases[].requirements\`. The HTML version, with line numbers and links to the hex views, is \`docs/coverage.html\`.`, '');
  out.push(summaryLine(matrix), '');
  if (!matrix.vectorsPresent) out.push('`test-vectors/manifest.json` does not exist yet: no requirement is covered by a vector.', '');
  out.push('| requirement | who | section | summary | vectors | tests |', '|---|---|---|---|---|---|');
  for (const row of matrix.rows) {
    const r = row.requirement;
    const vectors = row.vectors.length === 0 ? '—' : row.vectors.map((v) => `\`${v}\``).join(', ');
    const tests = distinctTests(row.tests);
    const testText = tests.length === 0 ? '—' : tests.map((t) => `[${mdEscape(t.file.replace(/^test\//, ''))}](../${t.file})${t.title ? ` › ${mdEscape(t.title)}` : ''}`).join('<br>');
    out.push(`| [${r.id}](../${r.spec.source}) | ${r.party} | ${mdEscape(r.section)} | ${mdEscape(r.summary)} | ${vectors} | ${testText} |`);
  }
  out.push('', ...gapSections(matrix, (id) => id));
  return `${out.join('\n').trimEnd()}\n`;
}

function summaryLine(matrix) {
  const total = matrix.rows.length;
  const withVector = total - matrix.noVector.length;
  const withTest = total - matrix.noTest.length;
  return `${total} requirements: ${withVector} named by a vector, ${withTest} by a test, ${matrix.neither.length} by neither.`;
}

function gapSections(matrix, show) {
  const list = (ids) => (ids.length === 0 ? 'none' : ids.map(show).join(', '));
  const out = [];
  out.push('## Requirements with neither a vector nor a test', '', `${list(matrix.neither)}`, '');
  out.push('## Requirements without a test', '', `${list(matrix.noTest)}`, '');
  out.push('## Requirements without a vector', '', `${list(matrix.noVector)}`, '');
  if (matrix.unknownInVectors.length + matrix.unknownInTests.length > 0) {
    out.push('## Ids that no spec defines', '', 'Named by a vector or a test but defined by none of the specs (a typo, or a spec not written yet):', '');
    for (const item of [...matrix.unknownInVectors, ...matrix.unknownInTests]) out.push(`- ${item.replace(/\(([^)]*)\)/, '(`$1`)')}`);
    out.push('');
  }
  return out;
}

/**
 * The body of docs/coverage.html. `links` gives URLs relative to the page: `requirement(id)`,
 * `repoFile(path, line?)`, `vector(caseId)`, and `fields(id)` (the fields a requirement governs).
 */
export function coverageHtmlBody(matrix, links) {
  const rows = matrix.rows
    .map((row) => {
      const r = row.requirement;
      const status = row.vectors.length === 0 && row.tests.length === 0 ? 'none' : row.vectors.length === 0 || row.tests.length === 0 ? 'partial' : 'full';
      const vectors = row.vectors.length === 0 ? '—' : row.vectors.map((v) => links.vector(v)).join('<br>');
      const tests =
        row.tests.length === 0
          ? '—'
          : distinctTests(row.tests)
              .map((t) => {
                const lines = row.tests.filter((m) => m.file === t.file && m.title === t.title).map((m) => `<a href="${links.repoFile(m.file)}">${m.line}</a>`);
                return `<a href="${links.repoFile(t.file)}">${escapeHtml(t.file)}</a>:${lines.join(',')}${t.title ? ` › ${escapeHtml(t.title)}` : ''}`;
              })
              .join('<br>');
      const fields = links.fields(r.id);
      return `<tr id="${r.id}" class="cov-${status}">
  <td><a href="${links.requirement(r.id)}">${r.id}</a></td><td>${escapeHtml(r.party)}</td><td>${escapeHtml(r.section)}</td>
  <td>${escapeHtml(r.summary)}${fields ? `<div class="fieldrefs">fields: ${fields}</div>` : ''}</td><td>${vectors}</td><td>${tests}</td></tr>`;
    })
    .join('\n');
  const gaps = gapSections(matrix, (id) => `<a href="#${id}">${id}</a>`)
    .map((line) => (line.startsWith('## ') ? `<h2>${escapeHtml(line.slice(3))}</h2>` : line.startsWith('- ') ? `<p>${escapeHtml(line.slice(2)).replaceAll('`', '')}</p>` : line === '' ? '' : `<p>${line}</p>`))
    .join('\n');
  return `<h1>Requirement coverage</h1>
<p>Every numbered requirement of the specs, with the test vectors (<code>test-vectors/manifest.json</code>,
<code>cases[].requirements</code>) and the tests (a requirement id in a test title or comment of
<code>test/**/*.test.ts</code>) that name it. Rows without either are marked <span class="cov-none">red</span>,
rows with only one of them <span class="cov-partial">amber</span>.</p>
<p><strong>${escapeHtml(summaryLine(matrix))}</strong>${matrix.vectorsPresent ? '' : ' <code>test-vectors/manifest.json</code> does not exist yet.'}</p>
<table class="coverage">
<thead><tr><th>requirement</th><th>who</th><th>section</th><th>summary</th><th>vectors</th><th>tests</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${gaps}`;
}
