import { GenServerError } from '../errors/genserver.error.js';
import { messages } from '../errors/messages.js';
import { TimerRef } from './timer-ref.js';

const MAX_DELAY = 2_147_483_647;
let nextTimerId = 1;

/** The `sendAfter` timers of one incarnation; all of them go when it ends. */
export class TimerTable {
  private timers: Map<number, NodeJS.Timeout> | null = null;

  start(ms: number, fire: () => void): TimerRef {
    if (typeof ms !== 'number' || !(ms >= 0 && ms <= MAX_DELAY)) {
      throw new GenServerError(messages.invalidTimeout('sendAfter delay', ms));
    }
    const id = nextTimerId++;
    const timers = (this.timers ??= new Map());
    timers.set(
      id,
      setTimeout(() => {
        timers.delete(id);
        fire();
      }, ms),
    );
    return new TimerRef(id);
  }

  cancel(ref: TimerRef): boolean {
    const timer = this.timers?.get(ref.id);
    if (timer === undefined) return false;
    clearTimeout(timer);
    this.timers!.delete(ref.id);
    return true;
  }

  cancelAll(): void {
    if (!this.timers) return;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers = null;
  }

  get size(): number {
    return this.timers?.size ?? 0;
  }
}
