/** Bytes a store keeps on disk: the files under its directory, as allocated and as their length. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface DiskUsage {
  /** Sum of file lengths. */
  apparent: number;
  /** Sum of allocated blocks (st_blocks × 512): what the file system really spends. */
  allocated: number;
  files: number;
}

export function diskUsage(path: string): DiskUsage {
  const stats = statSync(path);
  if (!stats.isDirectory()) return { apparent: stats.size, allocated: stats.blocks * 512, files: 1 };
  const total: DiskUsage = { apparent: 0, allocated: 0, files: 0 };
  for (const name of readdirSync(path)) {
    const child = diskUsage(join(path, name));
    total.apparent += child.apparent;
    total.allocated += child.allocated;
    total.files += child.files;
  }
  return total;
}
