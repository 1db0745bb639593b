import { Logger } from '@nestjs/common';
import type { GenServerType } from '../discovery/genserver-type.js';
import type { GenServerError } from '../errors/genserver.error.js';
import { MailboxFullError } from '../errors/mailbox-full.error.js';
import { messages } from '../errors/messages.js';
import { ProcessCrashedError } from '../errors/process-crashed.error.js';
import { ProcessInitError } from '../errors/process-init.error.js';
import { ProcessStoppedError } from '../errors/process-stopped.error.js';
import { UnhandledMessageError } from '../errors/unhandled-message.error.js';
import type { CallOptions, ProcessStatus, ProcessStatusName } from '../interfaces/process-info.interface.js';
import type { Envelope } from '../runtime/envelope.js';
import type { ChildParent, SupervisedChild } from '../supervisor/supervised-child.js';
import type { RestartType, TreeNode } from '../supervisor/supervision.interfaces.js';
import { describeReason, isNormalExit, type ExitReason } from './exit-reason.js';
import type { From } from './from.js';
import { PROCESS_BINDING, type GenServerProcess, type ProcessBinding } from './gen-server-process.js';
import { Mailbox, type MailboxOwner } from './mailbox.js';
import { MonitorRef } from './monitor-ref.js';
import { isNoReply } from './no-reply.js';
import type { ProcessHost } from './process-host.js';
import { settleWithin } from './settle-within.js';
import { TimerRef } from './timer-ref.js';
import { TimerTable } from './timer-table.js';
import { context, type Context } from '@opentelemetry/api';
import type { MessageTrace, Outcome } from '../telemetry/telemetry.js';
import type { TraceCarrier } from '../telemetry/trace-carrier.js';
import { ProcessState, type StateOwner } from '../state/process-state.js';
import { presentState, stateForLog } from '../state/redact.js';
import type { CheckpointPolicy, StateStore } from '../state/state-store.interface.js';

/** How one process is supervised, resolved from its child spec, `@GenServer` options and defaults. */
export interface ChildOptions {
  readonly restart: RestartType;
  readonly maxMailbox: number;
  readonly shutdownMs: number;
  readonly handlerTimeoutMs: number | undefined;
  /** Where its state is saved, if anywhere (the store is built on first use). */
  readonly store: Promise<StateStore> | null;
  readonly checkpoint: CheckpointPolicy;
  readonly durableReplies: boolean;
  readonly deleteStateOnStop: boolean;
}

/**
 * The slot a process lives in. It outlives each incarnation (instance): name, mailbox and
 * counters stay while instances come and go. It runs messages through the handler table, turns a
 * throwing handler into an exit reported to its supervisor, and carries out what the supervisor
 * decides: shut the incarnation down, start a fresh one, or leave for good.
 */
export class ProcessCell implements ProcessBinding, MailboxOwner<Envelope>, SupervisedChild, StateOwner {
  status: ProcessStatusName = 'starting';
  incarnation = 0;
  processed = 0;
  errors = 0;
  restarts = 0;
  /** Set by the supervisor's heartbeat while the mailbox has not moved for a whole beat. */
  stuck = false;
  parent: ChildParent | null = null;

  private instance: GenServerProcess | null = null;
  private readonly mailbox: Mailbox<Envelope>;
  private timers: TimerTable | null = null;
  /** The envelope whose handler is running, if any. */
  private current: Envelope | null = null;
  /** `init` while it runs. */
  private spawning: Promise<void> | null = null;
  /** Set when the process leaves for good: from then on new messages are refused. */
  private stopReason: ExitReason | null = null;
  private stopping: Promise<void> | null = null;
  private removing: Promise<void> | null = null;
  private processedAtLastBeat = -1;
  private busyAtLastBeat = false;
  /** Bumped by every `shutdown`: a (re)start that was under way when it came must not resume the mailbox. */
  private halts = 0;
  private shuttingDown: Promise<void> | null = null;
  /** Restore and checkpoints, when the process has a state store. */
  private readonly persistence: ProcessState | null;
  /** Telemetry of the message being handled, when traced or metered. */
  private currentTrace: MessageTrace | null = null;
  /** The last crash's message, for status. */
  private lastError: string | undefined = undefined;
  /** When the running incarnation finished `init` (epoch ms). */
  private startedAt = 0;
  /** A handler called `this.stop(reason)`: the incarnation exits once that handler returns. */
  private exitRequest: ExitReason | null = null;

