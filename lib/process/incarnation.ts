import { armTimer } from '../common/scheduler.js';
import { ProcessStoppedError } from '../errors/process-stopped.error.js';
import type { CallOptions, ExitReason } from '../interfaces/genserver.types.js';
import { checkMonitorName, checkSendAfter } from './binding-checks.js';
import { exitReasonOf } from './exit-reason.js';
import type { From } from './from.js';
import type { GenServerProcess, ProcessBinding } from './gen-server-process.js';
import { MonitorRef } from './monitor-ref.js';
import type { Envelope } from './envelope.js';
import type { ProcessPorts, Waiter } from './process-ports.js';
import { TimerRef } from './timer-ref.js';
import { TimerTable } from './timer-table.js';
import type { SendAfterOptions } from './gen-server-process.js';

/**
 * Start times are kept in ms after this instant: a small integer, which V8 stores in the object
 * itself (an epoch time in ms would be a separate 16-byte number per incarnation).
 */
const CLOCK_ORIGIN = Date.now();

/** What an incarnation asks of the cell it lives in. */
export interface IncarnationOwner {
  readonly name: string;
  readonly ports: ProcessPorts;
  /** The message whose handler is running, if any. */
  handling(): Envelope | null;
  /** Answers a deferred call; with durable replies the answer waits for its checkpoint. */
  replyLater(incarnation: Incarnation, from: From, value: unknown): void;
  checkpoint(): void;
  /** `this.stop(reason)`: the incarnation ends once its running handler returns. */
  requestExit(incarnation: Incarnation, reason: ExitReason): void;
  /** Something outside its callbacks failed it (its worker died): a crash, as a throw would be. */
  failedOutside(incarnation: Incarnation, error: unknown): void;
  /** See `Incarnation.crashedEarlier`. */
  crashedEarlier(incarnation: Incarnation, envelope: Envelope, error: unknown, unsent: readonly Envelope[]): void;
  /** See `Incarnation.handBack`. */
  handBack(unsent: readonly Envelope[], abandoned: Envelope | null): void;
}

/**
 * One incarnation of a process: what its instance's own methods (`sendAfter`, `monitor`,
 * `reply`, `stop`, …) reach. It is revoked when the incarnation ends, and from then on nothing it
 * holds can act on the next incarnation: its timers are cancelled, and its timer and DOWN
 * messages carry its number, so a later incarnation drops those already queued as stale.
 */
export class Incarnation implements ProcessBinding, Waiter {
  revoked = false;
  /** A stop the instance asked for (or a refused checkpoint), taken when its handler returns. */
  exitRequest: ExitReason | null = null;
  /** Calls it deferred with `noReply()` and still owes an answer (made on first use). */
  owed: Set<From> | null = null;
  /** When its `init` finished, in ms after `CLOCK_ORIGIN`; null while `init` runs. */
  private startedAt: number | null = null;
  /** Past `terminate`: it can no longer send either (an abandoned `init` or handler may still run). */
  private ended = false;
  private timers: TimerTable | null = null;
  /** The wait of `within`, while it lasts. */
  private limit: { timer: unknown; cancel(): void } | null = null;

  constructor(
    private readonly owner: IncarnationOwner,
    readonly number: number,
    readonly instance: GenServerProcess,
  ) {}

  get name(): string {
    return this.owner.name;
  }

  /** Its `init` has finished: uptime counts from now. */
  markStarted(): void {
    this.startedAt = this.owner.ports.scheduler.now() - CLOCK_ORIGIN;
  }

  /** Its `init` returned. */
  get initialized(): boolean {
    return this.startedAt !== null;
  }

  /** Milliseconds since its `init` finished; 0 while `init` runs. */
  uptimeMs(now = this.owner.ports.scheduler.now()): number {
    return this.startedAt === null ? 0 : now - CLOCK_ORIGIN - this.startedAt;
  }

  sendAfter(ms: number, payload: unknown, options?: SendAfterOptions): TimerRef {
    const to = options?.to;
    const delay = checkSendAfter(ms, to);
    if (this.revoked) return new TimerRef(0);
    const { outbox, telemetry } = this.owner.ports;
    // The timer's message links to the span that scheduled it (it is not that span's child).
    const link = telemetry.tracing ? telemetry.linkCarrier() : undefined;
    const name = this.owner.name;
    // To itself, the message belongs to this incarnation (a later one drops it as stale); to
    // another process, to whichever incarnation runs there when it fires.
    const target = to ?? name;
    const number = target === name ? this.number : undefined;
    return (this.timers ??= new TimerTable(this.owner.ports.scheduler)).start(delay, () => outbox.info(target, payload, number, link));
  }

