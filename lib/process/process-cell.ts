import { Logger } from '@nestjs/common';
import type { GenServerType } from '../discovery/genserver-type.js';
import type { GenServerError } from '../errors/genserver.error.js';
import { MailboxFullError } from '../errors/mailbox-full.error.js';
import { ProcessCrashedError } from '../errors/process-crashed.error.js';
import { ProcessInitError } from '../errors/process-init.error.js';
import { ProcessStoppedError } from '../errors/process-stopped.error.js';
import { UnhandledMessageError } from '../errors/unhandled-message.error.js';
import type { CallOptions, ProcessStatus, ProcessStatusName } from '../interfaces/process-info.interface.js';
import type { Envelope } from '../runtime/envelope.js';
import { RestartIntensity } from '../supervisor/restart-intensity.js';
import { describeReason, type ExitReason } from './exit-reason.js';
import type { From } from './from.js';
import { PROCESS_BINDING, type GenServerProcess, type ProcessBinding } from './gen-server-process.js';
import { Mailbox, type MailboxOwner } from './mailbox.js';
import { isNoReply } from './no-reply.js';
import type { ProcessHost } from './process-host.js';
import { TimerRef } from './timer-ref.js';
import { TimerTable } from './timer-table.js';

/** Limits of one process, resolved from start options, `@GenServer` options and module defaults. */
export interface ProcessLimits {
  readonly maxMailbox: number;
  readonly maxRestarts: number;
  readonly withinMs: number;
}

/**
 * The slot a process lives in. It outlives each incarnation (instance): the name, mailbox,
 * counters and restart history stay while instances come and go. It runs messages through the
 * handler table, turns a throwing handler into a crash and a restart, and stops gracefully.
 */
export class ProcessCell implements ProcessBinding, MailboxOwner<Envelope> {
  status: ProcessStatusName = 'starting';
  incarnation = 0;
  processed = 0;
  errors = 0;
  restarts = 0;

  private instance: GenServerProcess | null = null;
  private readonly mailbox: Mailbox<Envelope>;
  // Made on first need, so an idle process stays small.
  private intensity: RestartIntensity | null = null;
  private timers: TimerTable | null = null;
  /** The envelope whose handler is running, if any. */
  private current: Envelope | null = null;
  private stopReason: ExitReason | null = null;
  private stopped: Promise<void> | null = null;
  /** The first `init`, while it runs. */
  private startup: Promise<void> | null = null;

  constructor(
    readonly name: string,
    readonly type: GenServerType,
    private readonly args: unknown,
    private readonly limits: ProcessLimits,
    private readonly host: ProcessHost,
  ) {
    this.mailbox = new Mailbox(this, host.drainBudget);
  }

