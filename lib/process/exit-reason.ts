import { describeCause } from '../errors/describe-value.js';
import type { ExitReason } from '../interfaces/genserver.types.js';
export type { ExitReason } from '../interfaces/genserver.types.js';

/** True for the reasons OTP treats as orderly: no restart of transient children, no error log. */
export function isNormalExit(reason: ExitReason): boolean {
  if (reason === 'normal' || reason === 'shutdown') return true;
  try {
    return reason !== null && typeof reason === 'object' && !(reason instanceof Error) && typeof reason.shutdown === 'string';
  } catch {
    return false;
  }
}

/** One-line text of a reason, for errors, logs and events. Never throws. */
export function describeReason(reason: ExitReason): string {
  try {
    if (reason !== null && typeof reason === 'object' && !(reason instanceof Error) && typeof reason.shutdown === 'string') {
      return `shutdown: ${reason.shutdown}`;
    }
  } catch {
    // a reason whose fields cannot be read is described as a value below
  }
  return describeCause(reason);
}

/**
 * What a thrown value means as an exit reason: an `Error` stays as it is, anything else becomes its
 * description (a Proxy whose traps throw included). Never throws.
 */
export function crashReason(thrown: unknown): ExitReason {
  try {
    if (thrown instanceof Error) return thrown;
  } catch {
    // a Proxy whose getPrototypeOf trap throws
  }
  return describeCause(thrown);
}

/**
 * A reason as a caller hands it over (`runtime.stop`, `this.stop`), made one the runtime can hold:
 * `null` and `undefined` mean `'normal'`; strings, errors and `{ shutdown }` stay as they are;
 * any other value is a crash whose reason is that value's description.
 */
export function exitReasonOf(value: unknown): ExitReason {
  if (value === null || value === undefined) return 'normal';
  if (typeof value === 'string') return value;
  try {
    if (typeof value === 'object' && !(value instanceof Error) && typeof (value as { shutdown?: unknown }).shutdown === 'string') return value as { shutdown: string };
  } catch {
    // a Proxy whose traps throw: a crash, described below
  }
  return crashReason(value);
}
