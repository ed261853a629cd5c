/**
 * The profile modules the runner knows. A new profile is a module implementing
 * {@link ProfileModule}, added to this list; nothing else in the runner changes.
 */
import { raftLogProfile } from './raft-log.js';
import { readerProfile } from './reader.js';
import type { ProfileModule } from './types.js';
import { writerProfile } from './writer.js';

export const PROFILE_MODULES: ReadonlyMap<string, ProfileModule> = new Map([readerProfile, writerProfile, raftLogProfile].map((module) => [module.name, module]));

export type { CaseContext, ProfileModule } from './types.js';
export { VectorProblem } from './types.js';
