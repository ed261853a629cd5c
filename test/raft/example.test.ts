/** examples/raft-node.ts runs to the end on the real file system and leaves the expected state. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runRaftNodeExample } from '../../examples/raft-node.js';

it('examples/raft-node.ts runs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'raft-example-'));
  const lines: string[] = [];
  try {
    const state = await runRaftNodeExample(join(root, 'log'), (line) => lines.push(line));
    expect(Object.fromEntries(state)).toEqual({ x: '3', y: '2' });
    expect(lines.at(-1)).toBe('last entry: index 5, term 2, TERM_START, leader raft://node-2, committed false');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
