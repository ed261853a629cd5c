/** Helpers of the conformance runner tests: running the runner, and a small XML well-formedness check. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RUNNER = join(ROOT, 'conformance', 'bin', 'lsfs-conformance.js');
export const FIXTURE_VECTORS = join(ROOT, 'test', 'conformance', 'fixtures', 'vectors');
export const BROKEN_TESTEE = join(ROOT, 'test', 'conformance', 'fixtures', 'broken-testee.mjs');

/** The command line of the broken testee with a fault (see broken-testee.mjs). */
export function broken(fault: string, trigger?: string): string {
  return [process.execPath, BROKEN_TESTEE, fault, ...(trigger === undefined ? [] : [trigger])].map((word) => `'${word}'`).join(' ');
}

export interface RunOutcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export const REAL_VECTORS = join(ROOT, 'test-vectors');

/**
 * Runs `lsfs-conformance` with `args`, against the fixture vectors unless --vectors is given or
 * `realVectors` is set (then with the runner's defaults: test-vectors/).
 */
export function runRunner(args: readonly string[], timeoutMs = 60_000, realVectors = false): Promise<RunOutcome> {
  if (!existsSync(join(ROOT, 'dist', 'conformance', 'runner', 'main.js'))) {
    throw new Error('dist/conformance/runner/main.js is missing: run `npx tsc -p tsconfig.json` (or `npm run build`) first');
  }
  const withVectors = args.includes('--vectors') || realVectors ? args : ['--vectors', FIXTURE_VECTORS, ...args];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [RUNNER, ...withVectors], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the runner did not finish within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr });
    });
  });
}

export interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string, where: string): string {
  return text.replace(/&([a-z]+|#[0-9]+|#x[0-9a-fA-F]+);|&/g, (whole, entity: string | undefined) => {
    if (entity === undefined) throw new Error(`a bare & in ${where}`);
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    const value = ENTITIES[entity];
    if (value === undefined) throw new Error(`unknown entity ${whole} in ${where}`);
    return value;
  });
}

/**
 * Parses the subset of XML 1.0 that reports use (declaration, elements, attributes, text, no
 * DTD, comments or CDATA) and throws on anything not well-formed: unbalanced or crossed tags,
 * unquoted or duplicate attributes, bare `&` or `<`, characters XML forbids, text outside the root.
 */
export function parseXml(xml: string): XmlElement {
  if (/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u.test(xml)) throw new Error('a character XML 1.0 cannot hold');
  let at = 0;
  const declaration = /^<\?xml[^?]*\?>\s*/.exec(xml);
  if (declaration !== null) at = declaration[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
  while (at < xml.length) {
    const next = xml.indexOf('<', at);
    const text = next === -1 ? xml.slice(at) : xml.slice(at, next);
    if (text.trim() !== '') {
      const parent = stack.at(-1);
      if (parent === undefined) throw new Error(`text outside the root element: ${JSON.stringify(text.slice(0, 40))}`);
      parent.text += decode(text, `<${parent.name}>`);
    }
    if (next === -1) break;
    tag.lastIndex = next;
    const match = tag.exec(xml);
    if (match === null) throw new Error(`malformed markup at ${next}: ${JSON.stringify(xml.slice(next, next + 60))}`);
    const [whole, closing, name, attributeText, selfClosing] = match;
    at = next + whole.length;
    if (closing === '/') {
      const open = stack.pop();
      if (open?.name !== name) throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}>`);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const attribute of (attributeText ?? '').matchAll(/([A-Za-z_][\w.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      const key = attribute[1]!;
      if (key in attributes) throw new Error(`duplicate attribute ${key} on <${name}>`);
      attributes[key] = decode(attribute[2] ?? attribute[3] ?? '', `attribute ${key}`);
    }
    const element: XmlElement = { name: name!, attributes, children: [], text: '' };
    const parent = stack.at(-1);
    if (parent !== undefined) parent.children.push(element);
    else if (root !== undefined) throw new Error('a second root element');
    else root = element;
    if (selfClosing !== '/') stack.push(element);
  }
  if (stack.length > 0) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  if (root === undefined) throw new Error('no root element');
  return root;
}
