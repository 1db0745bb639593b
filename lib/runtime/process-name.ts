import { InvalidOptionError } from '../errors/invalid-option.error.js';

/** Throws `InvalidOptionError` unless `name` is a non-empty string (symbols, numbers, null…). */
export function checkProcessName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidOptionError('process name', name, 'a non-empty string');
}