  /** Takes a message into the mailbox, or says why not. Never runs a handler synchronously. */
  accept(envelope: Envelope): GenServerError | undefined {
    if (this.stopReason !== null) return new ProcessStoppedError(this.name, describeReason(this.stopReason));
    if (this.mailbox.length >= this.limits.maxMailbox) {
      return new MailboxFullError(this.name, this.limits.maxMailbox);
    }
    this.mailbox.next(envelope);
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
    };
  }

  /**
   * First start: builds the instance and runs `init`. Rejects with `ProcessInitError`, or with
   * `ProcessStoppedError` when the process was stopped before `init` finished.
   */
  async start(): Promise<void> {
    const startup = this.spawn();
    this.startup = startup;
    try {
      await startup;
    } catch (error) {
      const failure = new ProcessInitError(this.name, error);
      await this.finish(failure, null);
      throw failure;
    } finally {
      this.startup = null;
    }
    if (this.stopReason !== null) throw new ProcessStoppedError(this.name, describeReason(this.stopReason));
    this.host.emit({ type: 'started', name: this.name, processType: this.type.typeName, at: Date.now() });
    this.run();
  }

  /**
   * Graceful stop: refuses new messages, lets `init` or the handler in flight finish, cancels
   * timers, runs `terminate(reason)`, then answers every queued call with `ProcessStoppedError` and
   * publishes every queued cast and info as a dead letter.
   */
  stop(owner: GenServerProcess | null, reason: ExitReason): Promise<void> {
    if (owner !== null && owner !== this.instance) return Promise.resolve();
    if (this.stopped) return this.stopped;
    this.stopReason = reason;
    this.status = 'stopping';
    this.mailbox.pause();
    // Called from inside a handler, this waits for that handler without blocking it.
    this.stopped = this.quiet().then(() => this.finish(reason, this.instance));
    return this.stopped;
  }

  /** Resolves once neither `init` nor a handler is running. */
  private async quiet(): Promise<void> {
    if (this.startup) await this.startup.catch(() => undefined);
    await this.mailbox.settled();
  }

  // ---- ProcessBinding: what the instance's own methods reach ----

  sendAfter(owner: GenServerProcess, ms: number, payload: unknown): TimerRef {
    if (owner !== this.instance || this.stopReason !== null) return new TimerRef(0);
    return (this.timers ??= new TimerTable()).start(ms, () => this.deliverInfo(payload));
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

  reply(_owner: GenServerProcess, from: From, value: unknown): void {
    this.host.reply(from, value, undefined);
  }

  // ---- the message path ----

  receive(envelope: Envelope): void | Promise<void> {
    const instance = this.instance as GenServerProcess;
    const method = this.type.handlers.find(envelope.kind, envelope.type);
    if (method === undefined) return this.unhandled(envelope);
    this.current = envelope;
    let result: unknown;
    try {
      result = method.call(instance, envelope.payload, envelope.from ?? undefined);
    } catch (error) {
      return this.crash(envelope, error);
    }
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      return (result as Promise<unknown>).then(
        (value) => this.complete(envelope, value),
        (error: unknown) => this.crash(envelope, error),
      );
    }
    this.complete(envelope, result);
  }

  private complete(envelope: Envelope, value: unknown): void {
    this.current = null;
    this.processed++;
    if (envelope.kind !== 'call') return;
    const from = envelope.from as From;
    if (isNoReply(value)) this.host.defer(from, this.name);
    else this.host.reply(from, value, envelope.type);
  }

  private unhandled(envelope: Envelope): void {
    this.processed++;
    if (envelope.kind === 'call') {
      this.host.fail(envelope.from as From, new UnhandledMessageError(this.name, 'call', envelope.type));
      return;
    }
    const error = new UnhandledMessageError(this.name, envelope.kind, envelope.type);
    Logger.warn(`${error.message}; published as a dead letter`, this.name);
    this.deadLetter(envelope, 'unhandled');
  }

  private async crash(envelope: Envelope, error: unknown): Promise<void> {
    this.current = null;
    this.processed++;
    this.errors++;
    const crashed = new ProcessCrashedError(this.name, envelope.type, error);
    if (envelope.kind === 'call') this.host.fail(envelope.from as From, crashed);
    Logger.error(crashed.message, error instanceof Error ? error.stack : undefined, this.name);
    this.host.emit({ type: 'crashed', name: this.name, at: Date.now(), reason: error, messageType: envelope.type });
    this.deadLetter(envelope, 'crashed');
    await this.recover(error, crashed);
  }

  /**
   * After a crash: ends the incarnation, then builds a fresh one within the restart intensity.
   * The mailbox waits meanwhile, so messages queued behind the crash reach the new instance.
   */
  private async recover(reason: unknown, crashed: ProcessCrashedError): Promise<void> {
    const old = this.instance;
    this.endIncarnation(crashed);
    await this.runTerminate(old, reason instanceof Error ? reason : String(reason));
    while (this.stopReason === null) {
      this.intensity ??= new RestartIntensity(this.limits.maxRestarts, this.limits.withinMs);
      if (!this.intensity.tryRestart()) {
        Logger.error(`restart intensity reached (${this.limits.maxRestarts} in ${this.limits.withinMs} ms); stopping`, undefined, this.name);
        this.stop(null, 'restart_intensity');
        return;
      }
      this.status = 'restarting';
      this.restarts++;
      try {
        await this.spawn();
        this.host.emit({ type: 'restarted', name: this.name, at: Date.now(), restarts: this.restarts });
        this.run();
        return;
      } catch (error) {
        this.errors++;
        const failed = new ProcessInitError(this.name, error);
        Logger.error(failed.message, error instanceof Error ? error.stack : undefined, this.name);
        this.host.emit({ type: 'crashed', name: this.name, at: Date.now(), reason: error, messageType: undefined });
      }
    }
  }

  /** Builds an instance and runs its `init`; a failed `init` leaves no instance and no timers. */
  private async spawn(): Promise<void> {
    const instance = await this.host.instantiate(this.type);
    this.incarnation++;
    this.instance = instance;
    instance[PROCESS_BINDING] = this;
    try {
      await instance.init(this.args);
    } catch (error) {
      this.endIncarnation(new ProcessInitError(this.name, error));
      throw error;
    }
  }

  private run(): void {
    if (this.stopReason !== null) return;
    this.status = 'running';
    this.mailbox.resume();
  }

  /** Cancels the incarnation's timers and fails the calls it deferred; its instance goes quiet. */
  private endIncarnation(error: GenServerError): void {
    this.timers?.cancelAll();
    this.host.failDeferred(this.name, error);
    this.instance = null;
  }

  private async finish(reason: ExitReason, instance: GenServerProcess | null): Promise<void> {
    if (this.status === 'stopped') return;
    this.stopReason ??= reason;
    this.status = 'stopping';
    const stopped = new ProcessStoppedError(this.name, describeReason(reason));
    this.endIncarnation(stopped);
    if (instance) await this.runTerminate(instance, reason);
    for (const envelope of this.mailbox.takeAll()) {
      if (envelope.kind === 'call') this.host.fail(envelope.from as From, stopped);
      else this.deadLetter(envelope, 'stopped');
    }
    this.status = 'stopped';
    this.host.release(this.name);
    this.host.emit({ type: 'stopped', name: this.name, at: Date.now(), reason });
  }

  private async runTerminate(instance: GenServerProcess | null, reason: ExitReason): Promise<void> {
    if (!instance) return;
    try {
      await instance.terminate(reason);
    } catch (error) {
      Logger.error(`terminate() threw: ${String(error)}`, error instanceof Error ? error.stack : undefined, this.name);
    }
  }

  private deliverInfo(payload: unknown): void {
    const { envelope, refused } = this.host.info(this.name, payload);
    if (refused) this.deadLetter(envelope, refused.name);
  }

  private deadLetter(envelope: Envelope, reason: string): void {
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
