import { checkDuration } from '../common/duration.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';

// What a process's `sendAfter` and `monitor` refuse, checked where the instance calls them: on the
// app thread by its incarnation, on an isolated process's worker by the worker's binding (so the
// handler that misuses them throws, wherever it runs).

/** The delay, when `ms` is a duration and `to` (if given) a process name; else `InvalidOptionError`. */
export function checkSendAfter(ms: unknown, to: unknown): number {
  const delay = checkDuration('sendAfter delay', ms);
  if (to !== undefined && (typeof to !== 'string' || to.length === 0)) throw new InvalidOptionError('sendAfter to', to, 'a process name (a non-empty string)');
  return delay;
}

export function checkMonitorName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidOptionError('monitor name', name, 'a non-empty string');
}
