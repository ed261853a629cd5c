/** Every case, in manifest order. */
import type { CaseSpec } from '../spec.js';
import { craftedCases } from './crafted.js';
import { flipCases } from './flips.js';
import { headerCases } from './header.js';
import { raftCases } from './raft.js';
import { tornCases } from './torn.js';
import { validCases } from './valid.js';
import { writerCases } from './writer.js';

export function allCases(): CaseSpec[] {
  return [...validCases(), ...writerCases(), ...headerCases(), ...tornCases(), ...flipCases(), ...craftedCases(), ...raftCases()];
}