  cancelTimer(ref: TimerRef): boolean {
    return this.timers !== null && ref instanceof TimerRef && this.timers.cancel(ref);
  }

  call<R>(to: string, payload: unknown, options?: CallOptions): Promise<R> {
    if (this.ended) return Promise.reject(this.gone());
    return this.owner.ports.outbox.call<R>(to, payload, options, { name: this.owner.name, waiter: this });
  }

  cast(to: string, payload: unknown): Promise<void> {
    if (this.ended) return Promise.reject(this.gone());
    return this.owner.ports.outbox.cast(to, payload);
  }

  reply(from: From, value: unknown): void {
    this.owner.replyLater(this, from, value);
  }

  replyError(from: From, error: Error): void {
    this.owner.ports.outbox.fail(from, error);
  }

  monitor(name: string): MonitorRef {
    checkMonitorName(name);
    // A monitor of an ended incarnation would fire into the next one: it never fires.
    if (this.revoked) return new MonitorRef(0, name);
    return this.owner.ports.monitors.monitor(this.owner.name, this.number, name);
  }

  demonitor(ref: MonitorRef): boolean {
    return ref instanceof MonitorRef && this.owner.ports.monitors.demonitor(this.owner.name, ref);
  }

  exit(reason: unknown): void {
    if (!this.revoked && this.exitRequest === null) this.owner.requestExit(this, exitReasonOf(reason));
  }

  fail(error: unknown): void {
    if (!this.revoked) this.owner.failedOutside(this, error);
  }

  checkpoint(): void {
    if (!this.revoked) this.owner.checkpoint();
  }

  /**
   * An isolated process's worker reports that the handler of `envelope`, a cast or info the cell
   * counted as handled when it handed it over ahead, threw: the process crashes as if it had thrown
   * then. `unsent`, handed over after it and never run, go back to the head of the mailbox.
   */
  crashedEarlier(envelope: Envelope, error: unknown, unsent: readonly Envelope[]): void {
    this.owner.crashedEarlier(this, envelope, error, unsent);
  }

  /**
   * Messages handed to an isolated process's worker that it never ran come back to the mailbox
   * (also after the incarnation ended: they were accepted); `abandoned`, the one it may have been
   * running when it was ended, is dead-lettered as a handler given up on is.
   */
  handBack(unsent: readonly Envelope[], abandoned: Envelope | null): void {
    this.owner.handBack(unsent, abandoned);
  }

  current(): Envelope | null {
    return this.revoked ? null : this.owner.handling();
  }

  /**
   * Waits for `work` at most `ms` (`Infinity`: for ever), then rejects with `timedOut`. It also
   * rejects when the incarnation is revoked meanwhile (a shutdown gave up on it): nobody waits for
   * an incarnation that has ended, and no timer outlives it.
   */
  within(work: Promise<unknown>, ms: number, timedOut: unknown): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const limit = {
        timer: null as unknown,
        cancel: () => settle(() => reject(new ProcessStoppedError(this.owner.name, 'it was shut down during init()'))),
      };
      const settle = (done: () => void) => {
        if (this.limit !== limit) return;
        if (limit.timer !== null) this.owner.ports.scheduler.clearTimeout(limit.timer);
        this.limit = null;
        done();
      };
      this.limit = limit;
      limit.timer = armTimer(ms, () => settle(() => reject(timedOut)), this.owner.ports.scheduler);
      work.then(() => settle(resolve), (error: unknown) => settle(() => reject(error)));
    });
  }

  /** The incarnation ends: its timers go, and it can no longer reach the cell. */
  revoke(): void {
    this.revoked = true;
    this.exitRequest = null;
    this.timers?.cancelAll();
    this.timers = null;
    this.limit?.cancel();
  }

  /** Past `terminate`: whatever of it still runs can no longer send. */
  end(): void {
    this.ended = true;
  }

  private gone(): ProcessStoppedError {
    return new ProcessStoppedError(this.owner.name, `the incarnation ${this.number} that sends has ended`);
  }
}
