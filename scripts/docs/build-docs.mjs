#!/usr/bin/env node
/**
 * Builds the documentation site (issue 7) into docs/ (or --out DIR):
 *
 *   index.html            what LSFS is, links to everything, and the table of every field on disk
 *   format/               diagrams of every structure (Kaitai's graphviz output rendered to SVG),
 *                         Kaitai's html output, and the format overview
 *   hex/                  annotated hex views of small example files (test vectors once they exist)
 *   spec/                 the specs and the conformance protocol rendered from Markdown
 *   api/                  the API reference (TypeDoc; fails on an undocumented export)
 *   coverage.html, coverage.md   requirements × vectors × tests
 *   benchmarks.html       docs/benchmarks.md rendered, when it exists
 *
 * Usage: node scripts/docs/build-docs.mjs [--out DIR] [--allow-uncovered]
 *
 * Exits 1 with a list of what is wrong when: the schema does not compile, the schema and the spec's
 * field tables disagree, an exported item has no doc comment, or (without --allow-uncovered) a
 * requirement is named by neither a test vector nor a test. Needs `npm run build` first (the hex
 * views use the engine in dist/ until test vectors exist). Everything is deterministic: the same
 * sources give the same bytes (no time stamps).
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { apiEntryPoints, buildApi } from './lib/api.mjs';
import { DEFAULT_OUT, DocsError, ROOT, escapeHtml, pageHtml, relativeUrl, repoHas, siteUrl, writeOut } from './lib/common.mjs';
import { coverageHtmlBody, coverageMarkdown, coverageMatrix, scanTests } from './lib/coverage.mjs';
import { offlineKaitaiHtml, renderDot } from './lib/diagrams.mjs';
import { chooseExamples, loadVectors } from './lib/examples.mjs';
import { STRUCTURES, fieldAnchor, fieldCatalog } from './lib/fields.mjs';
import { hexViewBody, rangeAnchor } from './lib/hexview.mjs';
import { compileSchemas, loadParser } from './lib/kaitai.mjs';
import { renderMarkdown } from './lib/markdown.mjs';
import { loadRequirements, presentDocuments, presentSpecs } from './lib/specs.mjs';

/** What the build writes into the output directory; everything else there (docs/benchmarks.md, docs/.gitignore) is left alone. */
const GENERATED = ['index.html', 'assets', 'format', 'hex', 'spec', 'api', 'coverage.html', 'coverage.md', 'benchmarks.html'];

