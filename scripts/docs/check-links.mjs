#!/usr/bin/env node
/**
 * Checks the generated documentation in a real headless browser: loads index.html from the file
 * system (file://), then every HTML page of the site it links to, transitively, and reports
 *
 *   - a link (`a[href]`) to a file that does not exist, or to an anchor that the target page lacks;
 *   - an image that did not load (naturalWidth 0), or a style sheet, script or other resource that
 *     failed to load;
 *   - any request that would leave the file system (the docs must work offline);
 *   - a script error on a page.
 *
 * Links to http(s) addresses are allowed (and listed) but not followed. Uses Debian's chromium
 * driven by playwright-core.
 *
 * Usage: node scripts/docs/check-links.mjs [SITE_DIR] (default docs/); exit 1 when anything is broken.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where Debian's chromium package puts the browser; CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * @param {string} siteDir the generated site (holds index.html)
 * @returns {Promise<{ pages: number, checkedLinks: number, external: string[], problems: string[] }>}
 */
export async function checkSite(siteDir, { executablePath = CHROMIUM_PATH, log = () => {} } = {}) {
  const site = resolve(siteDir);
  const index = join(site, 'index.html');
  if (!existsSync(index)) return { pages: 0, checkedLinks: 0, external: [], problems: [`${index} does not exist`] };
  const { chromium } = await import('playwright-core');
  const userDataDir = await mkdtemp(join(tmpdir(), 'lsfs-docs-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: CHROMIUM_ARGS });
  const problems = [];
  const external = new Set();
  const anchorsByPage = new Map();
  const wantedAnchors = [];
  let checkedLinks = 0;
  const shown = (url) => {
    if (!url.startsWith('file:')) return url;
    const path = fileURLToPath(url.split('#')[0]);
    const hash = url.includes('#') ? `#${url.split('#')[1]}` : '';
    return (path.startsWith(site + sep) ? path.slice(site.length + 1) : path) + hash;
  };
  try {
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
      problems.push(`a page requested ${url}: the docs must work offline`);
      return route.abort();
    });
    const page = context.pages()[0] ?? (await context.newPage());
    let current = '';
    page.on('requestfailed', (request) => {
      // A file that exists but failed is Chromium's file:// origin rule (TypeDoc's icons.svg, which its
      // icons.js replaces); only a missing file is a broken reference.
      const url = request.url();
      if (url.startsWith('file:') && !existsSync(fileURLToPath(url.split('#')[0]))) problems.push(`${shown(current)}: ${request.resourceType()} ${shown(request.url())} failed to load (${request.failure()?.errorText ?? 'error'})`);
    });
    page.on('pageerror', (error) => problems.push(`${shown(current)}: script error: ${error.message}`));

    const queue = [pathToFileURL(index).href];
    const visited = new Set(queue);
    while (queue.length > 0) {
      current = queue.shift();
      const response = await page.goto(current, { waitUntil: 'load' });
      if (!response) {
        problems.push(`${shown(current)}: did not load`);
        continue;
      }
      const found = await page.evaluate(() => {
        const attr = (selector, name) => [...document.querySelectorAll(selector)].map((el) => el[name]).filter((v) => typeof v === 'string' && v !== '');
        return {
          links: attr('a[href]', 'href'),
          images: [...document.images].map((img) => ({ src: img.currentSrc || img.src, ok: img.complete && img.naturalWidth > 0 })),
          resources: [...attr('link[href]', 'href'), ...attr('script[src]', 'src'), ...attr('iframe[src]', 'src'), ...attr('object[data]', 'data')],
          anchors: [...document.querySelectorAll('[id]')].map((el) => el.id).concat([...document.querySelectorAll('a[name]')].map((el) => el.getAttribute('name'))),
        };
      });
      const here = current.split('#')[0];
      anchorsByPage.set(here, new Set(found.anchors));
      for (const image of found.images) if (!image.ok) problems.push(`${shown(current)}: image ${shown(image.src)} did not load (naturalWidth 0)`);
      for (const url of found.resources) {
        if (url.startsWith('file:') && !existsSync(fileURLToPath(url.split('#')[0]))) problems.push(`${shown(current)}: resource ${shown(url)} does not exist`);
      }
      for (const url of found.links) {
        checkedLinks++;
        if (/^https?:/.test(url)) {
          external.add(url);
          continue;
        }
        if (!url.startsWith('file:')) continue; // mailto:, javascript:, data:
        const [target, fragment] = url.split('#');
        const path = fileURLToPath(target);
        if (!existsSync(path)) {
          problems.push(`${shown(current)}: link to ${shown(url)}: no such file`);
          continue;
        }
        const isHtml = statSync(path).isFile() && /\.html?$/.test(path);
        if (isHtml && fragment !== undefined && fragment !== '') wantedAnchors.push({ from: current, target, fragment, url });
        if (isHtml && path.startsWith(site + sep) && !visited.has(target)) {
          visited.add(target);
          queue.push(target);
        }
      }
      log(`checked ${shown(current)}`);
    }
    for (const { from, target, fragment, url } of wantedAnchors) {
      const anchors = anchorsByPage.get(target);
      if (!anchors) continue; // an HTML file outside the site: its existence was checked
      let id = fragment;
      try {
        id = decodeURIComponent(fragment);
      } catch {
        /* keep it as written */
      }
      if (!anchors.has(id)) problems.push(`${shown(from)}: link to ${shown(url)}: the page has no anchor #${id}`);
    }
    return { pages: visited.size, checkedLinks, external: [...external].sort(), problems: [...new Set(problems)] };
  } finally {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const site = process.argv[2] ?? join(fileURLToPath(new URL('../..', import.meta.url)), 'docs');
  if (!existsSync(CHROMIUM_PATH)) {
    console.error(`check-links: no chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
    process.exit(2);
  }
  const result = await checkSite(site);
  console.log(`check-links: ${result.pages} pages, ${result.checkedLinks} links, ${result.external.length} external link(s) not followed`);
  for (const problem of result.problems) console.error(`check-links: ${problem}`);
  process.exit(result.problems.length === 0 ? 0 : 1);
}
