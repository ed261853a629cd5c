/** Builds LSFS file bytes straight from the format layer (no engine), for parser tests. */
import { encodeFileHeader } from '../../src/format/file-header.js';
import { encodeRecord } from '../../src/format/layout.js';

export interface RecordSpec {
  readonly typeCode: bigint;
  readonly payload: Buffer;
}

export interface BuiltFile {
  readonly bytes: Buffer;
  /** File length after each record: the sync points. */
  readonly ends: number[];
}

export function buildFile(records: readonly RecordSpec[], options: { blockSize?: number; fileId?: bigint; baseIndex?: bigint } = {}): BuiltFile {
  const blockSize = options.blockSize ?? 4096;
  const fileId = options.fileId ?? 0x0123456789abcdefn;
  const baseIndex = options.baseIndex ?? 0n;
  const parts: Buffer[] = [encodeFileHeader({ blockSize, fileId, baseIndex })];
  let length = parts[0]!.length;
  const ends: number[] = [];
  records.forEach((record, i) => {
    const bytes = encodeRecord(length, baseIndex + BigInt(i), record.typeCode, record.payload, { blockSize, fileId });
    parts.push(bytes);
    length += bytes.length;
    ends.push(length);
  });
  return { bytes: Buffer.concat(parts), ends };
}
