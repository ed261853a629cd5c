/** A read-only StorageFile over a Buffer, for tests of the parsing layers. */
import type { StorageFile } from '../../src/io/storage.js';

export function bufferFile(bytes: Buffer, path = 'buffer.lsfs'): StorageFile {
  return {
    path,
    async read(position, length) {
      return Buffer.from(bytes.subarray(position, Math.min(bytes.length, position + length)));
    },
    async write() {
      throw new Error('read-only');
    },
    async size() {
      return bytes.length;
    },
    async truncate() {
      throw new Error('read-only');
    },
    async datasync() {},
    async close() {},
  };
}
