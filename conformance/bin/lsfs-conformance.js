#!/usr/bin/env node
// Launcher of `lsfs-conformance`, the conformance runner: the code is compiled by `npm run build`
// into dist/conformance/runner/.
let runner;
try {
  runner = await import('../../dist/conformance/runner/main.js');
} catch (error) {
  const detail = error instanceof Error ? error.message : String(error);
  process.stderr.write(`lsfs-conformance: cannot load the runner (run \`npm run build\`): ${detail.split('\n')[0]}\n`);
  process.exit(2);
}
await runner.runCli();
