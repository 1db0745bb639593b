/**
 * The figures of one process across its incarnations: what `status()` and `tree()` report and
 * what the supervisor's heartbeat reads to tell a stuck process from a busy one.
 */
export class ProcessStats {
  /** Messages handled (successfully or not) since the process was first started. */
  processed = 0;
  /** Handlers that threw, failed restarts and refused checkpoints. */
  errors = 0;
  restarts = 0;
  /** Set by the heartbeat while work waited through a whole beat and nothing was handled. */
  stuck = false;
  /** The last crash's text. */
  lastError: string | undefined = undefined;
  private processedAtLastBeat = -1;
  private busyAtLastBeat = false;

  /**
   * One heartbeat. Work must have been waiting at the last beat already (a handler that just
   * began is not stuck). Returns true when the process has just become stuck.
   */
  beat(running: boolean, busy: boolean): boolean {
    const stuck = running && busy && this.busyAtLastBeat && this.processed === this.processedAtLastBeat;
    this.processedAtLastBeat = this.processed;
    this.busyAtLastBeat = busy;
    const becameStuck = stuck && !this.stuck;
    this.stuck = stuck;
    return becameStuck;
  }
}
