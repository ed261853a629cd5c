#!/usr/bin/env node
// Launcher of the `lsfs` CLI: the code is compiled by `npm run build` into dist/.
let cli;
try {
  cli = await import('../dist/src/cli/main.js');
} catch (error) {
  const detail = error instanceof Error ? error.message : String(error);
  process.stderr.write(`lsfs: INTERNAL: cannot load the CLI (run \`npm run build\`): ${detail.split('\n')[0]}\n`);
  process.exit(2);
}
await cli.runCli();