  constructor(
    readonly name: string,
    readonly type: GenServerType,
    private readonly args: unknown,
    readonly options: ChildOptions,
    private readonly host: ProcessHost,
  ) {
    this.mailbox = new Mailbox(this, host.drainBudget);
    this.persistence = options.store
      ? new ProcessState(this, type, options.store, options.checkpoint, options.durableReplies, host)
      : null;
  }

  get generation(): number {
    return this.incarnation;
  }

  get restartType(): RestartType {
    return this.options.restart;
  }

  /** Messages waiting in the mailbox. */
  get queued(): number {
    return this.mailbox.length;
  }

  get liveInstance(): GenServerProcess | null {
    return this.instance;
  }

  /** Between handlers: no handler and no `init` running. */
  get atBoundary(): boolean {
    return this.current === null && this.spawning === null;
  }

  /** Whether the mailbox has work: a handler running or messages waiting. */
  get busy(): boolean {
    return this.current !== null || this.mailbox.length > 0;
  }

  /** Takes a message into the mailbox, or says why not. Never runs a handler synchronously. */
  accept(envelope: Envelope): GenServerError | undefined {
    if (this.stopReason !== null) return new ProcessStoppedError(this.name, describeReason(this.stopReason));
    if (this.mailbox.length >= this.options.maxMailbox) {
      return new MailboxFullError(this.name, this.options.maxMailbox);
    }
    this.mailbox.next(envelope);
    if (envelope.trace !== undefined) this.host.telemetry.enqueued(envelope, this.mailbox.length);
    return undefined;
  }

  snapshot(): ProcessStatus {
    return {
      name: this.name,
      type: this.type.typeName,
      status: this.status,
      mailbox: this.mailbox.length,
      processed: this.processed,
      errors: this.errors,
      restarts: this.restarts,
      stuck: this.stuck,
      state: this.presentState(),
      lastError: this.lastError,
      uptimeMs: this.uptimeMs(),
    };
  }

  tree(): TreeNode {
    return {
      name: this.name,
      kind: 'process',
      type: this.type.typeName,
      status: this.status,
      restarts: this.restarts,
      mailbox: this.mailbox.length,
      stuck: this.stuck,
      processed: this.processed,
      errors: this.errors,
      lastError: this.lastError,
      uptimeMs: this.uptimeMs(),
    };
  }

  private uptimeMs(): number {
    return this.instance && this.startedAt > 0 ? Date.now() - this.startedAt : 0;
  }

  /** Stuck: work waited through a whole heartbeat and nothing was handled (see `SupervisorSpec.heartbeatMs`). */
  beat(): void {
    // Work must have been waiting at the last beat already: a handler that just began is not stuck.
    const stuck = this.status === 'running' && this.busy && this.busyAtLastBeat && this.processed === this.processedAtLastBeat;
    this.processedAtLastBeat = this.processed;
    this.busyAtLastBeat = this.busy;
    if (stuck && !this.stuck) {
      Logger.warn(`no message handled for a whole heartbeat with ${this.mailbox.length} waiting`, this.name);
      this.host.emit({ type: 'stuck', name: this.name, at: Date.now(), mailbox: this.mailbox.length, handling: this.current?.type });
    }
    this.stuck = stuck;
  }

  // ---- lifecycle, as driven by the supervisor ----

  /**
   * First start: builds the instance and runs `init`. Rejects with `ProcessInitError`, or with
   * `ProcessStoppedError` when the process was stopped before `init` finished.
   */
  async start(): Promise<void> {
    const halts = this.halts;
    await this.spawn();
    if (this.stopReason !== null) throw new ProcessStoppedError(this.name, describeReason(this.stopReason));
    if (halts !== this.halts) return;
    this.host.emit({ type: 'started', name: this.name, processType: this.type.typeName, at: Date.now() });
    this.run();
  }

