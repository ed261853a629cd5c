/** Assertions on typed errors shared by the storage tests. */
import { expect } from 'vitest';
import { isLsfsError } from '../../src/errors.js';

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** `promise` rejects with an LsfsError of `code` (and, when given, an OS cause of `causeCode`). */
export async function expectCode(promise: Promise<unknown>, code: string, causeCode?: string): Promise<void> {
  const error = await rejection(promise);
  expect(isLsfsError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  if (causeCode !== undefined) expect((error as { cause?: { code?: string } }).cause?.code).toBe(causeCode);
}
