// Leaf types every folder may use: this file imports nothing, so no folder reaches another through it.

/**
 * When a supervisor restarts a child that exited: `permanent` always, `transient` only after an
 * abnormal exit (anything but `'normal'`, `'shutdown'`, `{ shutdown }`), `temporary` never.
 */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/**
 * Why a process ended. `'normal'`, `'shutdown'` and `{ shutdown: string }` are orderly exits;
 * anything else (an `Error` thrown by a handler, any other string) is a crash. Where a reason is
 * taken from a caller (`runtime.stop`, `this.stop`), `null` and `undefined` mean `'normal'`.
 */
export type ExitReason = string | { shutdown: string } | Error;

/** Which handler family a message goes to. */
export type MessageKind = 'call' | 'cast' | 'info';

/** Options of a single `call`. */
export interface CallOptions {
  /**
   * Ms to wait for the reply: a number from 0 to 2^31 - 1, or `Infinity` to wait for ever; the
   * module's `callTimeout` when left out. Anything else rejects with `InvalidOptionError`.
   */
  timeout?: number;
}

/**
 * The time source of a runtime; a module option (`clock`), so tests can drive it. With `now` alone
 * it drives restart windows only. With the four timer functions too (the testing kit's
 * `VirtualClock`), every timer of the runtime runs on it: `sendAfter`, call timeouts, init
 * timeouts, handler watchdogs, supervisor backoff and heartbeats, checkpoint intervals.
 */
export interface Clock {
  now(): number;
  setTimeout?(fire: () => void, ms: number): unknown;
  clearTimeout?(handle: unknown): void;
  setInterval?(fire: () => void, ms: number): unknown;
  clearInterval?(handle: unknown): void;
}