  /** A fresh incarnation; the mailbox, with whatever waited, carries over. */
  async restart(): Promise<void> {
    if (this.stopReason !== null) return;
    // Never two incarnations at once.
    if (this.instance !== null || this.spawning !== null) await this.shutdown('shutdown');
    const halts = this.halts;
    this.status = 'restarting';
    try {
      await this.host.telemetry.lifecycle('restart', { name: this.name, type: this.type.typeName }, () => this.spawn());
    } catch (error) {
      this.errors++;
      Logger.error((error as Error).message, undefined, this.name);
      this.host.emit({ type: 'crashed', name: this.name, at: Date.now(), reason: (error as Error).cause, messageType: undefined });
      throw error;
    }
    // Shut down (or stopped) while `init` ran: whoever did that decides what comes next.
    if (halts !== this.halts || this.stopReason !== null) return;
    this.restarts++;
    this.host.telemetry.restarted(this.type.typeName);
    this.host.emit({ type: 'restarted', name: this.name, at: Date.now(), restarts: this.restarts });
    this.run();
  }

  /**
   * Ends the running incarnation: lets `init` or the handler in flight finish (at most
   * `shutdownMs`), runs `terminate(reason)` (at most `shutdownMs` again), cancels its timers. The
   * mailbox keeps what waits.
   */
  shutdown(reason: ExitReason): Promise<void> {
    this.halts++;
    this.mailbox.pause();
    if (this.stopReason === null) this.status = 'restarting';
    // Two shutdowns at once (a parent's and a grandparent's) share the one in progress.
    return (this.shuttingDown ??= this.shutdownNow(reason).finally(() => (this.shuttingDown = null)));
  }

  private async shutdownNow(reason: ExitReason): Promise<void> {
    const quiet = (async () => {
      if (this.spawning) await this.spawning.catch(() => undefined);
      await this.mailbox.settled();
    })();
    let intact = true;
    if (!(await settleWithin(quiet, this.options.shutdownMs))) {
      Logger.error(messages.abandoned(this.name, 'its running handler', this.options.shutdownMs), undefined, this.name);
      this.mailbox.abandon();
      this.abandonCurrent();
      intact = false;
    }
    await this.endIncarnation(reason, true, intact);
  }

  /** The handler given up on will never be heard from: its message is answered or dead-lettered now. */
  private abandonCurrent(): void {
    const envelope = this.current;
    this.current = null;
    if (!envelope) return;
    this.endTrace('timeout', new Error(`handler abandoned after shutdownMs (${this.options.shutdownMs} ms)`));
    if (envelope.kind === 'call') {
      this.host.fail(envelope.from as From, new ProcessStoppedError(this.name, `its handler overran shutdownMs (${this.options.shutdownMs} ms)`));
    } else {
      this.deadLetter(envelope, 'abandoned');
    }
  }

  /**
   * Leaves for good: refuses new messages, ends the incarnation if one runs, then answers every
   * queued call with `ProcessStoppedError` and publishes every queued cast and info as a dead letter.
   */
  remove(reason: ExitReason): Promise<void> {
    return (this.removing ??= this.leave(reason));
  }

  private async leave(reason: ExitReason): Promise<void> {
    this.stopReason ??= reason;
    this.status = 'stopping';
    await this.shutdown(reason);
    const stopped = new ProcessStoppedError(this.name, describeReason(reason));
    for (const envelope of this.mailbox.takeAll()) {
      if (envelope.kind === 'call') this.host.fail(envelope.from as From, stopped);
      else this.deadLetter(envelope, 'stopped');
    }
    // Whatever was queued for the store is written before the process is gone (and the store closed).
    await this.persistence?.leave(this.options.deleteStateOnStop && reason === 'normal');
    this.status = 'stopped';
    // Monitors made while no incarnation ran (during a backoff) still get their DOWN.
    this.host.down(this.name, reason);
    this.host.release(this.name);
    this.host.emit({ type: 'stopped', name: this.name, at: Date.now(), reason });
  }

