import { performance } from 'node:perf_hooks';
import { context, type Context } from '@opentelemetry/api';
import { armTimer } from '../common/scheduler.js';
import type { ProcessType } from './process-type.js';
import type { Envelope } from './envelope.js';
import type { MessageTrace, Outcome } from '../telemetry/telemetry.js';
import type { GenServerProcess } from './gen-server-process.js';
import type { ProcessPorts } from './process-ports.js';
import { ProcessProfile, type Profiler } from './process-profile.js';

/** What the runner reports a handler's outcome to. */
export interface RunnerOwner {
  readonly name: string;
  readonly type: ProcessType;
  readonly ports: ProcessPorts;
  readonly restarts: number;
  /** A handler returned `value` (or its promise resolved with it). */
  completed(envelope: Envelope, value: unknown): void | Promise<void>;
  /** A handler threw, rejected, or overran its limit (`'handler_timeout'`). */
  crashed(envelope: Envelope, error: unknown): void | Promise<void>;
  /** No handler matches the message. */
  unhandled(envelope: Envelope): void;
}

/**
 * Runs one message's handler at a time, under the watchdog when the process has a
 * `handlerTimeoutMs`, and reports exactly one outcome per message to its owner. A handler given up
 * on (`abandon`) may still settle later: its outcome is then dropped.
 */
export class HandlerRunner {
  /** The message whose handler is running, if any. */
  current: Envelope | null = null;
  /** Telemetry of that message, when traced or metered. */
  private trace: MessageTrace | null = null;
  /** The watchdog of the running handler, when it is async and limited. */
  private watchdog: unknown = null;
  /**
   * Its process's handler times and trace ids while the runtime is profiled. Here rather than on the
   * cell: an idle process (no message handled yet) has no runner, so it carries no field for it.
   */
  private profile: ProcessProfile | null = null;
  /** `performance.now()` when the running handler began, if it is one the profiler times; else 0. */
  private timedFrom = 0;

  constructor(
    private readonly owner: RunnerOwner,
    /** `Infinity`: no watchdog. */
    private readonly limitMs: number,
  ) {}

  run(instance: GenServerProcess, envelope: Envelope): void | Promise<void> {
    const owner = this.owner;
    const telemetry = owner.ports.telemetry;
    let traced: Context | undefined;
    if (telemetry.tracing || telemetry.metering) {
      const begun = telemetry.beginMessage(envelope, { name: owner.name, type: owner.type.typeName, restarts: owner.restarts });
      this.trace = begun.trace;
      traced = begun.context;
    }
    const method = owner.type.handlers.find(envelope.kind, envelope.type);
    if (method === undefined) return owner.unhandled(envelope);
    this.current = envelope;
    const profiler = owner.ports.profiler;
    // The clock read that times the handler also moves the profiler's coarse clock on: arrivals
    // stamped while a long synchronous stretch blocks its timer are not stamped from before it.
    this.timedFrom = 0;
    if (profiler !== null && profiler.sample()) profiler.moveOn((this.timedFrom = performance.now()));
    const fault = owner.ports.faults?.messageFault(owner.name);
    if (fault !== undefined) return this.crash(envelope, fault);
    const limited = this.limitMs !== Infinity;
    const startedAt = limited ? owner.ports.scheduler.now() : 0;
    let result: unknown;
    let then: unknown;
    try {
      result = traced
        ? context.with(traced, () => method.call(instance, envelope.payload, envelope.from ?? undefined))
        : method.call(instance, envelope.payload, envelope.from ?? undefined);
      // A `then` getter that throws is the handler's fault, like a throw.
      then = result !== null && typeof result === 'object' ? (result as { then?: unknown }).then : undefined;
    } catch (error) {
      return this.crash(envelope, error);
    }
    if (typeof then === 'function') {
      const settled = new Promise<unknown>((resolve, reject) => {
        try {
          then.call(result, resolve, reject);
        } catch (error) {
          reject(error);
        }
      });
      return limited
        ? this.watch(envelope, settled, this.limitMs - (owner.ports.scheduler.now() - startedAt))
        : settled.then((value) => this.complete(envelope, value), (error: unknown) => this.crash(envelope, error));
    }
    // A synchronous handler cannot be interrupted; one that overran is judged when it returns.
    if (limited && owner.ports.scheduler.now() - startedAt > this.limitMs) return this.crash(envelope, 'handler_timeout');
    return this.complete(envelope, result);
  }

