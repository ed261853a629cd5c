/** The block header at the start of every block k >= 1 (spec §5): encode and check. */
import { crc32c } from './crc32c.js';
import { BLOCK_HEADER_SIZE, BLOCK_MAGIC } from './constants.js';
import { type Damage, damage } from './damage.js';
import { hex32 } from './file-header.js';

export interface BlockHeader {
  readonly fileId: bigint;
  readonly blockNumber: number;
  readonly firstIndex: bigint;
}

const CRC_COVERS_FROM = 8;

export function encodeBlockHeader(header: BlockHeader, into: Buffer = Buffer.alloc(BLOCK_HEADER_SIZE), at = 0): Buffer {
  into.writeUInt32LE(BLOCK_MAGIC, at);
  into.writeBigUInt64LE(header.fileId, at + 8);
  into.writeBigUInt64LE(BigInt(header.blockNumber), at + 16);
  into.writeBigUInt64LE(header.firstIndex, at + 24);
  into.writeUInt32LE(crc32c(into.subarray(at + CRC_COVERS_FROM, at + BLOCK_HEADER_SIZE)), at + 4);
  return into;
}

/**
 * Checks the block header of block `blockNumber` in the order of RSF-031. `bytes` starts at the
 * block's first byte; fewer than 32 bytes is `TORN_TAIL` (only the file's end can cut a header short).
 */
export function decodeBlockHeader(bytes: Buffer, blockNumber: number, blockOffset: number, fileId: bigint, blockSize: number): BlockHeader | Damage {
  if (bytes.length < BLOCK_HEADER_SIZE) {
    return damage('TORN_TAIL', blockOffset, bytes.length, `file ends inside the header of block ${blockNumber}`);
  }
  if (bytes.readUInt32LE(0) !== BLOCK_MAGIC) {
    return damage('BAD_MAGIC', blockOffset, blockSize, `block ${blockNumber} has a bad block magic`);
  }
  const stored = bytes.readUInt32LE(4);
  const actual = crc32c(bytes.subarray(CRC_COVERS_FROM, BLOCK_HEADER_SIZE));
  if (stored !== actual) {
    return damage('CHECKSUM_MISMATCH', blockOffset, blockSize, `block ${blockNumber} header checksum ${hex32(stored)} does not match ${hex32(actual)}`);
  }
  const storedFileId = bytes.readBigUInt64LE(8);
  if (storedFileId !== fileId) {
    return damage('FOREIGN_BLOCK', blockOffset, blockSize, `block ${blockNumber} belongs to file ${storedFileId.toString(16)}, not ${fileId.toString(16)}`);
  }
  const storedNumber = bytes.readBigUInt64LE(16);
  if (storedNumber !== BigInt(blockNumber)) {
    return damage('MISPLACED_BLOCK', blockOffset, blockSize, `block ${blockNumber} holds the header of block ${storedNumber}`);
  }
  return { fileId, blockNumber, firstIndex: bytes.readBigUInt64LE(24) };
}
