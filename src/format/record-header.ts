/** The record header at the start of a record's data (spec §7). */
export interface RecordHeader {
  readonly typeCode: bigint;
  readonly payloadLength: number;
}

/** Reads the record header from the first 12 bytes of `bytes` at `at`; the caller checks the length limit. */
export function decodeRecordHeader(bytes: Buffer, at: number): RecordHeader {
  return { typeCode: bytes.readBigUInt64LE(at), payloadLength: bytes.readUInt32LE(at + 8) };
}
