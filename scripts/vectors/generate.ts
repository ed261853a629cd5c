/**
 * Generates the golden test vectors: every case's file under `<out>/files/` and `<out>/manifest.json`.
 * Deterministic: fixed file ids, seeded payloads, no timestamps; the same source gives the same bytes.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BlockWriter, MAX_PAYLOAD_LENGTH, isLsfsError } from '../../src/index.js';
import { MemoryStorage } from '../../src/io/memory-storage.js';
import { FileAssembler } from './assembler.js';
import { fileIdHex, sha256Hex } from './bytes.js';
import { FLAGS, NOT_COVERED_BY_VECTORS, REQUIREMENTS } from './catalog.js';
import { computeReaderExpected } from './expect.js';
import { formatJson } from './json.js';
import { RaftTrace } from './raft-trace.js';
import type { CaseSpec, RaftSpec, ReaderSpec, WriteOp, WriterSpec } from './spec.js';
import type { Case, Manifest, Parameters, RaftCase, ReaderCase, WriteOperationJson, WriterCase, WriterExpected } from './types.js';
import { allCases } from './cases/index.js';

export const GENERATOR = 'scripts/generate-vectors.ts (LSFS reference engine, src/)';
const CASE_ID = /^[a-z0-9][a-z0-9_./-]*$/;

export interface GenerateResult {
  readonly manifest: Manifest;
  /** Paths relative to the output directory of every file written, manifest included. */
  readonly files: string[];
  /** Engine disagreements found while computing expectations (see expect.ts). */
  readonly observations: string[];
  /** Known disagreements of the engine with the spec, for which the vectors follow the spec. */
  readonly corrections: string[];
}

/** Builds every case; writes nothing. */
export async function buildVectors(): Promise<{ manifest: Manifest; files: Map<string, Buffer>; observations: string[]; corrections: string[] }> {
  const specs = allCases();
  const files = new Map<string, Buffer>();
  const observations: string[] = [];
  const corrections: string[] = [];
  const cases: Case[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    checkSpec(spec, seen);
    const built =
      spec.profile === 'reader' ? await readerCase(spec, files, observations, corrections) : spec.profile === 'writer' ? await writerCase(spec, files, observations) : await raftCase(spec, observations);
    cases.push(built);
  }
  const manifest: Manifest = {
    schema: 'lsfs-vectors/1',
    formatVersion: 1,
    generator: GENERATOR,
    numberOfCases: cases.length,
    flags: FLAGS,
    requirements: REQUIREMENTS,
    notCoveredByVectors: NOT_COVERED_BY_VECTORS,
    cases,
  };
  return { manifest, files, observations, corrections };
}

/** Generates the vectors into `outDir` (its `files/` folder and `manifest.json` are replaced). */
export async function generateVectors(outDir: string): Promise<GenerateResult> {
  const { manifest, files, observations, corrections } = await buildVectors();
  await rm(join(outDir, 'files'), { recursive: true, force: true });
  const written: string[] = [];
  for (const [path, bytes] of files) {
    await mkdir(dirname(join(outDir, path)), { recursive: true });
    await writeFile(join(outDir, path), bytes);
    written.push(path);
  }
  await writeFile(join(outDir, 'manifest.json'), formatJson(manifest));
  written.push('manifest.json');
  return { manifest, files: written.sort(), observations, corrections };
}

function checkSpec(spec: CaseSpec, seen: Set<string>): void {
  if (!CASE_ID.test(spec.id)) throw new Error(`case id ${JSON.stringify(spec.id)} is not lowercase letters, digits and -_./`);
  if (seen.has(spec.id)) throw new Error(`duplicate case id ${spec.id}`);
  seen.add(spec.id);
  for (const id of spec.requirements) if (!(id in REQUIREMENTS)) throw new Error(`${spec.id}: unknown requirement ${id}`);
  for (const flag of spec.flags) if (!(flag in FLAGS)) throw new Error(`${spec.id}: unknown flag ${flag}`);
  if (spec.description.includes('\n')) throw new Error(`${spec.id}: the description is one line`);
}

function parameters(spec: ReaderSpec | WriterSpec): Parameters {
  return { blockSize: spec.params.blockSize, baseIndex: spec.params.baseIndex.toString(), fileId: fileIdHex(spec.params.fileId) };
}

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

