/**
 * Builds the traces of the `raft-log` vectors (conformance/PROTOCOL.md §4.7): a case's script calls
 * {@link RaftTrace.call} and friends; every call runs at once on MemoryLog (the oracle, whose
 * answers become the expectations) and on LsfsRaftLog over an in-memory disk, through the same JSON
 * codec the reference testee uses. Where the two disagree, the generator reports an engine
 * observation (and the vector follows the oracle). A `kill` step is simulated by a power loss of the
 * in-memory disk (MemoryStorage.crash), which must lose nothing a resolved call wrote.
 */
import type { LogView } from '../../src/raft/rules.js';
import { isLsfsError } from '../../src/errors.js';
import { MemoryStorage, seededRandom } from '../../src/io/memory-storage.js';
import { LsfsRaftLog, MemoryLog, type LogAPI } from '../../src/raft/index.js';
import { RAFT_GETTERS, type RaftMethod, isRaftMethod } from '../../conformance/lib/raft-protocol.js';
import { decodeRaftArguments, encodeRaftResult, invokeRaftMethod, type JsonValue } from '../../conformance/testees/raft-sessions.js';

/** One step of a raft-log case, as in the manifest. */
export type RaftStepJson =
  | {
      session?: number;
      call: { method: RaftMethod; args?: Record<string, JsonValue> };
      expected: { result: JsonValue } | { error: { code: string; offset: null } };
    }
  | { kill: true };

type Outcome = { ok: true; result: JsonValue } | { ok: false; code: string };

const LSFS_DIRECTORY = '/vectors/raft-log';

/** The oracle's side of one session: MemoryLog has no lock, so sessions over one directory are modelled here. */
class OracleDirectory {
  readonly log = new MemoryLog({ now: () => 0 });
  holder: number | undefined;
  readonly running = new Set<number>();
}

async function outcomeOf(call: () => Promise<unknown>, method: RaftMethod): Promise<Outcome> {
  try {
    return { ok: true, result: encodeRaftResult(method, await call()) };
  } catch (error) {
    if (isLsfsError(error)) return { ok: false, code: error.code };
    throw error;
  }
}

/** What a script may look at without recording a step: the oracle's state (the rules' view of it). */
export interface OracleView extends LogView {
  /** Term of the entry at `index` (the snapshot term at the snapshot index, 0 at 0), or undefined when not held. */
  termAt(index: number): Promise<number | undefined>;
}

export class RaftTrace {
  readonly steps: RaftStepJson[] = [];
  /** Disagreements between MemoryLog and LsfsRaftLog (there should be none). */
  readonly observations: string[] = [];
  private readonly oracle = new OracleDirectory();
  private readonly storage = new MemoryStorage();
  private readonly lsfs = new Map<number, LsfsRaftLog>();
  private kills = 0;
  private started = false;

  constructor(
    private readonly id: string,
    private readonly segmentBytes: number,
  ) {}

  private lsfsSession(session: number): LsfsRaftLog {
    let log = this.lsfs.get(session);
    if (log === undefined) {
      log = new LsfsRaftLog({ directory: LSFS_DIRECTORY, storage: this.storage, blockSize: 512, segmentBytes: this.segmentBytes, now: () => 0 });
      this.lsfs.set(session, log);
    }
    return log;
  }

  /** The oracle's MemoryLog, started: it stays started, sessions are modelled by {@link oracleCall}. */
  private async oracleLog(): Promise<MemoryLog> {
    if (!this.started) {
      await this.oracle.log.start();
      this.started = true;
    }
    return this.oracle.log;
  }

  private async oracleCall(session: number, method: RaftMethod, args: unknown[]): Promise<Outcome> {
    const dir = this.oracle;
    const log = await this.oracleLog();
    if (method === 'start') {
      if (!dir.running.has(session)) {
        if (dir.holder !== undefined && dir.holder !== session) return { ok: false, code: 'LOCKED' };
        dir.holder = session;
        dir.running.add(session);
      }
      return { ok: true, result: null };
    }
    if (method === 'stop') {
      if (dir.running.delete(session)) dir.holder = undefined;
      return { ok: true, result: null };
    }
    if (!dir.running.has(session)) return { ok: false, code: 'CLOSED' };
    return outcomeOf(() => invokeRaftMethod(log, method, args), method);
  }

