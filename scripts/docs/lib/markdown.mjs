/**
 * Renders the Markdown documents (specs, conformance protocol, benchmarks) to HTML with `marked`:
 * GitHub-style heading ids, an extra `sec-N` anchor per numbered section so that `§N` can link to
 * it, an anchor on every requirement definition (`#RSF-042`) with a link to its coverage row, and
 * every requirement id in the text linked to its definition. Relative links to other documents go
 * to their HTML; links to other repository files go to the files themselves.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Marked } from 'marked';
import { ROOT, escapeHtml, repoPath, slug } from './common.mjs';

/**
 * @param {{ source: string, out: string }} doc the document (repository-relative source, site-relative output)
 * @param {{ requirement: (id: string) => string | undefined, coverage: (id: string) => string,
 *   document: (repoRelative: string) => string | undefined, repoFile: (repoRelative: string) => string }} links
 *   URLs relative to the output page
 */
export async function renderMarkdown(doc, links) {
  const markdown = await readFile(join(ROOT, doc.source), 'utf8');
  const sections = new Set([...markdown.matchAll(/^#{2,4}\s+(\d+(?:\.\d+)*)\.?\s/gm)].map((m) => m[1]));
  const usedIds = new Map();
  const uniqueId = (base) => {
    const count = usedIds.get(base) ?? 0;
    usedIds.set(base, count + 1);
    return count === 0 ? base : `${base}-${count}`;
  };
  const resolveHref = (href) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('#')) return href;
    const [path, fragment] = href.split('#');
    const target = repoPath(resolve(ROOT, dirname(doc.source), decodeURI(path)));
    const rendered = links.document(target);
    if (rendered) return fragment ? `${rendered}#${fragment}` : rendered;
    return links.repoFile(target) + (fragment ? `#${fragment}` : '');
  };

  const marked = new Marked({
    gfm: true,
    extensions: [
      {
        name: 'requirementRef',
        level: 'inline',
        start: (src) => src.search(/\b(RSF|RLG)-\d{3}\b/),
        tokenizer(src) {
          const match = /^(RSF|RLG)-\d{3}\b/.exec(src);
          return match ? { type: 'requirementRef', raw: match[0], id: match[0] } : undefined;
        },
        renderer(token) {
          const href = links.requirement(token.id);
          return href ? `<a class="req" href="${href}">${token.id}</a>` : token.id;
        },
      },
      {
        name: 'sectionRef',
        level: 'inline',
        start: (src) => src.indexOf('§'),
        tokenizer(src) {
          const match = /^§(\d+(?:\.\d+)*)/.exec(src);
          return match ? { type: 'sectionRef', raw: match[0], number: match[1] } : undefined;
        },
        renderer(token) {
          return sections.has(token.number) ? `<a href="#sec-${token.number}">§${token.number}</a>` : `§${token.number}`;
        },
      },
    ],
    renderer: {
      heading({ tokens, depth, text }) {
        const inner = this.parser.parseInline(tokens);
        const id = uniqueId(slug(text));
        const number = /^(\d+(?:\.\d+)*)\.?\s/.exec(text)?.[1];
        const extra = number && depth >= 2 && !usedIds.has(`sec-${number}`) ? (usedIds.set(`sec-${number}`, 1), `<a id="sec-${number}"></a>`) : '';
        return `<h${depth} id="${id}">${extra}${inner}</h${depth}>\n`;
      },
      link({ href, title, tokens }) {
        const text = this.parser.parseInline(tokens);
        return `<a href="${escapeHtml(resolveHref(href))}"${title ? ` title="${escapeHtml(title)}"` : ''}>${text}</a>`;
      },
      image({ href, title, text }) {
        return `<img src="${escapeHtml(resolveHref(href))}" alt="${escapeHtml(text)}"${title ? ` title="${escapeHtml(title)}"` : ''}>`;
      },
    },
  });
  let html = marked.parse(markdown);
  // Requirement definitions: an anchor on the list item, and a link to its row of the matrix.
  html = html.replace(/<li>((?:<p>)?)<strong><a class="req" href="[^"]*">((?:RSF|RLG)-\d{3})<\/a>/g, (whole, p, id) => {
    return `<li id="${id}" class="requirement">${p}<a class="covlink" href="${links.coverage(id)}" title="vectors and tests of ${id}">coverage</a><strong><a class="req" href="#${id}">${id}</a>`;
  });
  return html;
}
