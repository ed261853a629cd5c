/**
 * Compiles the Kaitai Struct schemas (spec/*.ksy) for the documentation: the graphviz and html
 * outputs that `npm run build` also makes, and a JavaScript parser compiled with debug=true, which
 * records in `_debug` the stream position of every field it reads. The docs use that parse tree to
 * label each byte of an example file with its field.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DocsError, ROOT } from './common.mjs';

const require = createRequire(import.meta.url);

/** Same compiler set-up as scripts/build-kaitai.mjs. */
async function compiler() {
  const compilerModule = await import('kaitai-struct-compiler');
  const exported = compilerModule.default ?? compilerModule;
  const instance = typeof exported === 'function' ? new exported() : exported;
  if (typeof instance.compile !== 'function') throw new DocsError('kaitai-struct-compiler exposes no compile()');
  return instance;
}

function describe(error) {
  if (error instanceof Error) return error.message;
  const text = error && typeof error.toString === 'function' ? error.toString() : '';
  return text && text !== '[object Object]' ? text : JSON.stringify(error);
}

/**
 * @typedef {{ name: string, source: string, ksy: any, dot: string, html: string, debugParser?: string }} CompiledSchema
 */

/**
 * Every spec/*.ksy, compiled. `debugParser` (JavaScript source) is made for lsfs.ksy only: it is the
 * schema whose example files get a hex view.
 * @returns {Promise<CompiledSchema[]>}
 */
export async function compileSchemas() {
  const ksc = await compiler();
  // lsfs.ksy first: the record file format is what the docs are mostly about.
  const names = (await readdir(join(ROOT, 'spec')))
    .filter((name) => name.endsWith('.ksy'))
    .sort((a, b) => Number(b === 'lsfs.ksy') - Number(a === 'lsfs.ksy') || a.localeCompare(b));
  const importer = {
    importYaml: (name) => Promise.reject(new Error(`the docs build resolves no imports, but the compiler asked for ${name}`)),
  };
  const compiled = [];
  for (const fileName of names) {
    const source = `spec/${fileName}`;
    const ksy = parseYaml(await readFile(join(ROOT, source), 'utf8'));
    const one = async (target, debug) => {
      let files;
      try {
        files = await ksc.compile(target, structuredClone(ksy), importer, debug);
      } catch (error) {
        throw new DocsError(`compiling ${source} for ${target}${debug ? ' (debug)' : ''} failed: ${describe(error)}`);
      }
      const values = Object.values(files ?? {});
      if (values.length !== 1) throw new DocsError(`compiling ${source} for ${target} gave ${values.length} files, expected 1`);
      return values[0];
    };
    const name = fileName.replace(/\.ksy$/, '');
    compiled.push({
      name,
      source,
      ksy,
      dot: await one('graphviz', false),
      html: await one('html', false),
      debugParser: name === 'lsfs' ? await one('javascript', true) : undefined,
    });
  }
  return compiled;
}

/**
 * Loads a generated UMD parser from its source text, with the `kaitai-struct` runtime. Returns the
 * module's exports (for lsfs.ksy: `{ Lsfs }`).
 */
export function loadParser(source) {
  const KaitaiStream = require('kaitai-struct/KaitaiStream');
  const exports = {};
  const requireRuntime = (name) => {
    if (name === 'kaitai-struct/KaitaiStream') return KaitaiStream;
    throw new DocsError(`generated parser requires ${name}, which the docs build does not provide`);
  };
  // The UMD wrapper takes the CommonJS branch: `exports` is an object and `define` is undefined.
  new Function('exports', 'require', source)(exports, requireRuntime);
  return { exports, KaitaiStream };
}
