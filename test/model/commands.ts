/**
 * The commands of the model-based runs: each one acts on the engine (a {@link RecordLog}, and a
 * second {@link BlockReader} that follows it) and on the {@link Oracle}, then checks that the two
 * agree. `toString` of every command is what a shrunk failure prints, so it names every argument.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { BlockReader } from '../../src/engine/block-reader.js';
import type { LsfsRecord } from '../../src/engine/record.js';
import { RecordLog } from '../../src/engine/record-log.js';
import { isLsfsError } from '../../src/errors.js';
import { type MemoryStorage, seededRandom } from '../../src/io/memory-storage.js';
import type { Storage, StorageFile, StorageLock } from '../../src/io/storage.js';
import { patternPayload, payloadLengthArb, typeCodeArb } from '../support/arbitraries.js';
import { Oracle, type OracleRecord, SPEC } from './oracle.js';
import type { KnownBugs } from './regressions.js';

// ---------------------------------------------------------------------------------------------
// Run volume and statistics

/**
 * LSFS_FC_RUNS when unset. Measured on 2 cores, `vitest run test/model` then takes about 10 s on an
 * idle machine (20-30 s on a busy one); about 35 s with 2000 runs, about 2 min with 10000.
 */
export const DEFAULT_FC_RUNS = 1000;

/**
 * Runs of a property: `LSFS_FC_RUNS` (or DEFAULT_FC_RUNS) times `share`, so one variable turns the
 * whole model suite up or down: the in-memory model takes 1, the cheaper corruption cases more,
 * the real file system less.
 */
export function fcRuns(share = 1): number {
  const fromEnv = Number.parseInt(process.env.LSFS_FC_RUNS ?? '', 10);
  const runs = Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_FC_RUNS;
  return Math.max(1, Math.round(runs * share));
}

/** `LSFS_FC_SEED` replays a whole run (fast-check prints the seed of every failure). */
export function fcSeed(): { seed?: number } {
  const seed = Number.parseInt(process.env.LSFS_FC_SEED ?? '', 10);
  return Number.isFinite(seed) ? { seed } : {};
}

/** What the runs exercised, printed at the end of each suite (shrinking runs included). */
export class Stats {
  sequences = 0;
  commands = 0;
  readonly byCommand = new Map<string, number>();
  readonly counters = new Map<string, number>();

  count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  command(name: string): void {
    this.commands++;
    this.byCommand.set(name, (this.byCommand.get(name) ?? 0) + 1);
  }

