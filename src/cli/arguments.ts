// Parsers of command-line numbers, shared by the commands: a bad value is a BAD_ARGUMENT naming it.

import { JouleError } from '../core/errors.js';

function parser(what: string, ok: (n: number) => boolean): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !ok(n)) throw new JouleError('BAD_ARGUMENT', `expected ${what}, got '${value}'`);
    return n;
  };
}

export const positiveInt = parser('a positive integer', (n) => Number.isInteger(n) && n >= 1);
export const nonNegativeInt = parser('a non-negative integer', (n) => Number.isInteger(n) && n >= 0);
export const positiveNumber = parser('a positive number', (n) => Number.isFinite(n) && n > 0);
export const nonNegativeNumber = parser('a non-negative number', (n) => Number.isFinite(n) && n >= 0);

/** A comma-separated list of positive integers. */
export function positiveInts(value: string): number[] {
  return value.split(',').map((s) => {
    const n = Number(s.trim());
    if (s.trim() === '' || !Number.isInteger(n) || n < 1) throw new JouleError('BAD_ARGUMENT', `expected positive integers, got '${value}'`);
    return n;
  });
}