  /**
   * Calls `method` with `args` (protocol JSON) on session `session` of both logs and records the
   * step with the oracle's answer. `expect` is what the case means to show: `'ok'` or an error code;
   * when the oracle answers otherwise, the case is wrong and this throws. Returns the oracle's result
   * (undefined for a refusal).
   */
  async call(method: RaftMethod, args?: Record<string, JsonValue>, options: { session?: number; expect?: string } = {}): Promise<JsonValue | undefined> {
    if (!isRaftMethod(method)) throw new Error(`${this.id}: unknown method ${String(method)}`);
    const session = options.session ?? 0;
    const decode = (): unknown[] => {
      try {
        return decodeRaftArguments(method, args ?? {});
      } catch (error) {
        throw new Error(`${this.id}: step ${this.steps.length} (${method}) has arguments the protocol refuses: ${(error as Error).message}`);
      }
    };
    const expected = await this.oracleCall(session, method, decode());
    const actual = await outcomeOf(() => invokeRaftMethod(this.lsfsSession(session), method, decode()), method);
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      this.observations.push(`step ${this.steps.length} ${method}(${JSON.stringify(args ?? {})}): MemoryLog answers ${JSON.stringify(expected)}, LsfsRaftLog ${JSON.stringify(actual)}`);
    }
    const intended = options.expect;
    const got = expected.ok ? 'ok' : expected.code;
    if (intended !== undefined && intended !== got) {
      throw new Error(`${this.id}: step ${this.steps.length} ${method}(${JSON.stringify(args ?? {})}) was meant to give ${intended}, the oracle gives ${got}`);
    }
    const call: { method: RaftMethod; args?: Record<string, JsonValue> } = { method };
    if (args !== undefined && Object.keys(args).length > 0) call.args = args;
    this.steps.push({
      ...(session === 0 ? {} : { session }),
      call,
      expected: expected.ok ? { result: expected.result } : { error: { code: expected.code, offset: null } },
    });
    return expected.ok ? expected.result : undefined;
  }

  /** A call that must succeed. */
  ok(method: RaftMethod, args?: Record<string, JsonValue>, session?: number): Promise<JsonValue | undefined> {
    return this.call(method, args, { session, expect: 'ok' });
  }

  /** A call that must be refused with `code`. */
  async refuse(code: string, method: RaftMethod, args?: Record<string, JsonValue>, session?: number): Promise<void> {
    await this.call(method, args, { session, expect: code });
  }

  /** Every getter, then every entry from the snapshot index to one past the last index. */
  async checkAll(session = 0): Promise<void> {
    for (const method of RAFT_GETTERS) if (method !== 'read') await this.ok(method, undefined, session);
    await this.ok('read', undefined, session);
    const view = await this.view();
    const from = Math.max(1, view.snapshotIndex);
    const to = Math.min(view.lastIndex + 1, Number.MAX_SAFE_INTEGER);
    for (let index = from; index <= to; index++) await this.ok('read', { index: String(index) }, session);
  }

  /** Stops and starts the log (a clean restart), then checks every getter. */
  async restart(session = 0): Promise<void> {
    await this.ok('stop', undefined, session);
    await this.ok('start', undefined, session);
    await this.checkAll(session);
  }

  /**
   * The runner kills the testee between two calls and opens the same directory again in a fresh
   * one; here, a power loss of the in-memory disk. Then the log is started and every getter checked.
   */
  async kill(): Promise<void> {
    this.steps.push({ kill: true });
    this.kills++;
    this.oracle.running.clear();
    this.oracle.holder = undefined;
    this.storage.crash(seededRandom(this.kills * 7919 + this.steps.length));
    this.lsfs.clear();
    await this.ok('start');
    await this.checkAll();
  }

  /** The oracle's state, for scripts that choose arguments from it (no step is recorded). */
  async view(): Promise<OracleView> {
    const log: LogAPI = await this.oracleLog();
    const snapshot = await log.getSnapshot();
    const snapshotIndex = snapshot?.index ?? 0;
    const snapshotTerm = snapshot?.term ?? 0;
    return {
      term: await log.getTerm(),
      votedFor: await log.getVotedFor(),
      lastIndex: await log.getLastIndex(),
      lastTerm: await log.getLastTerm(),
      commitIndex: await log.getCommitIndex(),
      appliedIndex: await log.getAppliedIndex(),
      snapshotIndex,
      snapshotTerm,
      termAt: async (index: number) => {
        if (index === 0) return 0;
        if (index === snapshotIndex) return snapshotTerm;
        if (index < 0 || index < snapshotIndex) return undefined;
        return (await log.read(index))?.term;
      },
    };
  }

  /** Stops every LSFS log the trace started (the in-memory disk is then dropped). */
  async dispose(): Promise<void> {
    for (const log of this.lsfs.values()) await log.stop().catch(() => undefined);
  }
}
