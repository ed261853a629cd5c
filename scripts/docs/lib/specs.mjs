/**
 * The specifications and their numbered requirements. A requirement is defined by a list item that
 * starts with its bold id, e.g. `- **RSF-042 [R]** A reader MUST ...`; the letter in brackets says
 * who must obey it ([F] the file, [W] a writer, [R] a reader).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DocsError, ROOT, repoHas } from './common.mjs';

/**
 * The Markdown documents rendered to HTML. `prefix` marks a normative spec whose requirements enter
 * the coverage matrix; a document that does not exist (yet) is left out.
 */
const DOCUMENTS = [
  { source: 'spec/lsfs-format.md', out: 'spec/lsfs-format.html', title: 'LSFS format specification', prefix: 'RSF' },
  { source: 'spec/lsfs-raft-log.md', out: 'spec/lsfs-raft-log.html', title: 'LSFS Raft log specification', prefix: 'RLG' },
  { source: 'conformance/PROTOCOL.md', out: 'spec/conformance-protocol.html', title: 'Conformance protocol' },
  { source: 'docs/benchmarks.md', out: 'benchmarks.html', title: 'Benchmarks' },
];

/** The documents that exist in the repository now. */
export function presentDocuments() {
  return DOCUMENTS.filter((doc) => repoHas(doc.source));
}

/** The normative specs that exist now (those with a requirement prefix). */
export function presentSpecs() {
  return presentDocuments().filter((doc) => doc.prefix !== undefined);
}

const DEFINITION = /^\s*[-*]\s+\*\*((?:RSF|RLG)-\d{3})(?:\s+\[([A-Z]+)\])?\*\*\s*(.*)$/;
const HEADING = /^(#{1,6})\s+(.*)$/;

/** Markdown inline syntax reduced to plain text, for summaries. */
export function plainText(markdown) {
  return markdown
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\*\*([^*]*)\*\*/g, '$1')
    .replace(/\*([^*]*)\*/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The first sentence of `text`, at most `max` characters. */
function firstSentence(text, max = 160) {
  const match = /^(.+?\.)(\s|$)/.exec(text);
  const sentence = match ? match[1] : text;
  return sentence.length <= max ? sentence : `${sentence.slice(0, max - 1).trimEnd()}…`;
}

/**
 * @typedef {{ id: string, party: string, section: string, sectionNumber: string, text: string,
 *   summary: string, spec: { source: string, out: string, title: string, prefix: string } }} Requirement
 */

/**
 * Every requirement of every present spec, in document order. Fails on a duplicate definition or an
 * id of the wrong prefix for its document.
 * @returns {Promise<Requirement[]>}
 */
export async function loadRequirements() {
  /** @type {Requirement[]} */
  const requirements = [];
  const seen = new Map();
  for (const spec of presentSpecs()) {
    const lines = (await readFile(join(ROOT, spec.source), 'utf8')).split('\n');
    let section = '';
    let sectionNumber = '';
    let inFence = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (/^\s*```/.test(line)) inFence = !inFence;
      if (inFence) continue;
      const heading = HEADING.exec(line);
      if (heading && heading[1].length === 2) {
        section = plainText(heading[2]);
        sectionNumber = /^(\d+|Appendix [A-Z])/.exec(section)?.[1] ?? '';
        continue;
      }
      const definition = DEFINITION.exec(line);
      if (!definition) continue;
      const [, id, party = '', first] = definition;
      if (!id.startsWith(`${spec.prefix}-`)) {
        throw new DocsError(`${spec.source}:${i + 1}: requirement ${id} does not have this spec's prefix ${spec.prefix}`);
      }
      if (seen.has(id)) throw new DocsError(`${spec.source}:${i + 1}: requirement ${id} is defined twice (first at ${seen.get(id)})`);
      seen.set(id, `${spec.source}:${i + 1}`);
      // The definition continues on the following indented lines (a nested list included).
      const parts = [first];
      while (i + 1 < lines.length && /^\s{2,}\S/.test(lines[i + 1]) && !DEFINITION.exec(lines[i + 1])) parts.push(lines[++i]);
      const text = plainText(parts.join(' '));
      requirements.push({ id, party, section, sectionNumber, text, summary: firstSentence(text), spec });
    }
  }
  return requirements;
}

/**
 * The field tables of a spec (`| offset | size | field | value |`): for each table, its rows with
 * the field name taken from the backticks. Used to check the Kaitai schema against the spec and to
 * give each field the spec's own description.
 * @returns {Promise<{ heading: string, rows: { offset: string, size: string, field: string, value: string }[] }[]>}
 */
export async function loadFieldTables(source) {
  const lines = (await readFile(join(ROOT, source), 'utf8')).split('\n');
  const tables = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const h = HEADING.exec(lines[i]);
    if (h) heading = plainText(h[2]);
    const cells = splitRow(lines[i]);
    if (!cells || cells.join('|').toLowerCase() !== 'offset|size|field|value') continue;
    const rows = [];
    for (i += 2; i < lines.length && splitRow(lines[i]); i++) {
      const [offset, size, field, value] = splitRow(lines[i]);
      rows.push({ offset, size, field: plainText(field), value: plainText(value) });
    }
    tables.push({ heading, rows });
  }
  return tables;
}

function splitRow(line) {
  if (!/^\s*\|.*\|\s*$/.test(line)) return undefined;
  return line.trim().slice(1, -1).split('|').map((cell) => cell.trim());
}
