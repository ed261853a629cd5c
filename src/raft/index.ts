/**
 * The Raft log on LSFS (spec `spec/lsfs-raft-log.md`): the {@link LogAPI} a Raft engine stores
 * its hard state and entries through, {@link LsfsRaftLog} (durable, on LSFS files) and
 * {@link MemoryLog} (in memory, for tests).
 * @packageDocumentation
 */
export {
  ENTRY_CODES,
  type ClusterConfig,
  type ClusterNode,
  type ClusterSettings,
  type EntryCode,
  type LogAPI,
  type LogEntry,
  type LogStats,
  type NewEntry,
  type Snapshot,
} from './log-api.js';
export { MemoryLog, type MemoryLogOptions } from './memory-log.js';
export { LsfsRaftLog, DEFAULT_SEGMENT_BYTES, type LsfsRaftLogOptions } from './lsfs-raft-log.js';
export { MAX_CLUSTER_CONFIG_BYTES, MAX_ENTRY_DATA_BYTES, MAX_ID_BYTES } from './values.js';