  /**
   * Stops waiting for the running handler (it overran `shutdownMs`): returns its message, to be
   * answered or dead-lettered now; whatever the handler does later is dropped.
   */
  abandon(): Envelope | null {
    const envelope = this.current;
    this.current = null;
    this.timedFrom = 0;
    this.stopWatchdog();
    if (envelope) this.endTrace('timeout', new Error('handler abandoned after shutdownMs'));
    return envelope;
  }

  /** Ends the span (and metrics) of the message that just finished, if it was traced. */
  endTrace(outcome: Outcome, error?: unknown): void {
    const trace = this.trace;
    if (trace === null) return;
    this.trace = null;
    this.owner.ports.telemetry.endMessage(trace, outcome, error);
  }

  /** The watchdog: whichever comes first, the handler's outcome or its time limit, decides. */
  private watch(envelope: Envelope, result: Promise<unknown>, remainingMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let decided = false;
      const decide = (outcome: () => void | Promise<void>) => {
        if (decided) return;
        decided = true;
        // Only its own: after an abandon, the runner's watchdog may be a later handler's.
        if (timer !== null) this.owner.ports.scheduler.clearTimeout(timer);
        if (this.watchdog === timer) this.watchdog = null;
        try {
          resolve(outcome());
        } catch (error) {
          reject(error); // the mailbox's last-resort guard takes it from here
        }
      };
      const timer = armTimer(remainingMs, () => decide(() => this.crash(envelope, 'handler_timeout')), this.owner.ports.scheduler);
      this.watchdog = timer;
      result.then(
        (value) => decide(() => this.complete(envelope, value)),
        (error: unknown) => decide(() => this.crash(envelope, error)),
      );
    });
  }

  private stopWatchdog(): void {
    if (this.watchdog !== null) this.owner.ports.scheduler.clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  private complete(envelope: Envelope, value: unknown): void | Promise<void> {
    if (this.current !== envelope) return; // a handler abandoned at shutdown: its outcome is moot
    this.current = null;
    this.profiled(envelope);
    this.endTrace('ok');
    return this.owner.completed(envelope, value);
  }

  private crash(envelope: Envelope, error: unknown): void | Promise<void> {
    if (this.current !== envelope) return;
    this.current = null;
    this.profiled(envelope);
    this.endTrace(error === 'handler_timeout' ? 'timeout' : 'crashed', error);
    return this.owner.crashed(envelope, error);
  }

  /** Its profile under `profiler`, if it has one (one made under an earlier profiler is stale). */
  profileUnder(profiler: Profiler): ProcessProfile | undefined {
    const profile = this.profile;
    return profile !== null && profile.profiler === profiler ? profile : undefined;
  }

  /** Profiling ended: what was measured goes. */
  unprofile(): void {
    this.profile = null;
  }

  /** A handler finished: while profiled, its time if it was timed, and its trace id if it had one. */
  private profiled(envelope: Envelope): void {
    // The usual case, not profiled and not traced, costs two field reads.
    if (this.timedFrom === 0 && (envelope.trace === undefined || this.owner.ports.profiler === null)) return;
    const from = this.timedFrom;
    this.timedFrom = 0;
    const profiler = this.owner.ports.profiler;
    if (profiler === null) return; // profiling stopped while it ran
    let profile = this.profile;
    if (profile === null || profile.profiler !== profiler) this.profile = profile = new ProcessProfile(profiler);
    if (from !== 0) {
      const now = performance.now();
      profiler.moveOn(now);
      profile.timed(now - from);
    }
    if (envelope.trace !== undefined) profile.traced(envelope.trace.traceId);
  }
}
