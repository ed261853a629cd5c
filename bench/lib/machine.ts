/** What the results were measured on: CPU, memory, the temp dir's file system and disk, Node. */
import { readFileSync, readdirSync, realpathSync, statfsSync } from 'node:fs';
import os from 'node:os';
import { basename } from 'node:path';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  platform: string;
  kernel: string;
  tempDir: string;
  fsType: string;
  mountPoint: string;
  device: string;
  mountOptions: string;
  diskModel: string;
  rotational: boolean | undefined;
  freeBytes: number;
  node: string;
  v8: string;
  uvThreadpoolSize: string;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews results. */
  loadAverage: number[];
}

const FS_MAGIC: Record<number, string> = {
  0xef53: 'ext4',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
  0xf2f52010: 'f2fs',
  0x6969: 'nfs',
};

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The mount that holds `path`: the longest mount point that prefixes it. */
function mountOf(path: string): { mountPoint: string; device: string; fsType: string; options: string } | undefined {
  const mounts = readText('/proc/mounts');
  if (mounts === undefined) return undefined;
  let best: { mountPoint: string; device: string; fsType: string; options: string } | undefined;
  for (const line of mounts.split('\n')) {
    const [device, mountPoint, fsType, options] = line.split(' ');
    if (device === undefined || mountPoint === undefined || fsType === undefined) continue;
    const prefix = mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`;
    if (path !== mountPoint && !path.startsWith(prefix)) continue;
    if (best === undefined || mountPoint.length >= best.mountPoint.length) best = { mountPoint, device, fsType, options: options ?? '' };
  }
  return best;
}

/** Model and rotational flag of the block device behind `device` (/dev/vda1 -> vda). */
function diskOf(device: string): { model: string; rotational: boolean | undefined } {
  const name = basename(device);
  const blocks = (() => {
    try {
      return readdirSync('/sys/block');
    } catch {
      return [];
    }
  })();
  const disk = blocks.find((block) => name === block || name.startsWith(block)) ?? name;
  const vendor = readText(`/sys/block/${disk}/device/vendor`);
  const model = readText(`/sys/block/${disk}/device/model`) ?? (vendor === '0x1af4' || disk.startsWith('vd') ? 'virtio block device' : (vendor ?? 'unknown'));
  const rotational = readText(`/sys/block/${disk}/queue/rotational`);
  return { model: `${disk}: ${model}`, rotational: rotational === undefined ? undefined : rotational === '1' };
}

export function freeBytesAt(path: string): number {
  const stats = statfsSync(path);
  return stats.bavail * stats.bsize;
}

export function machineInfo(tempDir: string): MachineInfo {
  const real = realpathSync(tempDir);
  const cpus = os.cpus();
  const statfs = statfsSync(real);
  const mount = mountOf(real);
  const disk = diskOf(mount?.device ?? '');
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    tempDir: real,
    fsType: FS_MAGIC[statfs.type] ?? mount?.fsType ?? `0x${statfs.type.toString(16)}`,
    mountPoint: mount?.mountPoint ?? '?',
    device: mount?.device ?? '?',
    mountOptions: mount?.options ?? '',
    diskModel: disk.model,
    rotational: disk.rotational,
    freeBytes: statfs.bavail * statfs.bsize,
    node: process.version,
    v8: process.versions.v8,
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
}