  format(title: string, elapsedMs: number, unit = 'command sequences'): string {
    const list = (map: Map<string, number>) => [...map].map(([name, n]) => `${name}=${n}`).join(', ');
    const commands = this.commands > 0 ? `, ${this.commands} commands` : '';
    return [
      `${title}: ${this.sequences} ${unit}${commands} in ${(elapsedMs / 1000).toFixed(1)} s (shrinking included)`,
      this.commands > 0 ? `  commands: ${list(this.byCommand)}` : '',
      this.counters.size > 0 ? `  ${list(this.counters)}` : '',
    ]
      .filter((line) => line !== '')
      .join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// The real system

/**
 * Wraps a {@link Storage} to learn, without trusting the engine, how much of the file its last
 * completed datasync covered: the length of the file (counting only completed writes) when that
 * datasync was called. A sync that resolves must have made this reach the end of every record
 * appended before the sync was called (RSF-064).
 */
export class SyncProbe implements Storage {
  private readonly durable = new Map<string, number>();

  constructor(readonly inner: Storage) {}

  /** File length covered by the last completed datasync of a writer handle on `path`. */
  durableLength(path: string): number {
    return this.durable.get(path) ?? 0;
  }

  async open(path: string, mode: 'read' | 'write'): Promise<StorageFile> {
    const file = await this.inner.open(path, mode);
    if (mode === 'read') return file;
    let length = await file.size();
    // Writers are opened only on a freshly created, cleanly closed or crashed-and-rebooted file: in
    // all three, every byte is durable.
    this.durable.set(path, length);
    const durable = this.durable;
    return {
      path: file.path,
      read: (position, count) => file.read(position, count),
      async write(data, position) {
        await file.write(data, position);
        length = Math.max(length, position + data.length);
      },
      size: () => file.size(),
      async truncate(to) {
        await file.truncate(to);
        length = to;
      },
      async datasync() {
        const covers = length;
        await file.datasync();
        durable.set(path, covers);
      },
      close: () => file.close(),
    };
  }

  createAtomically(path: string, contents: Uint8Array): Promise<void> {
    return this.inner.createAtomically(path, contents);
  }
  exists(path: string): Promise<boolean> {
    return this.inner.exists(path);
  }
  remove(path: string): Promise<void> {
    return this.inner.remove(path);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  syncDirectory(directory: string): Promise<void> {
    return this.inner.syncDirectory(directory);
  }
  list(directory: string): Promise<string[]> {
    return this.inner.list(directory);
  }
  makeDirectory(directory: string): Promise<void> {
    return this.inner.makeDirectory(directory);
  }
  lock(path: string): Promise<StorageLock> {
    return this.inner.lock(path);
  }
}

export interface Real {
  readonly storage: SyncProbe;
  /** The in-memory disk, when the run has one: crashes and fdatasync counts need it. */
  readonly memory: MemoryStorage | undefined;
  readonly path: string;
  readonly openOptions: { readonly cacheRecords: number };
  readonly stats: Stats;
  /** Known engine bugs the checks let pass (see regressions.ts). */
  readonly tolerate: KnownBugs;
  log: RecordLog;
  /** A second, read-only reader that follows the log (RSF-074); opened by the first `follow`. */
  follower: BlockReader | undefined;
}

export type ModelCommand = fc.AsyncCommand<Oracle, Real>;

// ---------------------------------------------------------------------------------------------
// Checks

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}

/** Throws unless `actual` is the oracle's record `expected` at `index`, byte for byte. */
export function expectRecord(actual: LsfsRecord, index: bigint, expected: OracleRecord | undefined, context: string): void {
  if (expected === undefined) throw new Error(`${context}: the engine returned record ${actual.index}, the oracle has no record ${index}`);
  const problems: string[] = [];
  if (actual.index !== index) problems.push(`index ${actual.index}, expected ${index}`);
  if (actual.typeCode !== expected.typeCode) problems.push(`type ${hex(actual.typeCode)}, expected ${hex(expected.typeCode)}`);
  if (!actual.payload.equals(expected.payload)) {
    const length = Math.min(actual.payload.length, expected.payload.length);
    let at = 0;
    while (at < length && actual.payload[at] === expected.payload[at]) at++;
    problems.push(`payload of ${actual.payload.length} bytes, expected ${expected.payload.length}; first difference at byte ${at}`);
  }
  if (problems.length > 0) throw new Error(`${context}: record ${index}: ${problems.join('; ')}`);
}

/** Throws unless `actual` is exactly the oracle's records from position `from` (0-based) on. */
export function expectRecords(actual: readonly LsfsRecord[], oracle: Oracle, from: number, context: string): void {
  if (actual.length !== oracle.count - from) {
    throw new Error(`${context}: ${actual.length} records, the oracle has ${oracle.count - from} (from position ${from} of ${oracle.count})`);
  }
  actual.forEach((record, i) => expectRecord(record, oracle.baseIndex + BigInt(from + i), oracle.nth(from + i), context));
}

/** The engine's counters agree with the oracle: run after every command. */
function expectAgreement(m: Oracle, r: Real): void {
  expect(r.log.nextIndex, 'nextIndex').toBe(m.nextIndex);
  expect(r.log.lastIndex, 'lastIndex').toBe(m.lastIndex);
  expect(r.log.firstIndex, 'firstIndex').toBe(m.count === 0 ? undefined : m.baseIndex);
  // RSF-060: the canonical layout fixes the file's length from the payload lengths alone.
  expect(r.log.length, 'file length by the canonical layout').toBe(m.length);
}

async function expectCode(action: Promise<unknown>, code: string, context: string): Promise<void> {
  try {
    await action;
  } catch (error) {
    if (isLsfsError(error) && error.code === code) return;
    throw new Error(`${context}: expected ${code}, got ${String(error)}`, { cause: error });
  }
  throw new Error(`${context}: expected ${code}, got success`);
}

/** A sync that resolved covered every record appended before it was called (RSF-064). */
function expectDurable(m: Oracle, r: Real, recordsBeforeCall: number, context: string): void {
  const needed = m.lengthAfter(recordsBeforeCall);
  const covered = r.storage.durableLength(r.path);
  if (covered < needed) throw new Error(`${context}: sync resolved with ${covered} bytes durable, records before it end at ${needed}`);
}

// ---------------------------------------------------------------------------------------------
// Commands

/** A record as commands carry it: the payload is rebuilt from (length, seed) so it prints short. */
export interface RecordSpec {
  readonly typeCode: bigint;
  readonly length: number;
  readonly seed: number;
}

function recordOf(spec: RecordSpec): OracleRecord {
  return { typeCode: spec.typeCode, payload: patternPayload(spec.length, spec.seed) };
}

function describeRecord(spec: RecordSpec): string {
  const type = spec.typeCode === SPEC.MAX_TYPE_CODE ? '2^64-1' : hex(spec.typeCode);
  return `type=${type}, ${spec.length}B/seed ${spec.seed}`;
}

/** Appends to both; past MAX_RECORD_INDEX the engine must refuse (INDEX_OVERFLOW) and change nothing. */
function appendBoth(m: Oracle, r: Real, spec: RecordSpec): void {
  const record = recordOf(spec);
  if (!m.canAppend) {
    expect(() => r.log.append(record.typeCode, record.payload), 'append past MAX_RECORD_INDEX').toThrow(
      expect.objectContaining({ code: 'INDEX_OVERFLOW' }),
    );
    r.stats.count('refusedIndexOverflow');
    return;
  }
  const index = r.log.append(record.typeCode, record.payload);
  expect(index, 'index returned by append').toBe(m.append(record));
}

/**
 * appendMany: all the records or, when the last would pass MAX_RECORD_INDEX, none of them
 * ("checks them all before appending any").
 */
function appendManyBoth(m: Oracle, r: Real, specs: readonly RecordSpec[]): void {
  const records = specs.map(recordOf);
  if (m.nextIndex + BigInt(records.length) - 1n > SPEC.MAX_RECORD_INDEX && records.length > 0) {
    const before = r.log.nextIndex;
    expect(() => r.log.appendMany(records), 'appendMany past MAX_RECORD_INDEX').toThrow(expect.objectContaining({ code: 'INDEX_OVERFLOW' }));
    r.stats.count('refusedIndexOverflow');
    const appended = Number(r.log.nextIndex - before);
    if (appended > 0 && r.tolerate.appendManyPartialOnOverflow) {
      // Known engine bug (regressions.ts): the records that fit went in before the refusal.
      r.stats.count('KNOWN BUG: appendMany appended part of a refused batch');
      records.slice(0, appended).forEach((record) => m.append(record));
      return;
    }
    expect(appended, 'appendMany refused: nothing appended').toBe(0);
    return;
  }
  const indexes = r.log.appendMany(records);
  expect(indexes, 'indexes returned by appendMany').toEqual(records.map((record) => m.append(record)));
}

abstract class Command implements ModelCommand {
  abstract readonly name: string;
  check(_m: Readonly<Oracle>): boolean {
    return true;
  }
  async run(m: Oracle, r: Real): Promise<void> {
    r.stats.command(this.name);
    await this.act(m, r);
    expectAgreement(m, r);
  }
  protected abstract act(m: Oracle, r: Real): Promise<void>;
  abstract toString(): string;
}

export class AppendCommand extends Command {
  readonly name = 'append';
  constructor(readonly record: RecordSpec) {
    super();
  }
  protected async act(m: Oracle, r: Real): Promise<void> {
    appendBoth(m, r, this.record);
  }
  toString(): string {
    return `append(${describeRecord(this.record)})`;
  }
}

export type GroupStep =
  | { kind: 'append'; record: RecordSpec }
  | { kind: 'appendMany'; records: RecordSpec[] }
  | { kind: 'sync' }
  | { kind: 'flush' }
  | { kind: 'tick'; ticks: number };

function describeSteps(steps: readonly GroupStep[]): string {
  return steps
    .map((step) => {
      if (step.kind === 'append') return `append(${describeRecord(step.record)})`;
      if (step.kind === 'appendMany') return `appendMany(${step.records.map(describeRecord).join(' | ')})`;
      if (step.kind === 'tick') return `tick×${step.ticks}`;
      return step.kind;
    })
    .join(', ');
}

/** Lets started promises run `ticks` microtask steps (MemoryStorage settles each call in one). */
async function tick(ticks: number): Promise<void> {
  for (let i = 0; i < ticks; i++) await Promise.resolve();
}

/** A group of steps started without awaiting them, as it stands while they run. */
interface StartedGroup {
  readonly promises: Promise<unknown>[];
  /** Records covered by the syncs of the group that have resolved so far. */
  resolvedSyncCovers: number;
  /** Records covered by the last sync started (the group's promise, once all resolve). */
  lastSyncCovers: number;
  syncs: number;
  /** True when the group yielded to the started promises after a sync: they need not overlap. */
  ticked: boolean;
  /** False once the power went: later resolutions prove nothing, and are not checked. */
  alive: boolean;
}

async function startGroup(m: Oracle, r: Real, steps: readonly GroupStep[]): Promise<StartedGroup> {
  const group: StartedGroup = { promises: [], resolvedSyncCovers: 0, lastSyncCovers: 0, syncs: 0, ticked: false, alive: true };
  for (const [position, step] of steps.entries()) {
    if (step.kind === 'append') appendBoth(m, r, step.record);
    else if (step.kind === 'appendMany') appendManyBoth(m, r, step.records);
    else if (step.kind === 'flush') group.promises.push(r.log.flush());
    else if (step.kind === 'tick') {
      if (group.syncs > 0) group.ticked = true;
      await tick(step.ticks);
    } else {
      const before = m.count;
      group.syncs++;
      group.lastSyncCovers = before;
      const done = r.log.sync().then(() => {
        if (!group.alive) return;
        expectDurable(m, r, before, `group commit: sync at step ${position}`);
        group.resolvedSyncCovers = Math.max(group.resolvedSyncCovers, before);
      });
      group.promises.push(done);
    }
  }
  return group;
}

/**
 * Group commit: appends, syncs and flushes started one after the other without awaiting any of
 * them, then all awaited. `tick` lets the started promises run a few microtask steps first, so a
 * later append can land while an fdatasync is under way.
 */
export class GroupCommitCommand extends Command {
  readonly name = 'groupCommit';
  constructor(readonly steps: readonly GroupStep[]) {
    super();
  }
  protected async act(m: Oracle, r: Real): Promise<void> {
    const datasyncsBefore = r.memory?.syncCount ?? 0;
    const group = await startGroup(m, r, this.steps);
    await Promise.all(group.promises);
    m.markSynced(group.lastSyncCovers);
    if (r.memory !== undefined && group.syncs > 0) {
      const datasyncs = r.memory.syncCount - datasyncsBefore;
      r.stats.count('groupSyncCalls', group.syncs);
      r.stats.count('groupDatasyncs', datasyncs);
      // Syncs started together share fdatasyncs: one running, and one more for those that came late.
      expect(datasyncs, 'fdatasyncs for one group of syncs').toBeLessThanOrEqual(group.ticked ? group.syncs : Math.min(2, group.syncs));
    }
  }
  toString(): string {
    return `groupCommit[${describeSteps(this.steps)}]`;
  }
}

export class SyncCommand extends Command {
  readonly name = 'sync';
  protected async act(m: Oracle, r: Real): Promise<void> {
    const before = m.count;
    await r.log.sync();
    expectDurable(m, r, before, 'sync');
    m.markSynced(before);
  }
  toString(): string {
    return 'sync';
  }
}

/** Reads record `records[pick % count]` by index. */
export class GetCommand extends Command {
  readonly name = 'get';
  constructor(readonly pick: number) {
    super();
  }
  override check(m: Readonly<Oracle>): boolean {
    return m.count > 0;
  }
  protected async act(m: Oracle, r: Real): Promise<void> {
    const index = m.baseIndex + BigInt(this.pick % m.count);
    expectRecord(await r.log.get(index), index, m.at(index), `get(${index})`);
  }
  toString(): string {
    return `get(records[${this.pick} % count])`;
  }
}

export type InvalidIndex = { kind: 'after-last'; delta: number } | { kind: 'before-base'; delta: number } | { kind: 'u64-max' };

/** Reads an index outside the log: INDEX_OUT_OF_RANGE (spec §11). */
export class GetInvalidCommand extends Command {
  readonly name = 'getInvalid';
  constructor(readonly where: InvalidIndex) {
    super();
  }
  protected async act(m: Oracle, r: Real): Promise<void> {
    const index =
      this.where.kind === 'after-last' ? m.nextIndex + BigInt(this.where.delta) : this.where.kind === 'before-base' ? m.baseIndex - 1n - BigInt(this.where.delta) : SPEC.MAX_TYPE_CODE;
    await expectCode(r.log.get(index), 'INDEX_OUT_OF_RANGE', `get(${index})`);
  }
  toString(): string {
    if (this.where.kind === 'u64-max') return 'get(2^64-1) expecting INDEX_OUT_OF_RANGE';
    return this.where.kind === 'after-last'
      ? `get(nextIndex + ${this.where.delta}) expecting INDEX_OUT_OF_RANGE`
      : `get(baseIndex - 1 - ${this.where.delta}) expecting INDEX_OUT_OF_RANGE`;
  }
}

/** Iterates forward from records[pick % (count + 1)] (count itself: from nextIndex, nothing). */
export class ForwardCommand extends Command {
  readonly name = 'forward';
  constructor(readonly pick: number) {
    super();
  }
  protected async act(m: Oracle, r: Real): Promise<void> {
    const from = this.pick % (m.count + 1);
    const records = await collect(r.log.records({ from: m.baseIndex + BigInt(from) }));
    expectRecords(records, m, from, `records({from: ${m.baseIndex + BigInt(from)}})`);
  }
  toString(): string {
    return `forward(from records[${this.pick} % (count+1)])`;
  }
}

export class BackwardCommand extends Command {
  readonly name = 'backward';
  protected async act(m: Oracle, r: Real): Promise<void> {
    expectRecords((await collect(r.log.recordsBackward())).reverse(), m, 0, 'recordsBackward()');
  }
  toString(): string {
    return 'backward';
  }
}

export class VerifyCommand extends Command {
  readonly name = 'verify';
  protected async act(m: Oracle, r: Real): Promise<void> {
    const report = await r.log.verify();
    expect(report.gaps, 'verify: gaps').toEqual([]);
    expect(report.tail, 'verify: tail').toBeUndefined();
    expect(report.records, 'verify: records').toBe(m.count);
    expect(report.firstIndex, 'verify: firstIndex').toBe(m.count === 0 ? undefined : m.baseIndex);
    expect(report.lastIndex, 'verify: lastIndex').toBe(m.lastIndex);
  }
  toString(): string {
    return 'verify';
  }
}

async function openLog(r: Real): Promise<RecordLog> {
  return RecordLog.open(r.path, { storage: r.storage, create: false, cacheRecords: r.openOptions.cacheRecords });
}

/** close + open: close syncs, so nothing is cut and everything is synced. */
export class ReopenCommand extends Command {
  readonly name = 'reopen';
  protected async act(m: Oracle, r: Real): Promise<void> {
    await r.log.close();
    m.markSynced();
    r.log = await openLog(r);
    expect(r.log.recovery.truncated, 'reopen after close: nothing to cut').toBeUndefined();
  }
  toString(): string {
    return 'reopen';
  }
}

/**
 * Power loss (spec appendix A, simulated by MemoryStorage.crash with a seeded random), then open.
 * The records that come back must be the oracle's first k, byte for byte, for some k between the
 * synced count and the appended count; recovery syncs, so afterwards all k are synced.
 */
async function crashAndRecover(m: Oracle, r: Real, seed: number): Promise<void> {
  const memory = r.memory;
  if (memory === undefined) throw new Error('crash needs the in-memory disk');
  const summary = memory.crash(seededRandom(seed));
  const file = summary.files.find((entry) => entry.path === r.path);
  if (file === undefined) throw new Error(`crash lost ${r.path}, created with a synced directory: ${JSON.stringify(summary)}`);
  // Every handle opened before the crash is dead; the old objects are simply abandoned.
  r.follower = undefined;
  r.log = await openLog(r);
  const back = await collect(r.log.records());
  const k = back.length;
  const context = `after crash(${seed}) ${JSON.stringify(file)}`;
  if (k < m.synced || k > m.count) throw new Error(`${context}: ${k} records came back; synced ${m.synced}, appended ${m.count}`);
  back.forEach((record, i) => expectRecord(record, m.baseIndex + BigInt(i), m.nth(i), context));
  // RSF-081: recovery cut exactly the bytes after the last whole record, and said so.
  const end = m.lengthAfter(k);
  const truncated = r.log.recovery.truncated;
  if (file.length > end) expect(truncated, `${context}: recovery report`).toEqual({ code: 'TORN_TAIL', offset: end, length: file.length - end });
  else expect(truncated, `${context}: recovery report`).toBeUndefined();

  r.stats.count('crashes');
  if (file.pendingChanges > 0) r.stats.count('crashesWithUnsyncedWrites');
  if (m.count > m.synced) r.stats.count('crashesWithUnsyncedRecords');
  if (k > m.synced) r.stats.count('crashesKeepingUnsyncedRecords');
  if (k < m.count) r.stats.count('crashesLosingUnsyncedRecords');
  if (file.lastWriteCut) r.stats.count('crashesCuttingAWrite');
  if (file.tear !== null) r.stats.count(`crashesTearing${file.tear.kind === 'zero' ? 'Zeros' : 'Garbage'}`);
  if (truncated !== undefined) r.stats.count('recoveriesCuttingATail');
  m.cutTo(k);
}

export class CrashCommand extends Command {
  readonly name = 'crash';
  /** `flushFirst`: the records appended since the last sync reach the disk before the power goes. */
  constructor(
    readonly seed: number,
    readonly flushFirst: boolean,
  ) {
    super();
  }
  protected async act(m: Oracle, r: Real): Promise<void> {
    if (this.flushFirst) await r.log.flush();
    await crashAndRecover(m, r, this.seed);
  }
  toString(): string {
    return `crash(seed=${this.seed}${this.flushFirst ? ', after a flush' : ''})`;
  }
}

/**
 * A crash point inside a group commit: the steps are started, the writer runs `ticks` microtask
 * steps (each MemoryStorage call settles in one, so this lands between two of its I/O calls), and
 * the power goes. Only the syncs that had resolved by then count as synced: their records must
 * come back (RSF-064); a sync still in flight promises nothing.
 */
export class CrashDuringGroupCommitCommand extends Command {
  readonly name = 'crashDuringGroupCommit';
  constructor(
    readonly steps: readonly GroupStep[],
    readonly ticks: number,
    readonly seed: number,
  ) {
    super();
  }
  protected async act(m: Oracle, r: Real): Promise<void> {
    const group = await startGroup(m, r, this.steps);
    // The old writer's promises reject (or never settle) once its handle is dead: nobody awaits them.
    for (const promise of group.promises) promise.catch(() => undefined);
    await tick(this.ticks);
    group.alive = false;
    m.markSynced(group.resolvedSyncCovers);
    if (group.resolvedSyncCovers < group.lastSyncCovers) r.stats.count('crashesWithASyncInFlight');
    await crashAndRecover(m, r, this.seed);
  }
  toString(): string {
    return `crashDuringGroupCommit[${describeSteps(this.steps)}; crash after tick×${this.ticks}, seed=${this.seed}]`;
  }
}

/**
 * Flushes the log, then makes a second BlockReader (opened by the first follow) catch up with
 * refresh(): it must see exactly the flushed whole records and no torn tail.
 */
export class FollowCommand extends Command {
  readonly name = 'follow';
  constructor(readonly pick: number) {
    super();
  }
  protected async act(m: Oracle, r: Real): Promise<void> {
    await r.log.flush();
    if (r.follower === undefined) {
      r.follower = await BlockReader.open(r.storage, r.path);
      r.stats.count('followersOpened');
    } else {
      await r.follower.refresh();
    }
    const follower = r.follower;
    expect(follower.lastIndex, 'follower lastIndex').toBe(m.lastIndex);
    expect(follower.tail, 'follower tail').toBeUndefined();
    expect(follower.end, 'follower end').toBe(m.length);
    const from = this.pick % (m.count + 1);
    expectRecords(await collect(follower.records({ from: m.baseIndex + BigInt(from) })), m, from, 'follower records');
    if (m.lastIndex !== undefined) expectRecord(await follower.get(m.lastIndex), m.lastIndex, m.at(m.lastIndex), 'follower get(last)');
  }
  toString(): string {
    return `follow(flush, refresh, read from records[${this.pick} % (count+1)])`;
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

export function recordSpecArb(blockSize: number): fc.Arbitrary<RecordSpec> {
  return fc.record({ typeCode: typeCodeArb, length: payloadLengthArb(blockSize), seed: fc.nat(255) });
}

function groupStepArb(blockSize: number): fc.Arbitrary<GroupStep> {
  return fc.oneof(
    { weight: 4, arbitrary: recordSpecArb(blockSize).map((record): GroupStep => ({ kind: 'append', record })) },
    { weight: 3, arbitrary: fc.constant<GroupStep>({ kind: 'sync' }) },
    { weight: 1, arbitrary: fc.constant<GroupStep>({ kind: 'flush' }) },
    { weight: 1, arbitrary: fc.array(recordSpecArb(blockSize), { minLength: 1, maxLength: 4 }).map((records): GroupStep => ({ kind: 'appendMany', records })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 8 }).map((ticks): GroupStep => ({ kind: 'tick', ticks })) },
  );
}

const invalidIndexArb: fc.Arbitrary<InvalidIndex> = fc.oneof(
  fc.nat(3).map((delta): InvalidIndex => ({ kind: 'after-last', delta })),
  fc.nat(3).map((delta): InvalidIndex => ({ kind: 'before-base', delta })),
  fc.constant<InvalidIndex>({ kind: 'u64-max' }),
);

/** The command mix. Crashes only where the disk is in memory. */
export function commandArb(blockSize: number, options: { crashes: boolean }): fc.Arbitrary<ModelCommand> {
  const weighted: fc.WeightedArbitrary<ModelCommand>[] = [
    { weight: 8, arbitrary: recordSpecArb(blockSize).map((record) => new AppendCommand(record)) },
    { weight: 3, arbitrary: fc.array(groupStepArb(blockSize), { minLength: 2, maxLength: 10 }).map((steps) => new GroupCommitCommand(steps)) },
    { weight: 2, arbitrary: fc.constant(new SyncCommand()) },
    { weight: 2, arbitrary: fc.nat(1000).map((pick) => new GetCommand(pick)) },
    { weight: 1, arbitrary: invalidIndexArb.map((where) => new GetInvalidCommand(where)) },
    { weight: 1, arbitrary: fc.nat(1000).map((pick) => new ForwardCommand(pick)) },
    { weight: 1, arbitrary: fc.constant(new BackwardCommand()) },
    { weight: 1, arbitrary: fc.constant(new ReopenCommand()) },
    { weight: 2, arbitrary: fc.nat(1000).map((pick) => new FollowCommand(pick)) },
    { weight: 1, arbitrary: fc.constant(new VerifyCommand()) },
  ];
  if (options.crashes) {
    weighted.push({ weight: 3, arbitrary: fc.tuple(fc.integer(), fc.boolean()).map(([seed, flushFirst]) => new CrashCommand(seed, flushFirst)) });
    weighted.push({
      weight: 2,
      arbitrary: fc
        .tuple(fc.array(groupStepArb(blockSize), { minLength: 2, maxLength: 10 }), fc.nat(12), fc.integer())
        .map(([steps, ticks, seed]) => new CrashDuringGroupCommitCommand(steps, ticks, seed)),
    });
  }
  return fc.oneof(...weighted);
}

// ---------------------------------------------------------------------------------------------
// The property

export interface ModelSetup {
  readonly blockSize: number;
  readonly baseIndex: bigint;
  readonly fileId: bigint;
  readonly cacheRecords: number;
}

/** 512 most of the time, so that records cross blocks a lot; the largest size now and then. */
export const setupArb: fc.Arbitrary<ModelSetup> = fc.record({
  blockSize: fc.oneof({ weight: 6, arbitrary: fc.constant(512) }, { weight: 2, arbitrary: fc.constantFrom(1024, 2048, 4096) }, { weight: 1, arbitrary: fc.constant(65536) }),
  baseIndex: fc.oneof(
    { weight: 5, arbitrary: fc.constant(0n) },
    { weight: 3, arbitrary: fc.bigInt({ min: 1n, max: 2n ** 63n }) },
    // A few records from the end of the index space: appends then hit INDEX_OVERFLOW.
    { weight: 1, arbitrary: fc.bigInt({ min: SPEC.MAX_RECORD_INDEX - 8n, max: SPEC.MAX_RECORD_INDEX }) },
  ),
  // Drawn, not random, so that a replayed seed rebuilds the same bytes (file_id enters every CRC).
  fileId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  cacheRecords: fc.constantFrom(0, 3, 1024),
}).map((setup) => ({ ...setup })); // a plain object prints without `__proto__: null`

/** Where one run keeps its file, and how to clean up after it. */
export interface RunEnvironment {
  readonly storage: Storage;
  readonly memory: MemoryStorage | undefined;
  readonly path: string;
  cleanup(): Promise<void>;
}

export interface ModelPropertyOptions {
  readonly environment: () => Promise<RunEnvironment>;
  readonly crashes: boolean;
  readonly maxCommands: number;
  readonly stats: Stats;
  /** Known engine bugs to let pass: KNOWN_ENGINE_BUGS in the main runs, none in regression replays. */
  readonly tolerate: KnownBugs;
  /** The `replayPath` fast-check prints beside a failing command list, to replay it exactly. */
  readonly replayPath?: string;
}

export function modelProperty(options: ModelPropertyOptions) {
  const { stats } = options;
  const commandsArb = (setup: ModelSetup) =>
    fc.commands([commandArb(setup.blockSize, { crashes: options.crashes })], {
      maxCommands: options.maxCommands,
      size: 'max',
      ...(options.replayPath === undefined ? {} : { replayPath: options.replayPath }),
    });
  return fc.asyncProperty(
    setupArb.chain((setup) => fc.tuple(fc.constant(setup), commandsArb(setup))),
    async ([setup, commands]) => {
      stats.sequences++;
      const environment = await options.environment();
      const storage = new SyncProbe(environment.storage);
      const oracle = new Oracle(setup.baseIndex, setup.blockSize);
      const real: Real = {
        storage,
        memory: environment.memory,
        path: environment.path,
        openOptions: { cacheRecords: setup.cacheRecords },
        stats,
        tolerate: options.tolerate,
        log: await RecordLog.open(environment.path, { storage, blockSize: setup.blockSize, baseIndex: setup.baseIndex, fileId: setup.fileId, cacheRecords: setup.cacheRecords }),
        follower: undefined,
      };
      try {
        await fc.asyncModelRun(() => ({ model: oracle, real }), commands);
        await finalAudit(oracle, real);
      } finally {
        await real.follower?.close().catch(() => undefined);
        await real.log.close().catch(() => undefined);
        await environment.cleanup();
      }
    },
  );
}

/** After the run: close, and a fresh reader must find exactly the oracle's records, verified. */
async function finalAudit(m: Oracle, r: Real): Promise<void> {
  await r.log.close();
  m.markSynced();
  const reader = await BlockReader.open(r.storage, r.path);
  try {
    expect(reader.tail, 'final: tail').toBeUndefined();
    expect(reader.end, 'final: file length').toBe(m.length);
    expectRecords(await collect(reader.records()), m, 0, 'final: fresh reader');
    const report = await reader.verify();
    expect(report.gaps, 'final: gaps').toEqual([]);
    expect(report.records, 'final: verified records').toBe(m.count);
  } finally {
    await reader.close();
  }
}
