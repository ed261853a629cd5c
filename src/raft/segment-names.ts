/**
 * Names of the files in a log directory (spec RLG-050, RLG-051): segments are
 * `segment-<base>-<id>.lsfs`, both numbers as 20 decimal digits, so that names sort by base and a
 * new segment never takes the name of an old one, even of one whose removal a crash undid.
 */

/** Name of the directory lock (`raft-log.lock` on the real file system). */
export const DIRECTORY_LOCK_NAME = 'raft-log';

const SEGMENT_NAME = /^segment-(\d{20})-(\d{20})\.lsfs$/;

function digits20(value: number): string {
  return String(value).padStart(20, '0');
}

/** The file name of segment `id` whose first entry is `base`. */
export function segmentFileName(base: number, id: number): string {
  return `segment-${digits20(base)}-${digits20(id)}.lsfs`;
}

/** The base and id of a segment file name, or undefined for any other name. */
export function parseSegmentFileName(name: string): { base: number; id: number } | undefined {
  const match = SEGMENT_NAME.exec(name);
  if (match === null) return undefined;
  const base = Number(match[1]);
  const id = Number(match[2]);
  return Number.isSafeInteger(base) && Number.isSafeInteger(id) ? { base, id } : undefined;
}

/**
 * Leftovers this log may remove when it opens (RLG-082): lock files of segments (the segment's name
 * and `.lock`), and temporary files of interrupted atomic creations (a hidden name beginning with
 * the final name, then `.tmp-`).
 */
export function leftoverOf(name: string): string | undefined {
  if (name.endsWith('.lock') && parseSegmentFileName(name.slice(0, -'.lock'.length)) !== undefined) return name.slice(0, -'.lock'.length);
  const temporary = /^\.(.+)\.tmp-[^/]*$/.exec(name);
  if (temporary !== null && (parseSegmentFileName(temporary[1]!) !== undefined || temporary[1]!.startsWith('final-data.'))) return temporary[1];
  return undefined;
}
