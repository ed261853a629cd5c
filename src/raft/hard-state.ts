/**
 * The hard state (spec §6.2): everything of the Raft log that is not an entry — term, vote, commit
 * and applied indexes, snapshot, cluster configuration, URI, broken mark — and the list of live
 * segments, which is what makes a truncation atomic (§7). It is the payload of a final-data file.
 */
import { LsfsError } from '../errors.js';

/** A live segment file (RLG-052): its id, the index of its first entry, and its LSFS file id. */
export interface SegmentRef {
  readonly id: number;
  readonly base: number;
  readonly fileId: bigint;
}

/** The hard state; numbers are safe integers, `clusterConfig` is JSON text. */
export interface HardState {
  readonly term: number;
  readonly votedFor: string | undefined;
  readonly uri: string | undefined;
  readonly broken: boolean;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** 0 without a snapshot. */
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
  readonly clusterConfig: string | undefined;
  /** Id the next segment file gets: ids are never reused (RLG-051). */
  readonly nextSegmentId: number;
  /** Live segments by increasing base; the last one is the tail, which appends go to. */
  readonly segments: readonly SegmentRef[];
}

/** The state of a new log. */
export const INITIAL_HARD_STATE: HardState = {
  term: 0,
  votedFor: undefined,
  uri: undefined,
  broken: false,
  commitIndex: 0,
  appliedIndex: 0,
  snapshotIndex: 0,
  snapshotTerm: 0,
  clusterConfig: undefined,
  nextSegmentId: 1,
  segments: [],
};

/** Bytes before the segment list (RLG-061). */
export const HARD_STATE_FIXED_BYTES = 56;
/** Bytes of one segment reference. */
export const SEGMENT_REF_BYTES = 24;

/** Flag bits of the hard state's flags byte (RLG-061). */
export const HARD_STATE_FLAGS = { broken: 0x01, hasVotedFor: 0x02, hasUri: 0x04, hasClusterConfig: 0x08 } as const;
const RESERVED_FLAGS = 0xf0;

function optionalText(value: string | undefined): Buffer | undefined {
  return value === undefined ? undefined : Buffer.from(value, 'utf8');
}