async function readerCase(spec: ReaderSpec, files: Map<string, Buffer>, observations: string[], corrections: string[]): Promise<ReaderCase> {
  const { expected, observations: found, corrected } = await computeReaderExpected(spec.bytes, spec.requests, spec.corrections);
  for (const observation of found) observations.push(`${spec.id}: ${observation}`);
  for (const correction of corrected) corrections.push(`${spec.id} ${correction}`);
  const file = `files/${spec.id}.lsfs`;
  files.set(file, spec.bytes);

  // Flags and requirements that follow from the outcome itself.
  const flags = new Set(spec.flags);
  const requirements = new Set(spec.requirements);
  const headerDamage = 'error' in expected.openInfo && expected.strict.records.length === 0 && expected.salvage.error !== null;
  if (headerDamage) {
    flags.add('HeaderDamage');
    for (const id of ['RSF-022', 'RSF-100', 'RSF-101']) requirements.add(id);
  } else {
    if (expected.strict.error !== null) {
      flags.add('InteriorDamage');
      for (const id of ['RSF-070', 'RSF-071', 'RSF-100', 'RSF-101']) requirements.add(id);
      if (expected.strict.error.code === 'CHECKSUM_MISMATCH') requirements.add('RSF-011');
      if (!('error' in expected.openInfo)) flags.add('OpenFromTail');
      else requirements.add('RSF-083');
    }
    if (expected.strict.tail !== null) {
      flags.add('TornTail');
      for (const id of ['RSF-070', 'RSF-071', 'RSF-074', 'RSF-100', 'RSF-101']) requirements.add(id);
    }
    if (expected.salvage.gaps.length > 0) {
      flags.add('SalvageGap');
      for (const id of ['RSF-072', 'RSF-073']) requirements.add(id);
    }
    const clean = expected.strict.error === null && expected.strict.tail === null && expected.salvage.gaps.length === 0;
    if (clean) flags.add('Valid');
    if (expected.strict.records.some((record) => record.length > 4096)) flags.add('LargePayload');
    if (expected.lookups !== undefined && expected.lookups.length > 0) requirements.add('RSF-090');
    if (expected.backward !== undefined || expected.from !== undefined) requirements.add('RSF-091');
  }
  if (flags.has('Valid') && flags.has('TornTail')) throw new Error(`${spec.id}: valid and torn`);
  for (const flag of flags) if (!(flag in FLAGS)) throw new Error(`${spec.id}: unknown flag ${flag}`);

  return {
    id: spec.id,
    profile: 'reader',
    description: spec.description,
    requirements: sorted(requirements),
    flags: sorted(flags),
    parameters: parameters(spec),
    file,
    sha256: sha256Hex(spec.bytes),
    size: spec.bytes.length,
    expected,
  };
}

/**
 * A payload the writer must refuse by its length alone (RSF-004), without allocating it: the
 * engine checks the length before it reads a byte, as the protocol's `repeat` form intends.
 */
class OversizedPayload extends Uint8Array {
  constructor(private readonly claimedLength: number) {
    super(0);
  }

  override get length(): number {
    return this.claimedLength;
  }
}

function payloadOf(op: Exclude<WriteOp, { sync: true }>): Uint8Array {
  if ('payload' in op) return op.payload;
  if (op.repeat.length > MAX_PAYLOAD_LENGTH) return new OversizedPayload(op.repeat.length);
  return Buffer.alloc(op.repeat.length, op.repeat.byte);
}

function operationJson(op: WriteOp): WriteOperationJson {
  if ('sync' in op) return { sync: true };
  if ('payload' in op) return { type: op.type.toString(), hex: op.payload.toString('hex') };
  return { type: op.type.toString(), repeat: { byte: op.repeat.byte.toString(16).padStart(2, '0'), length: op.repeat.length } };
}

