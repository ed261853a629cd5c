/**
 * The API reference: TypeDoc with the repository's typedoc.json, run as its own process so that
 * its messages reach the person running the build. typedoc.json makes every validation warning an
 * error (`treatValidationWarningsAsErrors`), among them an exported item without a doc comment
 * (`validation.notDocumented` with `requiredToBeDocumented`), so the build fails on one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DocsError, ROOT } from './common.mjs';

const require = createRequire(import.meta.url);

/** The entry points of typedoc.json that exist now (src/raft/index.ts may come later). */
export function apiEntryPoints() {
  const config = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8'));
  return config.entryPoints.filter((entry) => existsSync(join(ROOT, entry)));
}

/** Runs TypeDoc into `outDir`; throws a DocsError listing its complaints when it fails. */
export function buildApi(outDir) {
  const cli = join(dirname(require.resolve('typedoc/package.json')), 'bin', 'typedoc');
  const entryPoints = apiEntryPoints();
  const args = [cli, '--options', join(ROOT, 'typedoc.json'), '--out', outDir, '--logLevel', 'Warn'];
  for (const entry of entryPoints) args.push('--entryPoints', entry);
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;]*m/g, '')
    .trim();
  if (result.status !== 0) {
    const undocumented = output.split('\n').filter((line) => line.includes('does not have any documentation'));
    const header = undocumented.length > 0 ? `${undocumented.length} exported item(s) have no doc comment; ` : '';
    throw new DocsError(`the API reference failed (typedoc exit ${result.status}): ${header}typedoc says:\n${output}`);
  }
  return { entryPoints, output };
}
