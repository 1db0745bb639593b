import { Injectable } from '@nestjs/common';
import { checkDuration } from '../common/duration.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import type { Clock } from '../interfaces/genserver.types.js';
import { ClockNotIdleError } from './clock-not-idle.error.js';

interface VirtualTimer {
  readonly id: number;
  at: number;
  readonly every: number | undefined;
  readonly fire: () => void;
}

/** Event-loop turns given to the app after each timer fires: mailbox, handler, store and reply chains settle in a few. */
const SETTLE_TURNS = 5;
const DEFAULT_IDLE_LIMIT = 10_000;

/**
 * A clock that moves only when a test moves it. `GenServerTestingModule` makes it the runtime's
 * clock, so every timer of the app runs on it — `sendAfter`, call timeouts, init timeouts, handler
 * watchdogs, supervisor backoff, restart windows, heartbeats and checkpoint intervals — while
 * Node's global timers stay untouched (jest's own, your HTTP client's). Timers due at the same
 * instant fire in the order they were set; after each one the app gets a few event-loop turns to
 * handle what it caused, so a test reads the outcome right after `await clock.tick(ms)`.
 * Shutdown waits (`shutdownMs`) stay on real time: closing an app never waits for a clock nobody moves.
 */
@Injectable()
export class VirtualClock implements Clock {
  private time: number;
  private readonly timers = new Map<number, VirtualTimer>();
  private nextId = 1;
  /** The tick or run under way, if any; the next one starts after it. */
  private busy: Promise<void> = Promise.resolve();

  /** `start`: what `now()` reads before the first tick (default 0). */
  constructor(start = 0) {
    this.time = start;
  }

  /** The virtual time in ms. */
  now(): number {
    return this.time;
  }

  /** Timers set and not yet fired or cleared (repeating ones included). */
  get pending(): number {
    return this.timers.size;
  }

  setTimeout(fire: () => void, ms: number): unknown {
    return this.add(fire, ms, undefined);
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** As Node's: a period that is not a finite number from 1 (NaN, a string, Infinity) is 1 ms. */
  setInterval(fire: () => void, ms: number): unknown {
    const every = typeof ms === 'number' && Number.isFinite(ms) && ms >= 1 ? ms : 1;
    return this.add(fire, every, every);
  }

  clearInterval(handle: unknown): void {
    this.clearTimeout(handle);
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in order, each at its
   * own instant (a timer set by a firing one fires too when it falls within `ms`). Resolves once
   * the app has handled what they caused. Throws `InvalidOptionError` for a negative or non-number `ms`.
   * A timer callback that throws does not stop the others: the tick is made in full, then rejects
   * with the first such error. A tick asked for while another tick (or `runUntilIdle`) runs starts
   * when that one ends.
   */
  async tick(ms: number): Promise<void> {
    // Infinity would fire repeating timers (heartbeats) for ever.
    if (ms === Infinity) throw new InvalidOptionError('clock.tick ms', ms, 'a finite number of milliseconds (runUntilIdle() runs every one-shot timer)');
    checkDuration('clock.tick ms', ms);
    return this.exclusive(() => this.advance(ms));
  }

  private async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    const thrown: unknown[] = [];
    await settle();
    for (let timer = this.next(target); timer !== undefined; timer = this.next(target)) {
      this.fire(timer, thrown);
      await settle();
    }
    this.time = target;
    await settle();
    if (thrown.length > 0) throw thrown[0];
  }

  /**
   * Fires timers in time order, moving the clock to each, until no one-shot timer is left (repeating
   * ones, such as heartbeats, do not keep the clock busy; they fire when time passes them). Resolves
   * with how many one-shot timers fired. A process that re-arms a timer for ever never lets the clock go
   * idle: after `limit` timers (default 10,000; repeating ones passed on the way count too) it rejects
   * with `ClockNotIdleError`; use `tick` there. A timer callback that throws does not stop the run: it
   * rejects with the first such error once idle.
   */
  async runUntilIdle(options?: { limit?: number }): Promise<number> {
    const limit = options?.limit ?? DEFAULT_IDLE_LIMIT;
    if (!Number.isInteger(limit) || limit < 0) throw new InvalidOptionError('runUntilIdle limit', limit, 'a whole number of timers');
    return this.exclusive(() => this.drain(limit));
  }

  private async drain(limit: number): Promise<number> {
    let fired = 0;
    let steps = 0;
    const thrown: unknown[] = [];
    await settle();
    for (;;) {
      const oneShot = this.earliest((timer) => timer.every === undefined);
      if (oneShot === undefined) break;
      if (steps >= limit) throw new ClockNotIdleError(steps, this.time, this.timers.size);
      const timer = this.next(oneShot.at)!;
      this.fire(timer, thrown);
      steps++;
      if (timer.every === undefined) fired++;
      await settle();
    }
    if (thrown.length > 0) throw thrown[0];
    return fired;
  }

  /**
   * Runs `work` after every tick or run already under way: time moves by one at a time, so two
   * ticks not awaited in between add up (and time never goes back) rather than racing.
   */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.busy.then(work);
    this.busy = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private add(fire: () => void, ms: number, every: number | undefined): number {
    const id = this.nextId++;
    const delay = typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.timers.set(id, { id, at: this.time + delay, every, fire });
    return id;
  }

  /** The earliest timer due at or before `until` (ties: the first set). */
  private next(until: number): VirtualTimer | undefined {
    const timer = this.earliest(() => true);
    return timer !== undefined && timer.at <= until ? timer : undefined;
  }

  private earliest(match: (timer: VirtualTimer) => boolean): VirtualTimer | undefined {
    let found: VirtualTimer | undefined;
    for (const timer of this.timers.values()) {
      if (match(timer) && (found === undefined || timer.at < found.at)) found = timer;
    }
    return found;
  }

  /** Fires `timer` at its instant; what its callback throws goes to `thrown`, for the caller to rethrow. */
  private fire(timer: VirtualTimer, thrown: unknown[]): void {
    this.time = Math.max(this.time, timer.at);
    if (timer.every === undefined) this.timers.delete(timer.id);
    else timer.at += timer.every;
    try {
      timer.fire();
    } catch (error) {
      thrown.push(error);
    }
  }
}

/** A few event-loop turns: promise chains and `setImmediate` work the timer set off run to their end. */
export async function settle(turns = SETTLE_TURNS): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
