#!/usr/bin/env node
/**
 * Compiles the Kaitai Struct schemas spec/lsfs.ksy (record files) and spec/lsfs-raft.ksy (the Raft
 * log's final-data files and entries) with the JavaScript build of the Kaitai Struct
 * compiler into spec/generated/{javascript,graphviz,html}/. The JavaScript parser is a UMD module;
 * a package.json marking its directory as CommonJS lets `require` load it from this ESM package.
 * Exits with status 1 and a message when the schema cannot be read or compiled.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMAS = ['lsfs.ksy', 'lsfs-raft.ksy'].map((name) => join(root, 'spec', name));
const outRoot = join(root, 'spec', 'generated');
const TARGETS = ['javascript', 'graphviz', 'html'];

function fail(message, error) {
  const detail = error === undefined ? '' : `: ${describe(error)}`;
  console.error(`build-kaitai: ${message}${detail}`);
  process.exit(1);
}

function describe(error) {
  if (error instanceof Error) return error.message;
  // The Scala.js compiler rejects with its own exception objects; show what they carry.
  if (error && typeof error === 'object') {
    const text = typeof error.toString === 'function' ? error.toString() : '';
    if (text && text !== '[object Object]') return text;
    try {
      return JSON.stringify(error);
    } catch {
      return String(error);
    }
  }
  return String(error);
}

async function readSchema(schemaPath) {
  let source;
  try {
    source = await readFile(schemaPath, 'utf8');
  } catch (error) {
    fail(`cannot read ${schemaPath}`, error);
  }
  let ksy;
  try {
    ksy = parseYaml(source);
  } catch (error) {
    fail(`${schemaPath} is not valid YAML`, error);
  }
  if (ksy === null || typeof ksy !== 'object') fail(`${schemaPath} does not hold a YAML mapping`);
  return ksy;
}

async function loadCompiler() {
  const compilerModule = await import('kaitai-struct-compiler');
  // Since 0.11.0 the module is the compiler object itself (earlier versions exported a constructor).
  const exported = compilerModule.default ?? compilerModule;
  const compiler = typeof exported === 'function' ? new exported() : exported;
  if (typeof compiler.compile !== 'function') fail('kaitai-struct-compiler exposes no compile()');
  return compiler;
}

async function main() {
  const compiler = await loadCompiler();
  const importer = {
    importYaml(name) {
      return Promise.reject(new Error(`the LSFS schemas import nothing, but the compiler asked for ${name}`));
    },
  };

  const outputs = Object.fromEntries(TARGETS.map((target) => [target, {}]));
  for (const schemaPath of SCHEMAS) {
    const ksy = await readSchema(schemaPath);
    for (const target of TARGETS) {
      let files;
      try {
        // structuredClone: the compiler must not see another target's leftovers in the parsed tree.
        files = await compiler.compile(target, structuredClone(ksy), importer, false);
      } catch (error) {
        fail(`compiling ${schemaPath} for ${target} failed`, error);
      }
      if (!files || typeof files !== 'object' || Object.keys(files).length === 0) {
        fail(`compiling ${schemaPath} for ${target} produced no files`);
      }
      Object.assign(outputs[target], files);
    }
  }

  for (const target of TARGETS) {
    const dir = join(outRoot, target);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    for (const [fileName, contents] of Object.entries(outputs[target])) {
      await writeFile(join(dir, fileName), contents);
    }
    if (target === 'javascript') {
      await writeFile(join(dir, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
    }
    console.log(`build-kaitai: ${target}: ${Object.keys(outputs[target]).join(', ')} -> ${dir}`);
  }
}

main().catch((error) => fail('unexpected failure', error));
