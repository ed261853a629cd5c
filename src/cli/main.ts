/**
 * The `lsfs` command line: argument parsing (commander) and the one place where failures become
 * a single `lsfs: CODE: message` line on stderr and an exit status. Commands live in their modules.
 */
import { Command } from 'commander';
import { DUMP_HELP, dumpCommand } from './dump-command.js';
import { EXIT_OK, OutputClosed, describeFailure, failureLine, isCleanCommanderExit } from './exit.js';
import { INSPECT_HELP, inspectCommand } from './inspect-command.js';
import { LineOutput } from './line-output.js';
import { parseBlockSize, parseFileId, parseU64 } from './option-values.js';
import { VERIFY_HELP, verifyCommand } from './verify-command.js';
import { WRITE_HELP, writeCommand } from './write-command.js';

const PROGRAM_HELP = `
Errors print one line on stderr, "lsfs: CODE: message", with CODE an LSFS error code (spec §12),
USAGE for a bad command line, or IO_ERROR for an operating-system failure.
Exit status: 0 success, 1 damage found in the file, 2 usage, argument or I/O error.`;

/** Runs the CLI with `argv` (as process.argv: node, script, arguments); resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const out = new LineOutput(process.stdout);
  let status = EXIT_OK;
  const program = buildProgram(out, (code) => {
    status = code;
  });
  try {
    await program.parseAsync([...argv]);
    return status;
  } catch (error) {
    return statusOfFailure(error);
  }
}

/** Runs the CLI for this process; the launcher in bin/ calls it. */
export async function runCli(): Promise<void> {
  process.exitCode = await main(process.argv);
}

function statusOfFailure(error: unknown): number {
  // Nobody reads our output any more (`lsfs dump f | head`): nothing to report to anyone.
  if (error instanceof OutputClosed || isCleanCommanderExit(error)) return EXIT_OK;
  const failure = describeFailure(error);
  process.stderr.write(failureLine(failure));
  return failure.exitCode;
}

function buildProgram(out: LineOutput, setStatus: (code: number) => void): Command {
  const program = new Command('lsfs')
    .description('LSFS log-structured record files: write, dump, inspect and verify them')
    .exitOverride()
    // Commander's own error output is replaced by our one-line format (statusOfFailure).
    .configureOutput({ writeErr: () => undefined, outputError: () => undefined })
    .addHelpText('after', PROGRAM_HELP);
  // Subcommands created after exitOverride/configureOutput inherit both.
  program
    .command('write')
    .description('append records read as JSON Lines from stdin (creates FILE if missing)')
    .argument('<file>', 'the LSFS file')
    .option('--block-size <n>', 'block size of a new file: a power of two from 512 to 65536 (default 4096)', parseBlockSize)
    .option('--base-index <n>', 'index of the first record of a new file (default 0)', (text: string) => parseU64(text, '--base-index'))
    .option('--file-id <hex16>', 'file id of a new file: 16 hex digits (default random)', parseFileId)
    .addHelpText('after', WRITE_HELP)
    .action(async (file: string, options) => setStatus(await writeCommand(file, options, process.stdin, out)));
  program
    .command('dump')
    .description('print every record as a JSON line')
    .argument('<file>', 'the LSFS file')
    .option('--reverse', 'newest record first')
    .option('--from <index>', 'start at the record with this index', (text: string) => parseU64(text, '--from'))
    .option('--salvage', 'skip damaged ranges (reported on stderr) instead of stopping at them')
    .addHelpText('after', DUMP_HELP)
    .action(async (file: string, options) => setStatus(await dumpCommand(file, options, out)));
  program
    .command('inspect')
    .description('describe the file: header, records, damage and a table of its blocks')
    .argument('<file>', 'the LSFS file')
    .option('--all-blocks', 'show every block in the table')
    .addHelpText('after', INSPECT_HELP)
    .action(async (file: string, options) => setStatus(await inspectCommand(file, options, out)));
  program
    .command('verify')
    .description('check every checksum; exit 1 if any damage is found')
    .argument('<file>', 'the LSFS file')
    .addHelpText('after', VERIFY_HELP)
    .action(async (file: string) => setStatus(await verifyCommand(file, out)));
  return program;
}
