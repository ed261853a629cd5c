/** The stores, loaded one by one: a peer whose package does not load is left out, with the reason. */
import type { Store, StoreId } from './types.js';

export interface LoadedStores {
  readonly stores: Store[];
  readonly missing: { id: StoreId; reason: string }[];
}

export type LsfsVariant = 'raft' | 'recordlog';

/** Which LSFS API the `lsfs` column runs: the Raft log (default) or the engine's RecordLog. */
export const lsfsChoice: { variant: LsfsVariant; fallbackReason?: string } = { variant: 'raft' };

async function loadLsfs(): Promise<Store> {
  const { rawLayout } = await import('./raw.js');
  if (lsfsChoice.variant === 'raft') {
    try {
      const { lsfsRaftStore, RAFT_ENTRY_PREFIX } = await import('./lsfs-raft.js');
      rawLayout.durablePayloadPrefix = RAFT_ENTRY_PREFIX;
      return lsfsRaftStore;
    } catch (error) {
      lsfsChoice.variant = 'recordlog';
      lsfsChoice.fallbackReason = `the Raft log (src/raft) did not load, RecordLog used instead: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
    }
  }
  rawLayout.durablePayloadPrefix = 0;
  return (await import('./lsfs.js')).lsfsStore;
}

const LOADERS: Record<StoreId, () => Promise<Store>> = {
  lsfs: loadLsfs,
  raw: async () => (await import('./raw.js')).rawStore,
  sqlite: async () => (await import('./sqlite.js')).sqliteStore,
  lmdb: async () => (await import('./lmdb.js')).lmdbStore,
  level: async () => (await import('./level.js')).levelStore,
};

export const ALL_STORES: StoreId[] = ['lsfs', 'raw', 'sqlite', 'lmdb', 'level'];

export async function loadStores(ids: readonly StoreId[]): Promise<LoadedStores> {
  const stores: Store[] = [];
  const missing: { id: StoreId; reason: string }[] = [];
  for (const id of ids) {
    try {
      stores.push(await LOADERS[id]());
    } catch (error) {
      missing.push({ id, reason: error instanceof Error ? error.message.split('\n')[0]! : String(error) });
    }
  }
  return { stores, missing };
}
