/**
 * How the durable workloads reach the disk, for LSFS and for raw fs alike (`--sync`): LSFS's
 * NodeStorage sync mode, and the same path for raw fs's fdatasync, so that raw fs stays the
 * physical limit of what LSFS does. Set by the runner before any store opens.
 */
import type { SyncMode } from '../../src/index.js';

export const syncChoice: { mode: SyncMode } = { mode: 'inline' };

/** How a sync runs under the current choice, for the report. */
export function syncDescription(): string {
  return syncChoice.mode === 'inline' ? 'fdatasync on the calling thread (fs.fdatasyncSync)' : 'fdatasync in the libuv thread pool (FileHandle.datasync)';
}
