import type { Clock } from '../interfaces/genserver.types.js';
import { MAX_DURATION_MS } from './duration.js';

/**
 * @internal Where the runtime reads the time and arms its timers (sendAfter, call timeouts, init
 * timeouts, handler watchdogs, supervisor backoff and heartbeats, checkpoint intervals). One per
 * app: Node's timers, or a module `clock` that has timers of its own (the testing kit's
 * `VirtualClock`), so tests drive time without patching the global timers.
 */
export interface Scheduler {
  now(): number;
  setTimeout(fire: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** A repeating timer; Node's are unref'd (background work never keeps an app alive). */
  setInterval(fire: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (fire, ms) => setTimeout(fire, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setInterval: (fire, ms) => setInterval(fire, ms).unref(),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** The module `clock` when it has timers (all four functions), else Node's: a clock with `now` alone drives restart windows only. */
export function schedulerOf(clock: Clock | undefined): Scheduler {
  if (clock === undefined) return systemScheduler;
  const { setTimeout: set, clearTimeout: clear, setInterval: every, clearInterval: clearEvery } = clock;
  if (typeof set !== 'function' || typeof clear !== 'function' || typeof every !== 'function' || typeof clearEvery !== 'function') return systemScheduler;
  return {
    now: () => clock.now(),
    setTimeout: (fire, ms) => set.call(clock, fire, ms),
    clearTimeout: (handle) => clear.call(clock, handle),
    setInterval: (fire, ms) => every.call(clock, fire, ms),
    clearInterval: (handle) => clearEvery.call(clock, handle),
  };
}

/**
 * Arms a timer for a duration, or none for `Infinity`. A computed delay (a backoff, a remaining
 * time) is clamped into the timer's range rather than wrapping to 1 ms.
 */
export function armTimer(ms: number, fire: () => void, scheduler: Scheduler = systemScheduler): unknown {
  if (ms === Infinity) return null;
  return scheduler.setTimeout(fire, Math.min(MAX_DURATION_MS, Math.max(0, ms || 0)));
}
