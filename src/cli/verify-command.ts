/**
 * `lsfs verify`: reads every byte and checks every checksum (a salvage scan), then lists every
 * damaged place. Exit 0 clean, 1 damaged (a torn tail counts: the file is not as written).
 */
import cliProgress from 'cli-progress';
import type { VerifyReport } from '../engine/block-reader.js';
import { EXIT_DAMAGE, EXIT_OK } from './exit.js';
import type { LineOutput } from './line-output.js';
import { closeTarget, openTarget, verifyTarget } from './read-target.js';

export const VERIFY_HELP = `
Checks every checksum of FILE and prints a summary on stdout, then one line per damaged place
("damage: CODE at offset X, N bytes: message"): every unreadable range, and the torn tail.
Shows a progress bar on stderr when stderr is a terminal.
Exit status: 0 clean, 1 damage found, 2 usage or I/O error (missing or unreadable file).`;

type Progress = (done: number, total: number) => void;

export async function verifyCommand(path: string, out: LineOutput): Promise<number> {
  const target = await openTarget(path);
  try {
    const report = await withProgressBar(target.size, (onProgress) => verifyTarget(target, onProgress));
    for (const line of reportLines(path, report)) await out.write(line);
    await out.flush();
    return isClean(report) ? EXIT_OK : EXIT_DAMAGE;
  } finally {
    await closeTarget(target);
  }
}

/** Runs `task` with a progress bar on stderr, only for a person watching a terminal. */
async function withProgressBar<T>(total: number, task: (onProgress: Progress | undefined) => Promise<T>): Promise<T> {
  if (!process.stderr.isTTY) return task(undefined);
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'verify |{bar}| {percentage}% | {value}/{total} bytes', clearOnComplete: true, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  try {
    return await task((done) => bar.update(done));
  } finally {
    bar.stop();
  }
}

function isClean(report: VerifyReport): boolean {
  return report.gaps.length === 0 && (report.tail === undefined || report.tail.length === 0);
}

function reportLines(path: string, report: VerifyReport): string[] {
  const range = report.firstIndex === undefined ? '' : `, indexes ${report.firstIndex} to ${report.lastIndex}`;
  const lines = [`${path}: ${report.bytes} bytes, ${report.records} intact records${range}\n`];
  for (const gap of report.gaps) lines.push(`damage: ${gap.code} at offset ${gap.offset}, ${gap.length} bytes: ${gap.message}\n`);
  const { tail } = report;
  if (tail !== undefined && tail.length > 0) lines.push(`damage: TORN_TAIL at offset ${tail.offset}, ${tail.length} bytes: bytes after the last whole record\n`);
  const places = lines.length - 1;
  lines.push(places === 0 ? 'result: ok, every checksum matches\n' : `result: DAMAGED, ${places} damaged place${places === 1 ? '' : 's'}\n`);
  return lines;
}
