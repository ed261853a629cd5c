/**
 * spec/lsfs-raft.ksy agrees with the implementation: it compiles with the Kaitai Struct compiler's
 * JavaScript API, and the parser it generates reads final-data copies and entry payloads — made by
 * the encoders and found in a real log directory — as the decoders do.
 */
import { test as propTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { RecordLog } from '../../src/engine/record-log.js';
import { crc32c } from '../../src/format/crc32c.js';
import { MemoryStorage } from '../../src/io/memory-storage.js';
import { ENTRY_TYPE_CODES, decodeEntry, encodeEntry } from '../../src/raft/entry-codec.js';
import { encodeFinalData } from '../../src/raft/final-data.js';
import { decodeHardState, encodeHardState, type HardState } from '../../src/raft/hard-state.js';
import { LsfsRaftLog } from '../../src/raft/index.js';
import { parseSegmentFileName } from '../../src/raft/segment-names.js';
import type { EntryData } from '../../src/raft/values.js';
import { entryDataArb, hardStateArb } from './support/arbitraries.js';
import { text } from './support/observe.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the generated parser is untyped */
type Parsed = any;
type ParserClass = new (stream: unknown) => Parsed;

let KaitaiStream: new (buffer: ArrayBuffer) => unknown;
let LsfsRaft: ParserClass & { EntryPayload: ParserClass; Slot: Record<string, number>; EntryCode: Record<string, number> };

beforeAll(async () => {
  const source = await readFile(new URL('../../spec/lsfs-raft.ksy', import.meta.url), 'utf8');
  // Through a variable: the compiler ships no type declarations.
  const compilerPackage = 'kaitai-struct-compiler';
  const compiler = ((await import(compilerPackage)) as { default: { compile(lang: string, ksy: unknown, importer: unknown, debug: boolean): Promise<Record<string, string>> } }).default;
  const files = await compiler.compile('javascript', parseYaml(source), null, false);
  expect(Object.keys(files)).toEqual(['LsfsRaft.js']);
  const require = createRequire(import.meta.url);
  const exports: Record<string, unknown> = {};
  // The generated parser is a UMD module: its CommonJS branch fills `exports`.
  new Function('exports', 'require', files['LsfsRaft.js']!)(exports, require);
  LsfsRaft = exports.LsfsRaft as typeof LsfsRaft;
  KaitaiStream = require('kaitai-struct/KaitaiStream');
}, 60_000);

const stream = (bytes: Uint8Array) => new KaitaiStream(new Uint8Array(bytes).buffer);
const text8 = (field: Parsed) => (field === undefined || field === null ? undefined : field.value as string);

function expectFinalData(parsed: Parsed, bytes: Buffer, state: HardState, slot: number, generation: bigint): void {
  expect(parsed.slot).toBe(slot);
  expect(BigInt(parsed.generation)).toBe(generation);
  const end = 24 + parsed.payloadLength;
  expect(parsed.crc32c).toBe(crc32c(bytes.subarray(0, end)));
  const hard = parsed.hardState;
  expect({
    term: hard.term,
    votedFor: text8(hard.votedFor),
    uri: text8(hard.uri),
    broken: hard.flags.broken,
    commitIndex: hard.commitIndex,
    appliedIndex: hard.appliedIndex,
    snapshotIndex: hard.snapshotIndex,
    snapshotTerm: hard.snapshotTerm,
    clusterConfig: text8(hard.clusterConfig),
    nextSegmentId: hard.nextSegmentId,
    segments: hard.segments.map((ref: Parsed, i: number) => ({ id: ref.id, base: ref.baseIndex, fileId: state.segments[i]!.fileId })),
  }).toEqual(state);
  // File ids are u64: the JavaScript runtime reads them as doubles, so compare approximately.
  hard.segments.forEach((ref: Parsed, i: number) => expect(ref.fileId).toBe(Number(state.segments[i]!.fileId)));
}

function expectEntry(parsed: Parsed, entry: EntryData): void {
  expect({
    term: parsed.term,
    serial: parsed.flags.hasSerial ? parsed.serial.value : undefined,
    leaderId: parsed.flags.hasLeaderId ? parsed.leaderId : undefined,
    result: parsed.flags.hasResult ? new Uint8Array(parsed.result) : undefined,
    error: parsed.flags.error,
    command: new Uint8Array(parsed.command),
  }).toEqual({ term: entry.term, serial: entry.serial, leaderId: entry.leaderId, result: entry.result, error: entry.error, command: entry.command });
}

describe('spec/lsfs-raft.ksy', () => {
  it('names the entry codes and slots as the implementation does', () => {
    expect(LsfsRaft.EntryCode).toMatchObject({ TERM_START: Number(ENTRY_TYPE_CODES.TERM_START), CLIENT_COMMAND: Number(ENTRY_TYPE_CODES.CLIENT_COMMAND), CLUSTER_CONFIG: Number(ENTRY_TYPE_CODES.CLUSTER_CONFIG) });
    expect(LsfsRaft.Slot).toMatchObject({ A: 0, B: 1 });
  });

  propTest.prop([hardStateArb, fc.constantFrom(0, 1), fc.bigInt({ min: 1n, max: 2n ** 53n - 1n }), fc.uint8Array({ maxLength: 16 })], { numRuns: 60 })(
    'parses final-data copies as the decoder does',
    (state, slot, generation, slack) => {
      // Kaitai's doubles cannot hold every u64: keep the file ids exact for the comparison.
      const exact = { ...state, segments: state.segments.map((ref) => ({ ...ref, fileId: ref.fileId & ((1n << 53n) - 1n) })) };
      const bytes = Buffer.concat([encodeFinalData(slot as 0 | 1, generation, encodeHardState(exact)), slack]);
      expectFinalData(new LsfsRaft(stream(bytes)), bytes, exact, slot, generation);
    },
  );

  propTest.prop([entryDataArb.filter((entry) => entry.serial === undefined || entry.serial < 2 ** 53)], { numRuns: 100 })('parses entry payloads as the decoder does', (entry) => {
    expectEntry(new LsfsRaft.EntryPayload(stream(encodeEntry(entry).payload)), entry);
  });

  it('parses the files of a real log directory', async () => {
    const storage = new MemoryStorage();
    const log = new LsfsRaftLog({ directory: '/d', storage, blockSize: 512, segmentBytes: 1024 });
    await log.start();
    await log.setTerm(3);
    await log.setVotedFor('node-2');
    await log.saveClusterConfig({ nodes: { 'node-1': { uri: 'node-1' } } });
    for (let i = 0; i < 20; i++) await log.append({ term: 3, command: text(`set x ${i}`), serial: i, leaderId: 'node-1', code: i === 0 ? 'TERM_START' : 'CLIENT_COMMAND' });
    await log.markCommitted(12);
    await log.stop();
    for (const [slot, name] of ['final-data.a', 'final-data.b'].entries()) {
      const bytes = storage.snapshot(`/d/${name}`);
      const parsed = new LsfsRaft(stream(bytes));
      const state = decodeHardState(bytes.subarray(24, 24 + parsed.payloadLength), name);
      expectFinalData(parsed, bytes, state, slot, BigInt(parsed.generation));
    }
    let records = 0;
    for (const name of (await storage.list('/d')).filter((name) => parseSegmentFileName(name) !== undefined)) {
      const segment = await RecordLog.open(`/d/${name}`, { storage, create: false });
      for await (const record of segment.records()) {
        records++;
        const parsed = new LsfsRaft.EntryPayload(stream(record.payload));
        expectEntry(parsed, decodeEntry(record.typeCode, record.payload, name));
      }
      await segment.close();
    }
    expect(records).toBe(20);
  });

  it('refuses what its valid rules catch: version, reserved bits', () => {
    const bytes = encodeFinalData(0, 1n, encodeHardState(decodeHardState(encodeHardState({ term: 0, votedFor: undefined, uri: undefined, broken: false, commitIndex: 0, appliedIndex: 0, snapshotIndex: 0, snapshotTerm: 0, clusterConfig: undefined, nextSegmentId: 1, segments: [] }), 't')));
    const version = Buffer.from(bytes);
    version[8] = 2;
    expect(() => new LsfsRaft(stream(version))).toThrow(/not equal/);
    const flags = Buffer.from(bytes);
    flags[24 + 48]! |= 0x80;
    expect(() => new LsfsRaft(stream(flags))).toThrow(/not equal/);
    const entry = Buffer.from(encodeEntry({ term: 1, command: new Uint8Array(0), result: undefined, error: false, code: 'CLIENT_COMMAND', serial: undefined, leaderId: undefined }).payload);
    entry[8]! |= 0x40;
    expect(() => new LsfsRaft.EntryPayload(stream(entry))).toThrow(/not equal/);
  });
});
