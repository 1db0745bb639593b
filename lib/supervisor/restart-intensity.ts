import type { Clock } from '../interfaces/genserver.types.js';
export type { Clock } from '../interfaces/genserver.types.js';

export const systemClock: Clock = { now: () => Date.now() };

/**
 * OTP's restart intensity: at most `maxRestarts` restarts within any `withinMs` window; one more
 * and the supervisor gives up.
 */
export class RestartIntensity {
  private readonly times: number[] = [];

  constructor(
    private readonly maxRestarts: number,
    private readonly withinMs: number,
    private readonly clock: Clock,
  ) {}

  /** Records a restart if the window allows it; false when the limit is reached. */
  tryRestart(): boolean {
    const now = this.clock.now();
    while (this.times.length > 0 && now - this.times[0]! >= this.withinMs) this.times.shift();
    if (this.times.length >= this.maxRestarts) return false;
    this.times.push(now);
    return true;
  }

  /** Restarts inside the current window (the backoff attempt number). */
  get recent(): number {
    return this.times.length;
  }

  /** How much of the intensity the current window has used, for status views (reads, never records). */
  used(): { readonly restarts: number; readonly maxRestarts: number; readonly withinMs: number } {
    const now = this.clock.now();
    let restarts = 0;
    for (const at of this.times) if (now - at < this.withinMs) restarts++;
    return { restarts, maxRestarts: this.maxRestarts, withinMs: this.withinMs };
  }

  reset(): void {
    this.times.length = 0;
  }
}
