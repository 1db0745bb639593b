import { GenServerError } from '../errors/genserver.error.js';

/** `clock.runUntilIdle()` fired its limit of timers and one-shot timers were still set. */
export class ClockNotIdleError extends GenServerError {
  constructor(
    readonly fired: number,
    readonly at: number,
    readonly pending: number,
  ) {
    super(
      `the virtual clock is not idle after ${fired} timers (now ${at} ms, ${pending} timers still set): ` +
        'a process re-arms a timer for ever (a sendAfter loop?); move time with clock.tick(ms) instead',
    );
  }
}
