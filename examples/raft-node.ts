/**
 * How a Raft engine uses LsfsRaftLog: one node's life, from a new log to a restart.
 *
 * Build, then run:  npm run build && node dist/examples/raft-node.js [directory]
 * (without a directory it uses a new temporary one and removes it at the end).
 *
 * The "state machine" is a small key-value map; its commands are `set <key> <value>` as UTF-8.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LsfsRaftLog, type LogAPI, type LogEntry } from '../src/raft/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Applies committed entries the state machine has not seen yet, and records how far it got. */
async function applyCommitted(log: LogAPI, state: Map<string, string>): Promise<void> {
  const commitIndex = await log.getCommitIndex();
  for (let index = (await log.getAppliedIndex()) + 1; index <= commitIndex; index++) {
    const entry = (await log.read(index)) as LogEntry;
    if (entry.code === 'CLIENT_COMMAND') {
      const [verb, key, value] = decoder.decode(entry.command).split(' ');
      if (verb === 'set' && key !== undefined && value !== undefined) state.set(key, value);
    }
    // Durable before the next step: after a crash the node resumes right after this entry.
    await log.markApplied(index);
  }
}

/** Runs the example in `directory`, printing with `print`. */
export async function runRaftNodeExample(directory: string, print: (line: string) => void = console.log): Promise<Map<string, string>> {
  const node = 'raft://node-1';
  let log = new LsfsRaftLog({ directory });
  await log.start();
  await log.setUri(node);
  await log.saveClusterConfig({ nodes: { [node]: { uri: node }, 'raft://node-2': { uri: 'raft://node-2' }, 'raft://node-3': { uri: 'raft://node-3' } } });

  // An election: a new term, a vote for ourselves, both durable before any vote request goes out.
  const term = await log.incrTerm();
  await log.setVotedFor(node);
  print(`term ${term}, voted for ${await log.getVotedFor()}`);

  // Elected: the leader starts its term with a TERM_START entry, then appends client commands.
  await log.append({ term, code: 'TERM_START', leaderId: node });
  const commands = ['set x 1', 'set y 2', 'set x 3'].map((text, serial) => ({ term, command: encoder.encode(text), serial, leaderId: node }));
  // Entries from concurrent clients share one fsync (group commit).
  await Promise.all(commands.map((entry) => log.append(entry)));
  print(`appended up to index ${await log.getLastIndex()}`);

  // A quorum stored them: commit, then apply to the state machine.
  await log.markCommitted(await log.getLastIndex());
  const state = new Map<string, string>();
  await applyCommitted(log, state);
  print(`applied ${await log.getAppliedIndex()}: ${JSON.stringify(Object.fromEntries(state))}`);

  // A follower's log disagrees after a leader change: Raft's conflict rule replaces the suffix.
  await log.append({ term, command: encoder.encode('set z 9'), leaderId: node });
  await log.setTerm(term + 1);
  await log.insert({ index: await log.getLastIndex(), term: term + 1, code: 'TERM_START', leaderId: 'raft://node-2' });
  print(`entry ${await log.getLastIndex()} is now a ${(await log.read())?.code} of term ${(await log.read())?.term}`);

  // The state machine saved a snapshot up to the applied index: the log drops what it covers.
  const applied = await log.getAppliedIndex();
  await log.installSnapshot({ index: applied, term });
  print(`snapshot at ${applied}; first index now ${await log.getFirstIndex()}`);

  // Restart (a new process would do the same): everything acknowledged is still there.
  await log.stop();
  log = new LsfsRaftLog({ directory });
  await log.start();
  const stats = await log.getStats();
  print(`after restart: term ${await log.getTerm()}, vote ${await log.getVotedFor() ?? 'none'}, entries ${stats.firstIndex}..${stats.lastIndex}, commit ${await log.getCommitIndex()}, snapshot ${JSON.stringify(await log.getSnapshot())}, ${stats.bytesOnDisk} bytes on disk`);
  const last = await log.read();
  print(`last entry: index ${last?.index}, term ${last?.term}, ${last?.code}, leader ${last?.leaderId}, committed ${last?.committed}`);
  await log.stop();
  return state;
}

// Run when executed directly (not when imported by a test).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const given = process.argv[2];
  const directory = given ?? (await mkdtemp(join(tmpdir(), 'raft-node-')));
  try {
    await runRaftNodeExample(given === undefined ? join(directory, 'log') : directory);
  } finally {
    if (given === undefined) await rm(directory, { recursive: true, force: true });
  }
}