async function main() {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, 'allow-uncovered': { type: 'boolean', default: false } },
  });
  const out = resolve(values.out ?? DEFAULT_OUT);
  const log = (message) => console.log(`docs: ${message}`);

  // --- Sources.
  const requirements = await loadRequirements();
  const knownIds = new Set(requirements.map((r) => r.id));
  const schemas = await compileSchemas();
  const lsfs = schemas.find((s) => s.name === 'lsfs');
  if (!lsfs) throw new DocsError('spec/lsfs.ksy is missing');
  const parser = loadParser(lsfs.debugParser);
  const fields = await fieldCatalog(lsfs.ksy, knownIds);
  const vectors = await loadVectors();
  const mentions = await scanTests();
  const matrix = coverageMatrix(requirements, vectors, mentions);
  const { examples, exercised } = await chooseExamples(vectors, parser);
  const documents = presentDocuments();
  log(`${requirements.length} requirements, ${fields.length} fields, ${schemas.length} schema(s), ${vectors ? `${vectors.length} vector case(s)` : 'no test vectors yet'}, ${examples.length} hex view(s)`);

  for (const path of GENERATED) await rm(join(out, path), { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await mkdir(join(out, 'assets'), { recursive: true });
  await copyFile(join(ROOT, 'scripts', 'docs', 'assets', 'style.css'), join(out, 'assets', 'style.css'));

  // --- Links, relative to the page being written.
  const specFor = (id) => presentSpecs().find((s) => id.startsWith(`${s.prefix}-`));
  const exampleByCase = new Map(examples.flatMap((e) => e.caseIds.map((id) => [id, e])));
  const fieldsByRequirement = new Map();
  for (const field of fields) for (const id of field.requirements) fieldsByRequirement.set(id, [...(fieldsByRequirement.get(id) ?? []), field]);
  const linker = (page) => {
    const to = (sitePath) => siteUrl(page, out, sitePath);
    const self = {
      to,
      requirement: (id) => {
        const spec = specFor(id);
        if (!spec || !knownIds.has(id)) return undefined;
        return join(out, spec.out) === page ? `#${id}` : `${to(spec.out)}#${id}`;
      },
      coverage: (id) => `${to('coverage.html')}#${id}`,
      field: (key) => `${to('index.html')}#${fieldAnchor(key)}`,
      document: (repoRelative) => {
        const doc = documents.find((d) => d.source === repoRelative);
        return doc ? to(doc.out) : undefined;
      },
      repoFile: (repoRelative) => relativeUrl(page, join(ROOT, repoRelative)),
      vector: (caseId) => {
        const example = exampleByCase.get(caseId);
        if (example) return `<a href="${to(`hex/${example.id}.html`)}" title="hex view">${escapeHtml(caseId)}</a>`;
        const file = vectors?.find((c) => c.id === caseId)?.files[0];
        return file ? `<a href="${relativeUrl(page, file)}"><code>${escapeHtml(caseId)}</code></a>` : `<code>${escapeHtml(caseId)}</code>`;
      },
      fields: (id) => (fieldsByRequirement.get(id) ?? []).map((f) => `<a href="${self.field(f.key)}">${escapeHtml(f.key)}</a>`).join(', '),
    };
    return self;
  };
  const writePage = async (sitePath, title, body, wide = false) => {
    const file = join(out, sitePath);
    await writeOut(file, pageHtml({ file, site: out, title, body: typeof body === 'function' ? body(linker(file)) : body, wide }));
  };

  // --- Format: diagrams and Kaitai's html.
  for (const schema of schemas) {
    await writeOut(join(out, 'format', `${schema.name}.svg`), await renderDot(schema.dot, schema.source));
    const kaitaiFile = join(out, 'format', `${schema.name}.kaitai.html`);
    await writeOut(kaitaiFile, offlineKaitaiHtml(schema.html, { styleHref: relativeUrl(kaitaiFile, join(out, 'assets', 'style.css')), backHref: 'index.html', title: schema.source }));
  }
  await writePage('format/index.html', 'Format documentation', (l) => formatBody(l, schemas, examples));

  // --- Hex views.
  for (const example of examples) {
    await writePage(`hex/${example.id}.html`, `Hex view: ${example.title}`, (l) => hexViewBody(example.bytes, example.annotation, example, l), true);
  }

  // --- Specs and other Markdown documents.
  for (const doc of documents) {
    const file = join(out, doc.out);
    const l = linker(file);
    const html = await renderMarkdown(doc, l);
    const note = `<p class="source">Rendered from <a href="${l.repoFile(doc.source)}"><code>${escapeHtml(doc.source)}</code></a>${doc.prefix ? '; each requirement links to its row of the <a href="' + l.to('coverage.html') + '">coverage matrix</a>' : ''}.</p>`;
    await writeOut(file, pageHtml({ file, site: out, title: doc.title, body: `${note}\n${html}` }));
  }

  // --- Coverage.
  await writeOut(join(out, 'coverage.md'), coverageMarkdown(matrix, presentSpecs()));
  await writePage('coverage.html', 'Requirement coverage', (l) => coverageHtmlBody(matrix, l), true);

  // --- API reference. A failure is reported at the end, with the other failures.
  const failures = [];
  let entryPoints = apiEntryPoints();
  try {
    entryPoints = buildApi(join(out, 'api')).entryPoints;
    log(`API reference of ${entryPoints.join(', ')}`);
  } catch (error) {
    if (!(error instanceof DocsError)) throw error;
    failures.push(error.message);
  }

  // --- Index.
  await writePage('index.html', 'Documentation', (l) => indexBody(l, { fields, examples, exercised, matrix, documents, schemas, entryPoints, vectors }), true);

  log(`wrote ${out}`);
  log(`coverage: ${matrix.rows.length} requirements, ${matrix.neither.length} named by neither a vector nor a test, ${matrix.noTest.length} without a test, ${matrix.noVector.length} without a vector`);
  if (matrix.neither.length > 0) {
    const why = vectors === undefined ? ' (test-vectors/manifest.json does not exist yet)' : '';
    const message = `${matrix.neither.length} requirement(s) have neither a test vector nor a test${why}:\n  ${matrix.neither.join(' ')}`;
    if (values['allow-uncovered']) log(`warning: ${message}`);
    else failures.push(message);
  }
  if (failures.length > 0) throw new DocsError(failures.map((f, i) => `(${i + 1}) ${f}`).join('\n'));
}

function formatBody(l, schemas, examples) {
  const sections = schemas.map((schema) => {
    const doc = String(schema.ksy.doc ?? '').split('\n\n')[0];
    return `<section id="${schema.name}">
<h2><code>${escapeHtml(schema.source)}</code>: ${escapeHtml(schema.ksy.meta?.title ?? schema.name)}</h2>
<p>${escapeHtml(doc)}</p>
<p><a href="${schema.name}.kaitai.html">Every type and field of the schema</a> (Kaitai Struct's html output) ·
<a href="${schema.name}.svg">the diagram at full size</a> · <a href="${l.repoFile(schema.source)}">the schema</a></p>
<figure><a href="${schema.name}.svg"><img class="diagram" src="${schema.name}.svg" alt="Diagram of every structure of ${escapeHtml(schema.source)}"></a>
<figcaption>Every structure of <code>${escapeHtml(schema.source)}</code>: Kaitai Struct's graphviz output, rendered by Graphviz (@viz-js/viz). Each box is a type; each row a field with its position, size and type.</figcaption></figure>
</section>`;
  });
  const hexList = examples.map((e) => `<li><a href="${l.to(`hex/${e.id}.html`)}">${escapeHtml(e.title)}</a> — ${e.bytes.length} bytes${e.fromVector ? ' (test vector)' : ' (made by the engine)'}</li>`).join('\n');
  return `<h1>Format documentation</h1>
<p>The format is defined byte for byte by <a href="${l.to('spec/lsfs-format.html')}">the specification</a>; the
Kaitai Struct schema describes the same bytes in a form tools can run. The table of <a href="${l.to('index.html#fields')}">every field on disk</a>
gives each field's offset, meaning and governing requirement.</p>
<h2>Annotated hex views</h2>
<ul>
${hexList}
</ul>
${sections.join('\n')}`;
}

function indexBody(l, { fields, examples, exercised, matrix, documents, schemas, entryPoints, vectors }) {
  const doc = (source) => documents.find((d) => d.source === source);
  const docLink = (source, text) => (doc(source) ? `<a href="${l.to(doc(source).out)}">${text}</a>` : `${text} <em>(not written yet)</em>`);
  const structureRows = STRUCTURES.map((structure) => {
    const own = fields.filter((f) => f.structure === structure);
    return own
      .map((field, i) => {
        // A slice's data is shown split into the record header and payload: link to where it starts.
        const matches = (r) => (field.key === 'slice.data' ? r.structure === 'record_header' || r.structure === 'record' : `${r.structure}.${r.field}` === field.key);
        const shownIn = examples
          .map((e) => ({ e, range: e.annotation.ranges.find(matches) }))
          .filter((x) => x.range)
          .slice(0, 2)
          .map(({ e, range }) => `<a href="${l.to(`hex/${e.id}.html`)}#${rangeAnchor(range)}" title="${escapeHtml(e.title)}">${escapeHtml(e.short)}</a> @${range.start}`);
        const others = [...new Set((exercised.get(field.key) ?? []).map((x) => x.caseId))];
        const more = others.length > 0 ? `<div class="more">${others.length} vector(s): ${others.slice(0, 4).map((id) => `<code>${escapeHtml(id)}</code>`).join(', ')}${others.length > 4 ? ', …' : ''}</div>` : '';
        const place = i === 0 ? `<td class="sw" rowspan="${own.length}"><a href="${l.to(`spec/lsfs-format.html`)}#sec-${structure.section}">${escapeHtml(structure.title)}</a> (§${structure.section})<div class="where">${escapeHtml(structure.where)}</div></td>` : '';
        return `<tr id="${fieldAnchor(field.key)}" class="s-${structure.key}">
  ${place}<td><code>${escapeHtml(field.field)}</code></td><td class="num">${escapeHtml(field.offset)}</td><td class="num">${escapeHtml(field.size)}</td>
  <td>${escapeHtml(field.meaning)}${field.enumValues && !field.meaning.includes(field.enumValues) ? `<div class="enum">${escapeHtml(field.enumValues)}</div>` : ''}</td>
  <td>${field.requirements.map((id) => `<a href="${l.requirement(id)}">${id}</a>`).join(' ')}</td>
  <td class="examples">${shownIn.join('<br>') || '—'}${more}</td></tr>`;
      })
      .join('\n');
  }).join('\n');
  const hexList = examples.map((e) => `<li><a href="${l.to(`hex/${e.id}.html`)}">${escapeHtml(e.title)}</a> (${e.bytes.length} bytes${e.fromVector ? ', test vector' : ', made by the engine until test vectors exist'})</li>`).join('\n');
  const apiList = entryPoints.map((entry) => `<code>${escapeHtml(entry)}</code>`).join(' and ');
  const total = matrix.rows.length;
  return `<h1>LSFS documentation</h1>
<p class="lead">LSFS is a file format for append-only logs of typed records — the format a Raft node, a
write-ahead log or an event store can trust with its data. Records are laid out in fixed-size blocks
with checksums on every byte, so a reader detects a torn tail, a flipped bit, a stale or misplaced
block; the newest record is found from the tail without scanning, any record by index in O(log n)
block reads; and the bytes are canonical. These pages are for people who implement LSFS in another
language, who use the reference engine or its Raft log, or who want to understand the bytes.</p>

<div class="cards">
<section><h2>Specification</h2><ul>
  <li>${docLink('spec/lsfs-format.md', 'LSFS format specification')} (requirements <code>RSF-nnn</code>)</li>
  <li>${docLink('spec/lsfs-raft-log.md', 'Raft log specification')} (requirements <code>RLG-nnn</code>)</li>
  <li>${docLink('conformance/PROTOCOL.md', 'Conformance protocol')} (runner ↔ implementation under test)</li>
</ul></section>
<section><h2>Format</h2><ul>
  <li><a href="${l.to('format/index.html')}">Diagrams of every structure</a> (${schemas.map((s) => `<a href="${l.to(`format/${s.name}.svg`)}">${escapeHtml(s.name)}.svg</a>`).join(', ')})</li>
  <li>Kaitai Struct html: ${schemas.map((s) => `<a href="${l.to(`format/${s.name}.kaitai.html`)}">${escapeHtml(s.source)}</a>`).join(', ')}</li>
  <li><a href="#fields">Every field on disk</a>: offset, meaning, requirement, vectors</li>
</ul></section>
<section><h2>Hex views</h2><ul>
${hexList}
</ul></section>
<section><h2>Code and evidence</h2><ul>
  <li><a href="${l.to('api/index.html')}">API reference</a> (${apiList})</li>
  <li><a href="${l.to('coverage.html')}">Coverage matrix</a>: ${total} requirements, ${total - matrix.noVector.length} with a vector, ${total - matrix.noTest.length} with a test${matrix.neither.length ? `, <strong>${matrix.neither.length} with neither</strong>` : ''}</li>
  <li>${docLink('docs/benchmarks.md', 'Benchmarks')}</li>
  <li><a href="${l.repoFile('README.md')}">README</a> · <a href="${l.repoFile('spec/lsfs.ksy')}">spec/lsfs.ksy</a>${repoHas('test-vectors/manifest.json') ? ` · <a href="${l.repoFile('test-vectors/manifest.json')}">test-vectors/manifest.json</a>` : ''}</li>
</ul></section>
</div>

<h2 id="fields">Every field on disk</h2>
<p>Offsets are from the start of the structure; the structure's own place in the file is under its
name. The fields, sizes and order come from <code>spec/lsfs.ksy</code>, checked against the spec's
tables; the meaning is the spec's. All integers are unsigned little-endian. The last column links
to the field in ${vectors ? 'test vectors' : 'example files (made by the engine until test vectors exist)'}, shown as annotated hex.</p>
<table class="fields">
<thead><tr><th>structure</th><th>field</th><th>offset</th><th>size</th><th>meaning</th><th>requirements</th><th>in an example file</th></tr></thead>
<tbody>
${structureRows}
</tbody>
</table>`;
}

main().catch((error) => {
  if (error instanceof DocsError) {
    console.error(`docs: FAILED: ${error.message}`);
  } else {
    console.error('docs: FAILED with an unexpected error:', error);
  }
  process.exit(1);
});
