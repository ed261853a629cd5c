/** Key and value bytes of the key-value peers: key = index, value = term (u64 LE) ‖ command. */
import type { Entry } from '../lib/data.js';

export const TERM_BYTES = 8;

export function valueOf(entry: Entry): Buffer {
  const value = Buffer.allocUnsafe(TERM_BYTES + entry.command.length);
  value.writeUInt32LE(entry.term >>> 0, 0);
  value.writeUInt32LE(Math.floor(entry.term / 0x100000000), 4);
  value.set(entry.command, TERM_BYTES);
  return value;
}

export function termFromValue(value: Uint8Array): number {
  const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return view.readUInt32LE(0) + view.readUInt32LE(4) * 0x100000000;
}

/** 8-byte big-endian key: byte order is index order (LevelDB compares keys bytewise). */
export function keyOf(index: number): Buffer {
  const key = Buffer.allocUnsafe(8);
  key.writeUInt32BE(Math.floor(index / 0x100000000), 0);
  key.writeUInt32BE(index >>> 0, 4);
  return key;
}

export function indexFromKey(key: Uint8Array): number {
  const view = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return view.readUInt32BE(0) * 0x100000000 + view.readUInt32BE(4);
}
