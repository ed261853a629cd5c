/** The record header at the start of a record's data (spec §7). */
import { RECORD_HEADER_SIZE } from './constants.js';

export interface RecordHeader {
  readonly typeCode: bigint;
  readonly payloadLength: number;
}

export function encodeRecordHeader(header: RecordHeader): Buffer {
  const bytes = Buffer.allocUnsafe(RECORD_HEADER_SIZE);
  bytes.writeBigUInt64LE(header.typeCode, 0);
  bytes.writeUInt32LE(header.payloadLength, 8);
  return bytes;
}

/** Reads the record header from the first 12 bytes of `bytes` at `at`; the caller checks the length limit. */
export function decodeRecordHeader(bytes: Buffer, at: number): RecordHeader {
  return { typeCode: bytes.readBigUInt64LE(at), payloadLength: bytes.readUInt32LE(at + 8) };
}
