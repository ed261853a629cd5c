/**
 * Once before all tests: compile spec/lsfs.ksy into the Kaitai parser when it is missing or older
 * than the schema (`npm test` builds it already; a bare `vitest run` on a fresh clone needs this).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const generated = join(root, 'spec', 'generated', 'javascript', 'Lsfs.js');
  const schema = join(root, 'spec', 'lsfs.ksy');
  const raftSchema = join(root, 'spec', 'lsfs-raft.ksy');
  if (!existsSync(generated) || statSync(generated).mtimeMs < Math.max(statSync(schema).mtimeMs, statSync(raftSchema).mtimeMs)) {
    execFileSync(process.execPath, [join(root, 'scripts', 'build-kaitai.mjs')], { cwd: root, stdio: 'inherit' });
  }
}
