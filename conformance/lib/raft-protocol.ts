/**
 * The `raft-log` profile of conformance/PROTOCOL.md (§4.7): the LogAPI methods a testee serves
 * through `raft-call`, the names of their arguments, and the fields of `getStats` that are
 * compared. Shared by the runner, the TypeScript testees and the vector generator; nothing here
 * imports the engine.
 */

/** Every method of the profile, in the order of PROTOCOL.md §4.7. */
export const RAFT_METHODS = [
  'start',
  'stop',
  'getTerm',
  'setTerm',
  'incrTerm',
  'getVotedFor',
  'setVotedFor',
  'getUri',
  'setUri',
  'getBroken',
  'setBroken',
  'setFixed',
  'append',
  'appendMulti',
  'insert',
  'read',
  'deleteAllFrom',
  'markCommitted',
  'markApplied',
  'getFirstIndex',
  'getLastIndex',
  'getLastTerm',
  'getCommitIndex',
  'getAppliedIndex',
  'saveClusterConfig',
  'getClusterConfig',
  'installSnapshot',
  'getSnapshot',
  'getStats',
] as const;

export type RaftMethod = (typeof RAFT_METHODS)[number];

/**
 * The members of `args` each method takes, in the order of the LogAPI's parameters. `read`'s
 * `index` is optional (without it: the newest entry); every other listed member is required.
 */
export const RAFT_ARGUMENTS: Readonly<Record<RaftMethod, readonly string[]>> = {
  start: [],
  stop: [],
  getTerm: [],
  setTerm: ['term'],
  incrTerm: [],
  getVotedFor: [],
  setVotedFor: ['nodeId'],
  getUri: [],
  setUri: ['uri'],
  getBroken: [],
  setBroken: [],
  setFixed: [],
  append: ['entry'],
  appendMulti: ['entries'],
  insert: ['entry'],
  read: ['index'],
  deleteAllFrom: ['index'],
  markCommitted: ['index'],
  markApplied: ['index'],
  getFirstIndex: [],
  getLastIndex: [],
  getLastTerm: [],
  getCommitIndex: [],
  getAppliedIndex: [],
  saveClusterConfig: ['config'],
  getClusterConfig: [],
  installSnapshot: ['snapshot'],
  getSnapshot: [],
  getStats: [],
};

/** The methods that change nothing: a runner may repeat them, a testee may serve them from memory. */
export const RAFT_GETTERS: ReadonlySet<RaftMethod> = new Set([
  'getTerm',
  'getVotedFor',
  'getUri',
  'getBroken',
  'read',
  'getFirstIndex',
  'getLastIndex',
  'getLastTerm',
  'getCommitIndex',
  'getAppliedIndex',
  'getClusterConfig',
  'getSnapshot',
  'getStats',
]);

/** The fields of `getStats` the profile compares: those that depend neither on the clock nor on the storage. */
export const RAFT_STATS_FIELDS = ['firstIndex', 'lastIndex', 'lastTerm', 'recordCount', 'recordsSinceSnapshot', 'snapshotIndex'] as const;

/** The fields of an entry object in results, in order (PROTOCOL.md §4.7). */
export const RAFT_ENTRY_FIELDS = ['index', 'term', 'command', 'result', 'error', 'code', 'serial', 'leaderId', 'committed', 'applied'] as const;

export function isRaftMethod(value: unknown): value is RaftMethod {
  return typeof value === 'string' && (RAFT_METHODS as readonly string[]).includes(value);
}
