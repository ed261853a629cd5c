/** A reader that follows a writer (RSF-074) sees only whole records, on both storages. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordLog } from '../../src/engine/record-log.js';
import { BlockReader } from '../../src/engine/block-reader.js';
import { NodeStorage } from '../../src/io/node-storage.js';
import type { Storage } from '../../src/io/storage.js';
import { memoryStorage, patternPayload } from '../support/arbitraries.js';

const tempDirs: string[] = [];
afterAll(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

async function storages(): Promise<[string, Storage, string][]> {
  const dir = await mkdtemp(join(tmpdir(), 'lsfs-follow-'));
  tempDirs.push(dir);
  return [
    ['memory', await memoryStorage(), '/mem/follow.lsfs'],
    ['node fs', new NodeStorage(), join(dir, 'follow.lsfs')],
  ];
}

describe('a reader following a writer', async () => {
  // covers RSF-074
  for (const [name, storage, path] of await storages()) {
    it(`sees every flushed record and nothing torn (${name})`, async () => {
      const log = await RecordLog.open(path, { storage, blockSize: 512 });
      const reader = await BlockReader.open(storage, path);
      expect(reader.lastIndex).toBeUndefined();
      const lengths = [10, 900, 0, 3000, 5, 511, 480];
      for (const [i, length] of lengths.entries()) {
        log.append(BigInt(i), patternPayload(length, i));
        await log.flush();
        await reader.refresh();
        expect(reader.lastIndex).toBe(BigInt(i));
        expect(reader.tail).toBeUndefined();
        const record = await reader.get(BigInt(i));
        expect(record.payload.equals(patternPayload(length, i))).toBe(true);
      }
      // A record half written (as a reader may catch it mid-write) is invisible, not an error.
      const file = await storage.open(path, 'write');
      const size = await file.size();
      await file.write(Buffer.from([0x53, 0x4c, 0x02, 0x00, 0xff]), size);
      await reader.refresh();
      expect(reader.lastIndex).toBe(BigInt(lengths.length - 1));
      expect(reader.tail).toMatchObject({ code: 'TORN_TAIL', offset: size, length: 5 });
      await file.truncate(size);
      await file.close();
      await reader.close();
      await log.close();
    });
  }
});
