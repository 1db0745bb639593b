/**
 * OTP's restart intensity: at most `maxRestarts` restarts within any `withinMs` window; one more
 * and the supervisor gives up on the child.
 */
export class RestartIntensity {
  private readonly times: number[] = [];

  constructor(
    private readonly maxRestarts: number,
    private readonly withinMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a restart if the window allows it; false when the limit is reached. */
  tryRestart(): boolean {
    const now = this.now();
    while (this.times.length > 0 && now - this.times[0]! >= this.withinMs) this.times.shift();
    if (this.times.length >= this.maxRestarts) return false;
    this.times.push(now);
    return true;
  }
}
