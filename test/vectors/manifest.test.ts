/**
 * test-vectors/manifest.json against spec/vectors.schema.json (ajv, JSON Schema 2020-12), and the
 * facts a schema cannot state: files and hashes, record payloads against their hashes, and the
 * relations the protocol defines between expectations (backward, from, lookups).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { RAFT_ENTRY_FIELDS, RAFT_GETTERS, RAFT_STATS_FIELDS } from '../../conformance/lib/raft-protocol.js';
import type { RaftCase, ReaderCase, RecordJson, WriterCase } from '../../scripts/vectors/types.js';
import { ROOT, VECTORS, loadManifest } from './support.js';

const manifest = loadManifest();
const readers = manifest.cases.filter((c): c is ReaderCase => c.profile === 'reader');
const writers = manifest.cases.filter((c): c is WriterCase => c.profile === 'writer');
const rafts = manifest.cases.filter((c): c is RaftCase => c.profile === 'raft-log');
const U64 = /^(0|[1-9][0-9]*)$/;
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

describe('test-vectors/manifest.json', () => {
  it('is valid against spec/vectors.schema.json', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'spec', 'vectors.schema.json'), 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
    const validate = ajv.compile(schema);
    const valid = validate(manifest);
    expect(valid ? [] : validate.errors?.slice(0, 20)).toEqual([]);
  });

  it('counts its cases, has unique ids, and defines every flag it uses', () => {
    expect(manifest.numberOfCases).toBe(manifest.cases.length);
    const ids = manifest.cases.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    const used = new Set(manifest.cases.flatMap((c) => c.flags));
    expect([...used].filter((flag) => !(flag in manifest.flags))).toEqual([]);
    expect(Object.keys(manifest.flags).filter((flag) => !used.has(flag))).toEqual([]);
  });

  it('names files that exist with the given size and sha256, and no other file', () => {
    const named = new Set<string>();
    const check = (file: string, size: number, hash: string): void => {
      const path = join(VECTORS, file);
      expect(existsSync(path), file).toBe(true);
      const bytes = readFileSync(path);
      expect(bytes.length, file).toBe(size);
      expect(sha256(bytes), file).toBe(hash);
      named.add(file);
    };
    for (const c of readers) check(c.file, c.size, c.sha256);
    for (const c of writers) if (c.expected.file !== undefined) check(c.expected.file, c.expected.size!, c.expected.sha256!);
    const onDisk = filesUnder(join(VECTORS, 'files')).map((path) => relative(VECTORS, path).split('\\').join('/'));
    expect(onDisk.filter((file) => !named.has(file))).toEqual([]);
  });

  it('gives record objects whose hex matches their length and sha256', () => {
    const records: RecordJson[] = readers.flatMap((c) => [
      ...c.expected.strict.records,
      ...c.expected.salvage.records,
      ...(c.expected.lookups ?? []).flatMap((lookup) => ('record' in lookup ? [lookup.record] : [])),
    ]);
    for (const record of records) {
      if (record.hex === undefined) continue;
      const payload = Buffer.from(record.hex, 'hex');
      expect(payload.length).toBe(record.length);
      expect(sha256(payload)).toBe(record.sha256);
    }
  });

  it('keeps the relations the protocol defines between the expectations of a reader case', () => {
    for (const c of readers) {
      const { strict, salvage, backward, lookups, from, openInfo } = c.expected;
      const where = c.id;
      expect(strict.gaps, where).toEqual([]);
      expect(salvage.error === null || 'error' in openInfo, where).toBe(true);
      const indexes = strict.records.map((record) => BigInt(record.index));
      for (let i = 1; i < indexes.length; i++) expect(indexes[i]! > indexes[i - 1]!, where).toBe(true);
      if (strict.error === null) {
        expect(backward, where).toEqual({ ...strict, records: [...strict.records].reverse() });
        // A file without interior damage: salvage gives the strict read's records and tail, no gap (RSF-072 item 3).
        expect(salvage, where).toEqual(strict);
      } else {
        expect(backward, where).toBeUndefined();
      }
      for (const entry of from ?? []) {
        const full = entry.mode === 'strict' ? strict : salvage;
        expect(entry.records, `${where} from ${entry.from}`).toEqual(full.records.filter((record) => BigInt(record.index) >= BigInt(entry.from)));
      }
      for (const lookup of lookups ?? []) {
        if (!('record' in lookup)) continue;
        expect(strict.records.find((record) => record.index === lookup.index), `${where} lookup ${lookup.index}`).toEqual(lookup.record);
      }
      if (!('error' in openInfo)) {
        expect(openInfo.blockSize, where).toBe(c.parameters.blockSize);
        expect(openInfo.fileId, where).toBe(c.parameters.fileId);
        expect(openInfo.baseIndex, where).toBe(c.parameters.baseIndex);
      }
    }
  });

  it('gives writer refusals offset null, and an operation exactly when the refusal is of an operation', () => {
    for (const c of writers) {
      if (!('error' in c.expected)) continue;
      expect(c.expected.error.offset, c.id).toBeNull();
      if (c.expected.error.operation !== undefined) expect(c.operations[c.expected.error.operation], c.id).toBeDefined();
    }
  });

  it('has raft-log cases whose every restart and kill is followed by a check of every getter', () => {
    expect(rafts.length).toBeGreaterThan(20);
    for (const c of rafts) {
      expect(c.id.startsWith('raft/'), c.id).toBe(true);
      /** Sessions started, and sessions stopped (or killed) after a start: their next start is a restart. */
      const running = new Set<number>();
      const stopped = new Set<number>();
      let checking: { from: number; session: number; seen: Set<string> } | undefined;
      const finish = (at: number): void => {
        if (checking === undefined) return;
        const missing = [...RAFT_GETTERS].filter((method) => !checking!.seen.has(method));
        expect(missing, `${c.id}: the restart at step ${checking.from} is not followed by every getter before step ${at}`).toEqual([]);
        checking = undefined;
      };
      c.steps.forEach((step, at) => {
        if ('kill' in step) {
          finish(at);
          for (const session of running) stopped.add(session);
          running.clear();
          return;
        }
        const session = step.session ?? 0;
        const method = step.call.method;
        const ok = 'result' in step.expected;
        if (checking !== undefined && (!RAFT_GETTERS.has(method as never) || session !== checking.session)) finish(at);
        if (checking !== undefined && ok) checking.seen.add(method);
        if (method === 'stop' && ok && running.delete(session)) stopped.add(session);
        if (method === 'start' && ok && !running.has(session)) {
          running.add(session);
          if (stopped.delete(session)) checking = { from: at, session, seen: new Set() };
        }
      });
      finish(c.steps.length);
    }
  });

  it('gives raft-log results in the encodings of the protocol', () => {
    const entryProblems = (entry: unknown): string[] => {
      const e = entry as Record<string, unknown>;
      const problems: string[] = [];
      if (JSON.stringify(Object.keys(e)) !== JSON.stringify(RAFT_ENTRY_FIELDS)) problems.push(`members ${Object.keys(e).join(',')}`);
      if (!U64.test(String(e.index)) || !U64.test(String(e.term))) problems.push('index or term not a u64 string');
      if (e.serial !== null && !U64.test(String(e.serial))) problems.push('serial');
      return problems;
    };
    for (const c of rafts) {
      c.steps.forEach((step, at) => {
        if ('kill' in step || !('result' in step.expected)) return;
        const result = step.expected.result;
        const where = `${c.id} step ${at} ${step.call.method}`;
        switch (step.call.method) {
          case 'append':
          case 'insert':
            expect(entryProblems(result), where).toEqual([]);
            break;
          case 'appendMulti':
            for (const entry of result as unknown[]) expect(entryProblems(entry), where).toEqual([]);
            break;
          case 'read':
            if (result !== null) expect(entryProblems(result), where).toEqual([]);
            break;
          case 'getTerm':
          case 'incrTerm':
          case 'getLastIndex':
          case 'getLastTerm':
          case 'getCommitIndex':
          case 'getAppliedIndex':
            expect(U64.test(result as string), where).toBe(true);
            break;
          case 'getStats':
            expect(Object.keys(result as object), where).toEqual([...RAFT_STATS_FIELDS]);
            break;
          default:
        }
      });
    }
  });

  it('stays a reasonable size (files and manifest under 20 MB)', () => {
    const total = filesUnder(VECTORS).reduce((sum, path) => sum + statSync(path).size, 0);
    expect(total).toBeLessThan(20 * 1024 * 1024);
  });
});
