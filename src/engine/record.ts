/** What readers return. */

/** One record: its index, type code and payload, and the file offset of its first slice. */
export interface LsfsRecord {
  readonly index: bigint;
  readonly typeCode: bigint;
  readonly payload: Buffer;
  /** File offset of the record's FULL or FIRST slice. */
  readonly offset: number;
}

/** A byte range a salvage read could not read (spec RSF-072). */
export interface Gap {
  readonly code: string;
  readonly offset: number;
  readonly length: number;
  readonly message: string;
}

/** The torn tail (spec §10): bytes after the end of the last whole record. */
export interface TornTail {
  readonly code: 'TORN_TAIL';
  /** Where the last whole record ends: the length the file is cut to on recovery. */
  readonly offset: number;
  /** Bytes from `offset` to the end of the file. */
  readonly length: number;
}

/** What a scan found besides records. */
export interface ScanReport {
  gaps: Gap[];
  tail: TornTail | undefined;
}
