import { InvalidOptionError } from '../errors/invalid-option.error.js';

/**
 * Longest delay a Node.js timer honours (2^31 - 1 ms, ~24.8 days): `setTimeout` turns anything
 * longer into 1 ms. Every duration option is held to it.
 */
export const MAX_DURATION_MS = 2_147_483_647;

/** What every duration option accepts, as error texts say it. */
export const DURATION_RULE = `a number of milliseconds from 0 to ${MAX_DURATION_MS}, or Infinity (no timer)`;

/**
 * The one duration rule, shared by the YAML schema, code specs and the runtime: a number from 0
 * to 2^31 - 1 ms, or `Infinity` meaning "no timer". NaN, negatives, strings, arrays and anything
 * longer are not durations.
 */
export function isDuration(value: unknown): value is number {
  return typeof value === 'number' && ((value >= 0 && value <= MAX_DURATION_MS) || value === Infinity);
}

/** Returns `value` when it is a duration, else throws `InvalidOptionError` naming `option`. */
export function checkDuration(option: string, value: unknown): number {
  if (!isDuration(value)) throw new InvalidOptionError(option, value, DURATION_RULE);
  return value;
}
