/** What readers return. */

/** One record: its index, type code and payload, and the file offset of its first slice. */
export interface LsfsRecord {
  /** The record's index: the file's base index plus its position in the file (spec §1). */
  readonly index: bigint;
  /** The record's 64-bit type code (spec §7). */
  readonly typeCode: bigint;
  /** The record's payload, 0 to 2^30 bytes. */
  readonly payload: Buffer;
  /** File offset of the record's FULL or FIRST slice. */
  readonly offset: number;
}

/** A byte range a salvage read could not read (spec RSF-072). */
export interface Gap {
  /** The error code (spec §12) of the damage that opened the gap. */
  readonly code: string;
  /** File offset where the gap starts: the start of its first lost range. */
  readonly offset: number;
  /** Bytes the gap covers, from `offset`. */
  readonly length: number;
  /** A description of the damage that opened the gap, for people. */
  readonly message: string;
}

/** The torn tail (spec §10): bytes after the end of the last whole record. */
export interface TornTail {
  /** Always `TORN_TAIL`, the code a torn tail is reported with (spec RSF-071). */
  readonly code: 'TORN_TAIL';
  /** Where the last whole record ends: the length the file is cut to on recovery. */
  readonly offset: number;
  /** Bytes from `offset` to the end of the file. */
  readonly length: number;
}

/** What a scan found besides records. */
export interface ScanReport {
  /** The byte ranges a salvage read could not read, in file order; always empty for a strict read. */
  gaps: Gap[];
  /** The torn tail after the last whole record, if the file ends with one. */
  tail: TornTail | undefined;
}
