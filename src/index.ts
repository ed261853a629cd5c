/**
 * LSFS — log-structured record stream files. The reference engine of the format in
 * `spec/lsfs-format.md`.
 *
 * Start with {@link RecordLog}: append typed records, sync them (group commit), read them back by
 * index or in order. {@link BlockReader} reads a file without writing to it, also while another
 * process appends. {@link MemoryStorage} is an in-memory disk that tests can crash.
 * @packageDocumentation
 * @module lsfs
 */
export { RecordLog, type RecordLogOptions, type NewRecord } from './engine/record-log.js';
export { BlockWriter, type CreateOptions, type Recovery } from './engine/block-writer.js';
export { BlockReader, type ReaderOptions, type VerifyReport, readFileHeader } from './engine/block-reader.js';
export type { LsfsRecord, Gap, TornTail, ScanReport } from './engine/record.js';
export type { ScanMode } from './engine/scanner.js';
export { LsfsError, isLsfsError, ERROR_CODES, type ErrorCode } from './errors.js';
export type { FileHeader } from './format/file-header.js';
export {
  DEFAULT_BLOCK_SIZE,
  MAX_PAYLOAD_LENGTH,
  MAX_RECORD_INDEX,
  MAX_TYPE_CODE,
  FORMAT_VERSION,
} from './format/constants.js';
export type { Storage, StorageFile, StorageLock } from './io/storage.js';
export { NodeStorage, type NodeStorageOptions, type SyncMode } from './io/node-storage.js';
export { MemoryStorage, seededRandom, type RandomSource, type CrashSummary, type CrashedFile } from './io/memory-storage.js';
export * from './raft/index.js';