async function writerCase(spec: WriterSpec, files: Map<string, Buffer>, observations: string[]): Promise<WriterCase> {
  const storage = new MemoryStorage();
  const path = '/vectors/written.lsfs';
  const file = `files/${spec.id}.lsfs`;
  let expected: WriterExpected;
  let writer: BlockWriter | undefined;
  await storage.makeDirectory('/vectors');
  try {
    writer = await BlockWriter.create(storage, path, spec.params);
  } catch (caught) {
    if (!isLsfsError(caught) || caught.code === 'IO_ERROR') throw caught;
    if (await storage.exists(path)) observations.push(`${spec.id}: a refused create left a file behind`);
    expected = { error: { code: caught.code, offset: null } };
  }
  if (writer !== undefined) {
    let refusal: { code: string; offset: null; operation: number } | undefined;
    // What the bytes must be: the same records through the canonical encoder, without syncs.
    const canonical = new FileAssembler(spec.params);
    for (const [position, op] of spec.operations.entries()) {
      try {
        if ('sync' in op) {
          await writer.sync();
        } else {
          const payload = payloadOf(op);
          writer.append(op.type, payload);
          canonical.record(op.type, Buffer.from(payload));
        }
      } catch (caught) {
        if (!isLsfsError(caught) || caught.code === 'IO_ERROR') throw caught;
        refusal = { code: caught.code, offset: null, operation: position };
        break;
      }
    }
    await writer.close();
    const bytes = storage.snapshot(path);
    if (!bytes.equals(canonical.bytes())) observations.push(`${spec.id}: the writer's bytes differ from the canonical encoding of the same records`);
    if (writer.length !== bytes.length) observations.push(`${spec.id}: the writer reports ${writer.length} bytes, the file holds ${bytes.length}`);
    files.set(file, bytes);
    const written = { file, sha256: sha256Hex(bytes), size: bytes.length };
    expected = refusal === undefined ? written : { error: refusal, ...written };
  }
  const flags = new Set(spec.flags);
  const requirements = new Set(spec.requirements);
  if ('error' in expected!) {
    flags.add('WriterRefusal');
  } else {
    flags.add('Canonical');
    for (const id of ['RSF-020', 'RSF-021', 'RSF-060']) requirements.add(id);
  }
  if (spec.operations.some((op) => 'sync' in op)) flags.add('Syncs');
  return {
    id: spec.id,
    profile: 'writer',
    description: spec.description,
    requirements: sorted(requirements),
    flags: sorted(flags),
    parameters: parameters(spec),
    operations: spec.operations.map(operationJson),
    expected: expected!,
  };
}

/** Requirements a raft-log step shows by its method (every answer is compared, so every call shows its rule). */
const RAFT_METHOD_REQUIREMENTS: Readonly<Record<string, readonly string[]>> = {
  start: ['RLG-010'],
  stop: ['RLG-010'],
  setTerm: ['RLG-020'],
  incrTerm: ['RLG-020'],
  setVotedFor: ['RLG-014', 'RLG-021'],
  setUri: ['RLG-014'],
  append: ['RLG-013', 'RLG-022'],
  appendMulti: ['RLG-013', 'RLG-022'],
  insert: ['RLG-013', 'RLG-023'],
  read: ['RLG-029'],
  deleteAllFrom: ['RLG-024'],
  markCommitted: ['RLG-025'],
  markApplied: ['RLG-026'],
  getFirstIndex: ['RLG-028'],
  getLastIndex: ['RLG-028'],
  getLastTerm: ['RLG-028'],
  saveClusterConfig: ['RLG-016'],
  installSnapshot: ['RLG-027'],
  getStats: ['RLG-017'],
};

/** Runs a raft-log script on MemoryLog and LsfsRaftLog side by side and records its steps. */
async function raftCase(spec: RaftSpec, observations: string[]): Promise<RaftCase> {
  const trace = new RaftTrace(spec.id, spec.segmentBytes);
  try {
    await spec.script(trace);
  } finally {
    await trace.dispose();
  }
  for (const observation of trace.observations) observations.push(`${spec.id}: ${observation}`);
  const steps = trace.steps;
  if (steps.length === 0) throw new Error(`${spec.id}: the script recorded no step`);

  // Flags and requirements that follow from the steps.
  const flags = new Set(spec.flags);
  const requirements = new Set(spec.requirements);
  let stopped = false;
  for (const step of steps) {
    if ('kill' in step) {
      flags.add('Kill');
      for (const id of ['RLG-011', 'RLG-101']) requirements.add(id);
      continue;
    }
    const method = step.call.method;
    if ((step.session ?? 0) > 0) flags.add('MultiSession');
    const code = 'error' in step.expected ? step.expected.error.code : undefined;
    // A call shows the rule of its method when the log answered it: not when it was CLOSED or LOCKED.
    if (code !== 'CLOSED' && code !== 'LOCKED') for (const id of RAFT_METHOD_REQUIREMENTS[method] ?? []) requirements.add(id);
    if (code !== undefined) {
      if (code === 'INVALID_ARGUMENT' || code === 'INDEX_OUT_OF_RANGE') {
        flags.add('Refusal');
        requirements.add('RLG-012');
      }
      if (code === 'LOCKED') requirements.add('RLG-081');
      if (code === 'CLOSED') requirements.add('RLG-010');
      continue;
    }
    if (method === 'stop') stopped = true;
    if (method === 'start' && stopped) {
      flags.add('Restart');
      requirements.add('RLG-011');
    }
  }
  for (const flag of flags) if (!(flag in FLAGS)) throw new Error(`${spec.id}: unknown flag ${flag}`);
  return {
    id: spec.id,
    profile: 'raft-log',
    description: spec.description,
    requirements: sorted(requirements),
    flags: sorted(flags),
    parameters: { segmentBytes: spec.segmentBytes },
    steps,
  };
}