  /** Stopped from outside (`runtime.stop`, app shutdown): graceful, final, not restarted. */
  stop(reason: ExitReason): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopReason = reason;
    this.status = 'stopping';
    this.mailbox.pause();
    this.stopping = this.remove(reason).then(() => this.parent?.forget(this));
    return this.stopping;
  }

  // ---- ProcessBinding: what the instance's own methods reach ----

  sendAfter(owner: GenServerProcess, ms: number, payload: unknown): TimerRef {
    if (owner !== this.instance) return new TimerRef(0);
    // The timer's message links to the span that scheduled it (it is not that span's child).
    const link = this.host.telemetry.tracing ? this.host.telemetry.linkCarrier() : undefined;
    return (this.timers ??= new TimerTable()).start(ms, () => this.deliverInfo(payload, link));
  }

  cancelTimer(owner: GenServerProcess, ref: TimerRef): boolean {
    return owner === this.instance && this.timers !== null && this.timers.cancel(ref);
  }

  call<R>(_owner: GenServerProcess, to: string, payload: unknown, options?: CallOptions): Promise<R> {
    return this.host.call<R>(to, payload, options?.timeout, this.callChain());
  }

  cast(_owner: GenServerProcess, to: string, payload: unknown): Promise<void> {
    return this.host.cast(to, payload);
  }

  reply(owner: GenServerProcess, from: From, value: unknown): void {
    if (!this.persistence?.durable) return this.host.reply(from, value, undefined);
    // Acknowledged means durable for deferred replies too.
    if (owner !== this.instance) return this.host.fail(from, new ProcessStoppedError(this.name, 'the incarnation that deferred this call has ended'));
    this.persistence.queueReply(from, value);
  }

  monitor(owner: GenServerProcess, name: string): MonitorRef {
    // A stale instance's monitor would outlive it on the next incarnation: it never fires.
    if (owner !== this.instance) return new MonitorRef(0, name);
    return this.host.monitor(this.name, name);
  }

  demonitor(_owner: GenServerProcess, ref: MonitorRef): boolean {
    return this.host.demonitor(this.name, ref);
  }

  checkpoint(owner: GenServerProcess): void {
    if (owner === this.instance) this.persistence?.request();
  }

  exit(owner: GenServerProcess, reason: ExitReason): void {
    if (owner !== this.instance || this.exitRequest !== null) return;
    this.exitRequest = reason;
    this.mailbox.pause();
    // Inside a handler (or init) the exit waits for it to return; otherwise it goes at once.
    if (this.current === null && this.spawning === null) void this.mailbox.settled().then(() => this.takeExitRequest());
  }

  // ---- the message path ----

  receive(envelope: Envelope): void | Promise<void> {
    const instance = this.instance as GenServerProcess;
    const method = this.type.handlers.find(envelope.kind, envelope.type);
    const telemetry = this.host.telemetry;
    let traced: { trace: MessageTrace; context: Context } | undefined;
    if (telemetry.tracing || telemetry.metering) {
      traced = telemetry.beginMessage(envelope, { name: this.name, type: this.type.typeName, restarts: this.restarts });
      this.currentTrace = traced.trace;
    }
    if (method === undefined) return this.unhandled(envelope);
    this.current = envelope;
    const limit = this.options.handlerTimeoutMs;
    const startedAt = limit === undefined ? 0 : Date.now();
    let result: unknown;
    try {
      result = traced
        ? context.with(traced.context, () => method.call(instance, envelope.payload, envelope.from ?? undefined))
        : method.call(instance, envelope.payload, envelope.from ?? undefined);
    } catch (error) {
      return this.crash(envelope, error);
    }
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      return limit === undefined
        ? (result as Promise<unknown>).then(
            (value) => this.complete(envelope, value),
            (error: unknown) => this.crash(envelope, error),
          )
        : this.watch(envelope, result as Promise<unknown>, limit - (Date.now() - startedAt));
    }
    // A synchronous handler cannot be interrupted; one that overran is judged when it returns.
    if (limit !== undefined && Date.now() - startedAt > limit) return this.crash(envelope, 'handler_timeout');
    return this.complete(envelope, result);
  }

  /** The watchdog: whichever comes first, the handler's outcome or its time limit, decides. */
  private watch(envelope: Envelope, result: Promise<unknown>, remainingMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let decided = false;
      const decide = (outcome: () => void | Promise<void>) => {
        if (decided) return;
        decided = true;
        clearTimeout(timer);
        resolve(outcome());
      };
      const timer = setTimeout(() => decide(() => this.crash(envelope, 'handler_timeout')), Math.max(0, remainingMs));
      result.then(
        (value) => decide(() => this.complete(envelope, value)),
        (error: unknown) => decide(() => this.crash(envelope, error)),
      );
    });
  }

  private complete(envelope: Envelope, value: unknown): void | Promise<void> {
    if (this.current !== envelope) return; // a handler abandoned at shutdown: its outcome is moot
    this.current = null;
    this.endTrace('ok');
    this.processed++;
    const durable = this.persistence?.durable === true && envelope.kind === 'call' && !isNoReply(value);
    const written = this.persistence?.applied(durable);
    if (envelope.kind === 'call') {
      const from = envelope.from as From;
      if (isNoReply(value)) this.host.defer(from, this.name);
      else if (durable && written) {
        // Acknowledged means durable: the reply waits for the checkpoint that includes it.
        written.then(
          () => this.host.reply(from, value, envelope.type),
          (error: unknown) => this.host.fail(from, new ProcessCrashedError(this.name, envelope.type, error)),
        );
      } else this.host.reply(from, value, envelope.type);
    }
    if (this.exitRequest !== null) return this.takeExitRequest();
  }

  /**
   * The store refused a checkpoint: that is a crash, handled by the supervisor's rules. No further
   * message is handled by this incarnation, and no later checkpoint of it is written.
   */
  storeFailed(instance: GenServerProcess | null, error: unknown): void {
    this.errors++;
    Logger.error(`checkpoint failed: ${(error as Error)?.message ?? String(error)}`, (error as Error)?.stack, this.name);
    this.host.emit({ type: 'crashed', name: this.name, at: Date.now(), reason: error, messageType: undefined });
    if (instance === null || instance !== this.instance) return; // that incarnation has already ended
    const reason = error instanceof Error ? error : String(error);
    // Overrides an orderly stop the handler may have asked for: this is a crash.
    this.exitRequest = reason;
    this.mailbox.pause();
    if (this.current === null && this.spawning === null) void this.mailbox.settled().then(() => this.takeExitRequest());
  }

  /** The state as status, logs and events may show it. */
  private presentState(): unknown {
    try {
      return presentState(this.instance as never, this.type.options.redact);
    } catch {
      return '[formatState threw]';
    }
  }

  private unhandled(envelope: Envelope): void {
    this.processed++;
    this.endTrace('error', new UnhandledMessageError(this.name, envelope.kind, envelope.type));
    if (envelope.kind === 'call') {
      this.host.fail(envelope.from as From, new UnhandledMessageError(this.name, 'call', envelope.type));
      return;
    }
    const error = new UnhandledMessageError(this.name, envelope.kind, envelope.type);
    Logger.warn(`${error.message}; published as a dead letter`, this.name);
    this.deadLetter(envelope, 'unhandled');
  }

  private crash(envelope: Envelope, error: unknown): Promise<void> | undefined {
    if (this.current !== envelope) return undefined; // a handler abandoned at shutdown: its outcome is moot
    this.current = null;
    this.endTrace(error === 'handler_timeout' ? 'timeout' : 'crashed', error);
    this.lastError = error instanceof Error ? error.message : String(error);
    this.exitRequest = null;
    this.processed++;
    this.errors++;
    const crashed = new ProcessCrashedError(this.name, envelope.type, error);
    if (envelope.kind === 'call') this.host.fail(envelope.from as From, crashed);
    const state = this.presentState();
    Logger.error(`${crashed.message}; state: ${stateForLog(state)}`, error instanceof Error ? error.stack : undefined, this.name);
    this.host.emit({ type: 'crashed', name: this.name, at: Date.now(), reason: error, messageType: envelope.type, state });
    this.deadLetter(envelope, 'crashed');
    return this.exitItself(error instanceof Error ? error : String(error));
  }

  private takeExitRequest(): Promise<void> | undefined {
    const reason = this.exitRequest;
    if (reason === null) return undefined;
    this.exitRequest = null;
    return this.exitItself(reason);
  }

  /**
   * The incarnation ends on its own (a crash, `this.stop()`): the mailbox holds what waits while
   * the supervisor decides what happens next.
   */
  private async exitItself(reason: ExitReason): Promise<void> {
    const generation = this.incarnation;
    this.mailbox.pause();
    if (this.stopReason === null) this.status = 'restarting';
    reason = await this.endIncarnation(reason);
    // Being stopped for good already: the stop in progress finishes the job; nothing to restart.
    if (this.stopReason !== null) return;
    if (this.parent) this.parent.childExited(this, generation, reason);
    else await this.remove(reason);
  }

  /** Builds an instance and runs its `init`; a failed `init` leaves no instance and no timers. */
  private async spawn(): Promise<void> {
    this.exitRequest = null;
    const spawning = (async () => {
      const instance = await this.host.instantiate(this.type);
      this.incarnation++;
      this.instance = instance;
      instance[PROCESS_BINDING] = this;
      const restored = this.persistence ? await this.persistence.restore(instance) : undefined;
      if (restored !== undefined) instance.state = restored;
      await this.host.telemetry.lifecycle('init', { name: this.name, type: this.type.typeName }, async () => instance.init(this.args, restored));
      this.startedAt = Date.now();
      this.persistence?.started();
    })();
    this.spawning = spawning;
    try {
      await spawning;
    } catch (error) {
      await this.endIncarnation(new ProcessInitError(this.name, error), false);
      throw new ProcessInitError(this.name, error);
    } finally {
      this.spawning = null;
    }
  }

  private run(): void {
    if (this.stopReason !== null) return;
    if (this.exitRequest !== null) {
      void this.takeExitRequest();
      return;
    }
    this.status = 'running';
    this.mailbox.resume();
  }

  /**
   * Ends the incarnation: cancels its timers, runs `terminate` (at most `shutdownMs`), fails the
   * calls it deferred and never answered, and tells whoever monitors it that it went down.
   */
  private async endIncarnation(reason: ExitReason, runTerminate = true, stateIntact = true): Promise<ExitReason> {
    const instance = this.instance;
    this.instance = null;
    const ended = isNormalExit(reason)
      ? new ProcessStoppedError(this.name, describeReason(reason))
      : new ProcessCrashedError(this.name, undefined, reason);
    // An orderly end keeps what changed since the last checkpoint; a crashed state, or one a handler
    // was still changing when it was given up on, is never saved.
    const failed = await this.persistence?.end(instance, isNormalExit(reason) && stateIntact, ended);
    if (failed !== undefined) {
      // What changed since the last checkpoint is lost: report it, and exit as a crash.
      this.errors++;
      Logger.error(`final checkpoint failed: ${(failed as Error)?.message ?? String(failed)}`, (failed as Error)?.stack, this.name);
      this.host.emit({ type: 'crashed', name: this.name, at: Date.now(), reason: failed, messageType: undefined });
      reason = failed instanceof Error ? failed : String(failed);
    }
    this.exitRequest = null;
    this.timers?.cancelAll();
    this.timers = null;
    if (instance && runTerminate) {
      const span = this.host.telemetry.lifecycleSpan('terminate', { name: this.name, type: this.type.typeName });
      let failure: unknown;
      const terminated = (async () => instance.terminate(reason))().catch((error: unknown) => {
        failure = error;
        Logger.error(`terminate() threw: ${String(error)}`, error instanceof Error ? error.stack : undefined, this.name);
      });
      const finished = await settleWithin(terminated, this.options.shutdownMs);
      if (!finished) Logger.error(messages.abandoned(this.name, 'terminate()', this.options.shutdownMs), undefined, this.name);
      span?.end(!finished ? 'timeout' : failure === undefined ? 'ok' : 'error', failure);
    }
    this.host.failDeferred(this.name, isNormalExit(reason) ? ended : new ProcessCrashedError(this.name, undefined, reason));
    if (instance) this.host.down(this.name, reason);
    return reason;
  }

  private deliverInfo(payload: unknown, trace: TraceCarrier | undefined): void {
    const { envelope, refused } = this.host.info(this.name, payload, trace);
    if (refused) this.deadLetter(envelope, refused.name);
  }

  /** Ends the span (and metrics) of the message that just finished, if it was traced. */
  private endTrace(outcome: Outcome, error?: unknown): void {
    const trace = this.currentTrace;
    if (trace === null) return;
    this.currentTrace = null;
    this.host.telemetry.endMessage(trace, outcome, error);
  }

  private deadLetter(envelope: Envelope, reason: string): void {
    this.host.telemetry.deadLetter(reason);
    this.host.emit({ type: 'dead-letter', name: this.name, at: Date.now(), reason, envelope });
  }

  /** Processes that wait on a call made now from this process: a target among them is a cycle. */
  private callChain(): readonly string[] {
    const current = this.current;
    return current !== null && current.kind === 'call' && current.chain !== undefined
      ? [...current.chain, this.name]
      : [this.name];
  }
}

