import { armTimer, type Scheduler } from '../common/scheduler.js';
import { TimerRef } from './timer-ref.js';

let nextTimerId = 1;

/** The `sendAfter` timers of one incarnation; all of them go when it ends. */
export class TimerTable {
  /** `null` for a timer of `Infinity` ms: it never fires, but can be cancelled. */
  private timers: Map<number, unknown> | null = null;

  constructor(private readonly scheduler: Scheduler) {}

  /** `ms` is a duration already checked (see `checkDuration`). */
  start(ms: number, fire: () => void): TimerRef {
    const id = nextTimerId++;
    const timers = (this.timers ??= new Map());
    timers.set(
      id,
      armTimer(ms, () => {
        timers.delete(id);
        fire();
      }, this.scheduler),
    );
    return new TimerRef(id);
  }

  cancel(ref: TimerRef): boolean {
    const timers = this.timers;
    if (timers === null || !timers.has(ref.id)) return false;
    const timer = timers.get(ref.id);
    if (timer !== null) this.scheduler.clearTimeout(timer);
    timers.delete(ref.id);
    return true;
  }

  cancelAll(): void {
    if (!this.timers) return;
    for (const timer of this.timers.values()) if (timer !== null) this.scheduler.clearTimeout(timer);
    this.timers = null;
  }

  get size(): number {
    return this.timers?.size ?? 0;
  }
}
