import { expect } from 'vitest';
import { JouleError } from '../../src/core/errors.js';

/** The JouleError `f` throws; fails the test when it throws nothing or something else. */
export function catchJouleError(f: () => unknown): JouleError {
  try {
    f();
  } catch (e) {
    if (e instanceof JouleError) return e;
    throw e;
  }
  throw new Error('expected a JouleError');
}

/** Expects `p` to reject with a JouleError of `code` whose message contains every fragment. */
export async function expectJouleError(p: Promise<unknown>, code: string, ...fragments: string[]): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected an error').toBeInstanceOf(JouleError);
  expect((err as JouleError).code).toBe(code);
  for (const f of fragments) expect((err as JouleError).message).toContain(f);
}