/** The payload of a final-data file holding `state`. */
export function encodeHardState(state: HardState): Buffer {
  const texts = [optionalText(state.votedFor), optionalText(state.uri), optionalText(state.clusterConfig)];
  const length = HARD_STATE_FIXED_BYTES + SEGMENT_REF_BYTES * state.segments.length + texts.reduce((sum, text) => sum + (text === undefined ? 0 : 4 + text.length), 0);
  const bytes = Buffer.alloc(length);
  [state.term, state.commitIndex, state.appliedIndex, state.snapshotIndex, state.snapshotTerm, state.nextSegmentId].forEach((value, i) =>
    bytes.writeBigUInt64LE(BigInt(value), 8 * i),
  );
  bytes[48] =
    (state.broken ? HARD_STATE_FLAGS.broken : 0) |
    (texts[0] === undefined ? 0 : HARD_STATE_FLAGS.hasVotedFor) |
    (texts[1] === undefined ? 0 : HARD_STATE_FLAGS.hasUri) |
    (texts[2] === undefined ? 0 : HARD_STATE_FLAGS.hasClusterConfig);
  bytes.writeUInt32LE(state.segments.length, 52);
  let at = HARD_STATE_FIXED_BYTES;
  for (const segment of state.segments) {
    bytes.writeBigUInt64LE(BigInt(segment.id), at);
    bytes.writeBigUInt64LE(BigInt(segment.base), at + 8);
    bytes.writeBigUInt64LE(segment.fileId, at + 16);
    at += SEGMENT_REF_BYTES;
  }
  for (const text of texts) {
    if (text === undefined) continue;
    bytes.writeUInt32LE(text.length, at);
    text.copy(bytes, at + 4);
    at += 4 + text.length;
  }
  return bytes;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Reads the final-data payload; the CRC has already passed, so any failure here is not a crash's (RLG-073). */
export function decodeHardState(payload: Buffer, where: string): HardState {
  const fail = (code: 'UNSUPPORTED_FEATURE' | 'RECORD_TOO_LARGE' | 'TRUNCATED_HEADER' | 'INDEX_OUT_OF_ORDER', message: string): never => {
    throw new LsfsError(code, `${where}: ${message}`, { path: where });
  };
  if (payload.length < HARD_STATE_FIXED_BYTES) fail('TRUNCATED_HEADER', `a hard state of ${payload.length} bytes is shorter than ${HARD_STATE_FIXED_BYTES}`);
  const u64 = (offset: number, what: string): number => {
    const value = payload.readBigUInt64LE(offset);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail('UNSUPPORTED_FEATURE', `${what} ${value} exceeds 2^53 − 1`);
    return Number(value);
  };
  const [term, commitIndex, appliedIndex, snapshotIndex, snapshotTerm, nextSegmentId] = ['term', 'commit index', 'applied index', 'snapshot index', 'snapshot term', 'next segment id'].map(
    (what, i) => u64(8 * i, what),
  ) as [number, number, number, number, number, number];
  const flags = payload[48]!;
  if ((flags & RESERVED_FLAGS) !== 0 || payload[49] !== 0 || payload[50] !== 0 || payload[51] !== 0) fail('UNSUPPORTED_FEATURE', 'reserved hard-state bits are set');
  const count = payload.readUInt32LE(52);
  if (count > (payload.length - HARD_STATE_FIXED_BYTES) / SEGMENT_REF_BYTES) fail('RECORD_TOO_LARGE', `${count} segments do not fit in the hard state`);
  const segments: SegmentRef[] = [];
  let at = HARD_STATE_FIXED_BYTES;
  for (let i = 0; i < count; i++, at += SEGMENT_REF_BYTES) {
    segments.push({ id: u64(at, 'a segment id'), base: u64(at + 8, 'a segment base'), fileId: payload.readBigUInt64LE(at + 16) });
  }
  const text = (flag: number, what: string): string | undefined => {
    if ((flags & flag) === 0) return undefined;
    if (payload.length - at < 4) fail('RECORD_TOO_LARGE', `the ${what} runs past the end of the hard state`);
    const length = payload.readUInt32LE(at);
    if (length > payload.length - at - 4) fail('RECORD_TOO_LARGE', `the ${what} runs past the end of the hard state`);
    const bytes = payload.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    try {
      return UTF8.decode(bytes);
    } catch {
      return fail('UNSUPPORTED_FEATURE', `the ${what} is not valid UTF-8`);
    }
  };
  const votedFor = text(HARD_STATE_FLAGS.hasVotedFor, 'vote');
  const uri = text(HARD_STATE_FLAGS.hasUri, 'URI');
  const clusterConfig = text(HARD_STATE_FLAGS.hasClusterConfig, 'cluster config');
  if (at !== payload.length) fail('UNSUPPORTED_FEATURE', `${payload.length - at} bytes follow the hard state's fields`);
  if (clusterConfig !== undefined) {
    try {
      JSON.parse(clusterConfig);
    } catch {
      fail('UNSUPPORTED_FEATURE', 'the cluster config is not JSON');
    }
  }
  const state: HardState = {
    term,
    votedFor,
    uri,
    broken: (flags & HARD_STATE_FLAGS.broken) !== 0,
    commitIndex,
    appliedIndex,
    snapshotIndex,
    snapshotTerm,
    clusterConfig,
    nextSegmentId,
    segments,
  };
  const problem = inconsistency(state);
  if (problem !== undefined) fail('INDEX_OUT_OF_ORDER', problem);
  return state;
}

/** What breaks the invariants of RLG-062 in `state`, or undefined. */
export function inconsistency(state: HardState): string | undefined {
  if (state.appliedIndex > state.commitIndex) return `applied index ${state.appliedIndex} is above commit index ${state.commitIndex}`;
  if (state.snapshotIndex > state.appliedIndex) return `snapshot index ${state.snapshotIndex} is above applied index ${state.appliedIndex}`;
  if (state.snapshotIndex === 0 && state.snapshotTerm !== 0) return 'a snapshot term without a snapshot';
  const first = state.segments[0];
  if (first !== undefined && (first.base < 1 || first.base > state.snapshotIndex + 1)) return `the first segment starts at ${first.base}, not in 1..${state.snapshotIndex + 1}`;
  for (let i = 0; i < state.segments.length; i++) {
    const segment = state.segments[i]!;
    if (segment.id >= state.nextSegmentId) return `segment id ${segment.id} is not below the next id ${state.nextSegmentId}`;
    const next = state.segments[i + 1];
    if (next !== undefined && next.base <= segment.base) return `segment bases ${segment.base} and ${next.base} do not increase`;
  }
  if (state.segments.length > 0 && new Set(state.segments.map((segment) => segment.id)).size !== state.segments.length) return 'a segment id is listed twice';
  return undefined;
}
