import { Logger } from '@nestjs/common';
import type { ProcessType } from './process-type.js';
import { describeCause, stackOf } from '../errors/describe-value.js';
import type { GenServerError } from '../errors/genserver.error.js';
import { MailboxFullError } from '../errors/mailbox-full.error.js';
import { messages } from '../errors/messages.js';
import { ProcessCrashedError } from '../errors/process-crashed.error.js';
import { ProcessInitError } from '../errors/process-init.error.js';
import { ProcessStoppedError } from '../errors/process-stopped.error.js';
import { UnhandledMessageError } from '../errors/unhandled-message.error.js';
import type { ExitReason, RestartType } from '../interfaces/genserver.types.js';
import type { ProcessStatus, ProcessStatusName } from '../interfaces/process-info.interface.js';
import type { Envelope } from './envelope.js';
import type { ChildParent, SupervisedChild } from './supervised-child.js';
import type { TreeNode } from '../interfaces/supervision.interface.js';
import { ProcessState, type StateOwner } from './process-persistence.js';
import { presentState, stateForLog } from '../state/redact.js';
import type { CheckpointPolicy, StateStore } from '../interfaces/state-store.interface.js';
import { crashReason, describeReason, isNormalExit } from './exit-reason.js';
import type { From } from './from.js';
import { END_INCARNATION, PROCESS_BINDING, STATUS_DETAILS, type GenServerProcess } from './gen-server-process.js';
import { HandlerRunner, type RunnerOwner } from './handler-runner.js';
import { Incarnation, type IncarnationOwner } from './incarnation.js';
import { Mailbox, type MailboxOwner } from './mailbox.js';
import { isNoReply } from './no-reply.js';
import { armTimer } from '../common/scheduler.js';
import type { ProcessPorts } from './process-ports.js';
import { ProcessStats } from './process-stats.js';
import { settleWithin } from './settle-within.js';
import type { Activation, ActivatedCell } from './activation.js';
import { AlreadyStartedError } from '../errors/already-started.error.js';

/** How one process is supervised, resolved from its child spec, `@GenServer` options and defaults. */
export interface ChildOptions {
  readonly restart: RestartType;
  readonly maxMailbox: number;
  /** Durations: `Infinity` means no limit. */
  readonly shutdownMs: number;
  readonly handlerTimeoutMs: number;
  readonly initTimeoutMs: number;
  /** Where its state is saved, if anywhere (the store is built on first use). */
  readonly store: Promise<StateStore> | null;
  readonly checkpoint: CheckpointPolicy;
  readonly durableReplies: boolean;
  readonly deleteStateOnStop: boolean;
}

/** The figures of a process that has counted nothing yet (read only). */
const NO_FIGURES: Readonly<ProcessStats> = Object.freeze(new ProcessStats());

/** Thrown inside `spawn` when `init` overran `initTimeoutMs`. */
const INIT_TIMEOUT = 'init_timeout';

/**
 * The slot a process lives in: its lifecycle as its supervisor drives it (start, shut down,
 * restart, leave) and its mailbox. It outlives each incarnation: name, mailbox and figures stay
 * while incarnations come and go. Handlers run through the `HandlerRunner`; what an instance
 * reaches goes through its `Incarnation`, revoked when the incarnation ends.
 */
export class ProcessCell implements MailboxOwner<Envelope>, SupervisedChild, StateOwner, IncarnationOwner, RunnerOwner, ActivatedCell {
  status: ProcessStatusName = 'starting';
  incarnation = 0;
  parent: ChildParent | null = null;

  private live: Incarnation | null = null;
  private readonly mailbox: Mailbox<Envelope>;
  // Both made on first use: an idle process (there may be 100 000) has neither.
  private runner: HandlerRunner | null = null;
  private counters: ProcessStats | null = null;
  /** `init` while it runs. */
  private spawning: Promise<void> | null = null;
  /** Set when the process leaves for good: from then on new messages are refused. */
  private stopReason: ExitReason | null = null;
  private removing: Promise<void> | null = null;
  private shuttingDown: Promise<void> | null = null;
  /** Bumped by every `shutdown`: a (re)start that was under way when it came must not resume the mailbox. */
  private halts = 0;
  /** Restore and checkpoints, when the process has a state store. */
  private readonly persistence: ProcessState | null;
  /** A cluster-wide process: this node won the claim on its name and has not lost it since. */
  private claimed = false;

  constructor(
    readonly name: string,
    readonly type: ProcessType,
    private readonly args: unknown,
    readonly options: ChildOptions,
    readonly ports: ProcessPorts,
    /** A cluster-wide process's claim on its name; `null` for a process of this node only. */
    private readonly activation: Activation | null = null,
    /**
     * A topology child: when another node runs its name, it waits here in `standby` and takes over
     * when that node goes; a process started at run time fails with `AlreadyStartedError` instead.
     */
    private readonly standbyCapable = false,
  ) {
    this.mailbox = new Mailbox(this, ports.drainBudget);
    this.persistence = options.store
      ? new ProcessState(this, type, options.store, options.checkpoint, options.durableReplies, ports.outbox, ports.emit.bind(ports), ports.scheduler)
      : null;
  }

  get generation(): number {
    return this.incarnation;
  }

  get restartType(): RestartType {
    return this.options.restart;
  }

  get restarts(): number {
    return this.counters === null ? 0 : this.counters.restarts;
  }

  /** The process's figures, made when the first one is counted. */
  get stats(): ProcessStats {
    return (this.counters ??= new ProcessStats());
  }

  /** The message whose handler is running, if any. */
  private get current(): Envelope | null {
    return this.runner === null ? null : this.runner.current;
  }

  /** Messages waiting in the mailbox. */
  get queued(): number {
    return this.mailbox.length;
  }

  get liveInstance(): GenServerProcess | null {
    return this.live?.instance ?? null;
  }

  /** Between handlers: no handler and no `init` running. */
  get atBoundary(): boolean {
    // `init` runs from the moment the incarnation exists until it is marked initialized, also in
    // the synchronous part of an async `init` (before `spawning` is set) and in a sync one.
    return this.current === null && this.spawning === null && (this.live === null || this.live.initialized);
  }

  /** Whether the mailbox has work: a handler running or messages waiting. */
  get busy(): boolean {
    return this.current !== null || this.mailbox.length > 0;
  }

  /** Whether it is one activation cluster-wide (its name is claimed), not a process of this node only. */
  get clustered(): boolean {
    return this.activation !== null;
  }

  /**
   * Whether its incarnations are the name's, to report to monitors: a node-local process, or a
   * cluster-wide one whose claim this node won (a standby, or a start that lost the claim, is not).
   */
  get holdsName(): boolean {
    return this.activation === null || this.claimed;
  }

  /** Whether messages to its name are handled on this node: a local process, or a live claim. */
  get servesHere(): boolean {
    return this.activation === null || this.activation.valid;
  }

  /** Takes a message into the mailbox, or says why not. Never runs a handler synchronously. */
  accept(envelope: Envelope): GenServerError | undefined {
    if (this.stopReason !== null) return new ProcessStoppedError(this.name, describeReason(this.stopReason));
    if (this.mailbox.length >= this.options.maxMailbox) return new MailboxFullError(this.name, this.options.maxMailbox);
    const profiler = this.ports.profiler;
    if (profiler !== null) envelope.queuedAt = profiler.stamp;
    this.mailbox.next(envelope);
    if (envelope.trace !== undefined) this.ports.telemetry.enqueued(envelope, this.mailbox.length);
    return undefined;
  }

  snapshot(): ProcessStatus {
    const { processed, errors, restarts, stuck, lastError } = this.counters ?? NO_FIGURES;
    const status = { name: this.name, type: this.type.typeName, status: this.status, mailbox: this.mailbox.length, processed, errors, restarts, stuck, state: this.presentState(), lastError, uptimeMs: this.uptimeMs() };
    return this.addFigures(status, true);
  }

  tree(now: number): TreeNode {
    const { processed, errors, restarts, stuck, lastError } = this.counters ?? NO_FIGURES;
    const node: TreeNode = { name: this.name, kind: 'process', type: this.type.typeName, status: this.status, restarts, mailbox: this.mailbox.length, stuck, processed, errors, lastError, uptimeMs: this.uptimeMs(now) };
    return this.addFigures(node, false);
  }

  /**
   * Adds what only some processes have: the node (and a cluster-wide process's epoch), the
   * instance's details, and while profiled handler time, the oldest message's age and (with
   * `traces`) trace ids. Assigned, not spread: `tree()` runs this for every process once a second
   * while a dashboard is open.
   */
  private addFigures<T extends object>(into: T, traces: boolean): T {
    const figures = into as Record<string, unknown>;
    const node = this.node();
    if (node !== undefined) {
      figures.node = node;
      const epoch = this.activation?.epoch();
      if (epoch !== undefined) figures.epoch = epoch;
    }
    const details = this.details();
    if (details !== undefined) Object.assign(figures, details);
    const profiler = this.ports.profiler;
    if (profiler === null) return into;
    const profile = this.runner?.profileUnder(profiler);
    const handlerMs = profile?.handlerMs();
    if (handlerMs !== undefined) figures.handlerMs = handlerMs;
    const oldest = this.mailbox.peek();
    if (oldest !== undefined) figures.oldestMs = profiler.ageOf(oldest.queuedAt);
    const traceIds = traces ? profile?.traceIds() : undefined;
    if (traceIds !== undefined) figures.traceIds = traceIds;
    return into;
  }

  /** What the instance adds to status and tree (see `STATUS_DETAILS`); nothing if that throws. */
  private details(): object | undefined {
    const instance = this.live?.instance as { [STATUS_DETAILS]?: () => object } | undefined;
    if (instance === undefined || typeof instance[STATUS_DETAILS] !== 'function') return undefined;
    try {
      return instance[STATUS_DETAILS]();
    } catch (error) {
      Logger.warn(`status details threw: ${describeCause(error)}`, this.name);
      return undefined;
    }
  }

  /** Profiling ended: what was measured goes. */
  unprofile(): void {
    this.runner?.unprofile();
  }

  /** In a cluster: the node that runs it (this one, or the owner a standby waits on). */
  private node(): string | undefined {
    return this.activation === null ? this.ports.node : this.activation.owner();
  }

  /** The supervisor's heartbeat (see `SupervisorSpec.heartbeatMs`). */
  beat(): void {
    const busy = this.busy;
    // Figures that were never made and would only be reset: an idle process is never stuck.
    if (this.counters === null && !busy) return;
    if (!this.stats.beat(this.status === 'running', busy)) return;
    Logger.warn(`no message handled for a whole heartbeat with ${this.mailbox.length} waiting`, this.name);
    this.ports.emit({ type: 'stuck', name: this.name, at: this.ports.scheduler.now(), mailbox: this.mailbox.length, handling: this.current?.type });
  }

  // ---- lifecycle, as driven by the supervisor ----

  /**
   * First start: builds the instance and runs `init`. Rejects with `ProcessInitError`, or with
   * `ProcessStoppedError` when the process was stopped before `init` finished. Returns nothing
   * when the process was up at once (see `spawn`); a constructor or `init` that throws still
   * makes it return a rejected promise.
   */
  start(): Promise<void> | undefined {
    return this.activation === null ? this.startHere() : this.startClaimed(this.activation);
  }

  /**
   * A cluster-wide process runs only where its name is claimed: the claim comes first, so a node
   * that loses it never runs `init`. A topology child waits in standby; a run-time start fails.
   */
  private async startClaimed(activation: Activation): Promise<void> {
    let epoch: number | undefined;
    try {
      epoch = await activation.claim(this.standbyCapable);
    } catch (error) {
      if (!this.standbyCapable) throw error;
      Logger.warn(`could not claim its name (${describeCause(error)}); waiting in standby`, this.name);
    }
    if (this.stopReason !== null) throw new ProcessStoppedError(this.name, describeReason(this.stopReason));
    if (epoch === undefined) {
      if (!this.standbyCapable) throw new AlreadyStartedError(this.name);
      return this.enterStandby();
    }
    this.claimed = true;
    this.persistence?.claimed(epoch);
    return this.startHere();
  }

  private startHere(): Promise<void> | undefined {
    const halts = this.halts;
    const spawning = this.spawn();
    if (spawning === undefined) return this.started(halts);
    return spawning.then(
      () => this.started(halts),
      (error: unknown) => {
        // Stopped while `init` ran (and given up on): that, not the abandoned `init`, is the answer.
        throw this.stopReason !== null ? new ProcessStoppedError(this.name, describeReason(this.stopReason)) : error;
      },
    );
  }

  private started(halts: number): undefined {
    if (this.stopReason !== null) throw new ProcessStoppedError(this.name, describeReason(this.stopReason));
    if (halts !== this.halts) return undefined;
    this.ports.emit({ type: 'started', name: this.name, processType: this.type.typeName, at: this.ports.scheduler.now() });
    this.run();
    return undefined;
  }

  /** A fresh incarnation; the mailbox, with whatever waited, carries over. */
  async restart(): Promise<void> {
    if (this.stopReason !== null) return;
    // Never two incarnations at once.
    if (this.live !== null || this.spawning !== null) await this.shutdown('shutdown');
    const halts = this.halts;
    if (this.activation !== null && !(await this.reclaim(this.activation))) return;
    if (halts !== this.halts || this.stopReason !== null) return;
    this.status = 'restarting';
    try {
      await this.ports.telemetry.lifecycle('restart', { name: this.name, type: this.type.typeName }, () => this.spawn());
    } catch (error) {
      // Shut down (or stopped) while `init` ran: not a failed restart; whoever did that decides.
      if (halts !== this.halts || this.stopReason !== null) return;
      this.stats.errors++;
      Logger.error(describeCause(error), undefined, this.name);
      this.ports.emit({ type: 'crashed', name: this.name, at: this.ports.scheduler.now(), reason: (error as ProcessInitError).cause, messageType: undefined });
      throw error;
    }
    // Shut down (or stopped) while `init` ran: whoever did that decides what comes next.
    if (halts !== this.halts || this.stopReason !== null) return;
    this.stats.restarts++;
    this.ports.telemetry.restarted(this.type.typeName);
    this.ports.emit({ type: 'restarted', name: this.name, at: this.ports.scheduler.now(), restarts: this.stats.restarts });
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
    let intact = true;
    if (this.atBoundary && this.mailbox.quiet) {
      // Nothing to wait for (an idle process): no `shutdownMs` timer. Still never within the caller's turn.
      await undefined;
    } else if (!(await settleWithin(this.quiet(), this.options.shutdownMs))) {
      Logger.error(messages.abandoned(this.name, this.spawning ? 'init()' : 'its running handler', this.options.shutdownMs), undefined, this.name);
      this.spawning = null;
      builds.get(this)?.abort();
      this.mailbox.abandon();
      // The handler given up on will never be heard from: its message is answered or dead-lettered now.
      const envelope = this.runner === null ? null : this.runner.abandon();
      if (envelope) this.refuse(envelope, new ProcessStoppedError(this.name, `its handler overran shutdownMs (${this.options.shutdownMs} ms)`), 'abandoned');
      intact = false;
    }
    await this.endIncarnation(reason, true, intact);
  }

  /** Resolves once `init` (if running) and the handler in flight (if any) have finished. */
  private async quiet(): Promise<void> {
    if (this.spawning) await this.spawning.catch(() => undefined);
    await this.mailbox.settled();
  }

  /**
   * Leaves for good: refuses new messages, ends the incarnation if one runs, then answers every
   * queued call with `ProcessStoppedError` and publishes every queued cast and info as a dead
   * letter. Whatever fails on the way, the name is released, the process reported stopped and its
   * supervisor told to forget it.
   */
  remove(reason: ExitReason): Promise<void> {
    return (this.removing ??= this.leave(reason));
  }

  private async leave(reason: ExitReason): Promise<void> {
    this.stopReason ??= reason;
    this.status = 'stopping';
    try {
      await this.shutdown(reason);
      if (this.mailbox.length > 0) {
        const stopped = new ProcessStoppedError(this.name, describeReason(reason));
        for (const envelope of this.mailbox.takeAll()) this.refuse(envelope, stopped, 'stopped');
      }
      // Whatever was queued for the store is written before the process is gone (and the store closed).
      await this.persistence?.leave(this.options.deleteStateOnStop && reason === 'normal');
      // Given up once the last checkpoint is stored: another node may claim the name at once.
      await this.activation?.retire(true).catch((error: unknown) => Logger.warn(`could not release its name: ${describeCause(error)}`, this.name));
    } finally {
      this.status = 'stopped';
      // Monitors made while no incarnation ran (during a backoff) still get their DOWN; a standby's
      // name runs elsewhere, and its monitors wait for that process.
      if (this.holdsName) this.ports.monitors.down(this.name, reason);
      this.ports.release(this.name);
      this.ports.emit({ type: 'stopped', name: this.name, at: this.ports.scheduler.now(), reason });
      // Gone for good: no longer its supervisor's child (whoever removed it may say so again).
      this.parent?.forget(this);
    }
  }

  /** Stopped from outside (`runtime.stop`, app shutdown): graceful, final, not restarted. */
  stop(reason: ExitReason): Promise<void> {
    return this.remove(reason);
  }

  // ---- the cluster ----

  /**
   * Before a restart: the claim is normally still held (its epoch comes back at once). Lost in the
   * meantime, a topology child goes to standby and a run-time process leaves; false then.
   */
  private async reclaim(activation: Activation): Promise<boolean> {
    const epoch = await activation.claim().catch((error: unknown) => {
      Logger.warn(`could not claim its name again: ${describeCause(error)}`, this.name);
      return undefined;
    });
    if (epoch !== undefined) {
      this.claimed = true;
      this.persistence?.claimed(epoch);
      return true;
    }
    if (this.standbyCapable) this.enterStandby();
    else void this.remove({ shutdown: 'fenced' });
    return false;
  }

  /** Waits for the node that runs its name to go; whatever waits here is refused. */
  private enterStandby(): undefined {
    this.claimed = false;
    this.status = 'standby';
    this.mailbox.pause();
    this.refuseQueued(new ProcessStoppedError(this.name, 'it runs on another node'), 'standby');
    this.activation?.standby();
    return undefined;
  }

  activated(epoch: number): void {
    if (this.stopReason !== null || this.status !== 'standby') return;
    this.claimed = true;
    this.persistence?.claimed(epoch);
    this.status = 'starting';
    const halts = this.halts;
    const failed = (error: unknown) => {
      if (halts !== this.halts || this.stopReason !== null) return;
      // As a crash: its supervisor restarts it (on this node, the claim being held) by its rules.
      if (this.parent) this.parent.childExited(this, this.incarnation, crashReason(error));
      else void this.remove(crashReason(error));
    };
    try {
      const spawning = this.spawn();
      if (spawning === undefined) this.started(halts);
      else spawning.then(() => this.started(halts), failed).catch(() => undefined); // stopped meanwhile: the stop answers
    } catch (error) {
      failed(error);
    }
  }

  fenced(): void {
    if (this.stopReason !== null || this.status === 'standby') return;
    void this.fence();
  }

  standDown(): void {
    if (this.stopReason !== null) return;
    void this.remove('normal');
  }

  /** Its lease ended unrenewed: the incarnation ends (messages are no longer handled here already). */
  private async fence(): Promise<void> {
    await this.shutdown({ shutdown: 'fenced' });
    if (this.stopReason !== null) return;
    this.refuseQueued(new ProcessStoppedError(this.name, 'fenced: its lease ended and another node may run it now'), 'fenced');
    if (this.standbyCapable) this.enterStandby();
    else await this.remove({ shutdown: 'fenced' });
  }

  private refuseQueued(error: GenServerError, reason: string): void {
    if (this.mailbox.length === 0) return;
    for (const envelope of this.mailbox.takeAll()) this.refuse(envelope, error, reason);
  }

  // ---- what incarnations ask of their cell ----

  handling(): Envelope | null {
    return this.current;
  }

  replyLater(incarnation: Incarnation, from: From, value: unknown): void {
    if (!this.persistence?.durable) return this.ports.outbox.reply(from, value, undefined);
    // Acknowledged means durable for deferred replies too.
    if (incarnation.revoked) return this.ports.outbox.fail(from, new ProcessStoppedError(this.name, 'the incarnation that deferred this call has ended'));
    this.persistence.queueReply(from, value);
  }

  checkpoint(): void {
    this.persistence?.request();
  }

  requestExit(incarnation: Incarnation, reason: ExitReason): void {
    if (incarnation !== this.live || incarnation.revoked) return;
    incarnation.exitRequest = reason;
    this.mailbox.pause();
    // Inside a handler (or init) the exit waits for it to return; otherwise it goes at once.
    if (this.atBoundary) void this.mailbox.settled().then(() => this.takeExitRequest());
  }

  /**
   * Crashes the running incarnation with `reason` from outside (`runtime.kill`): its supervisor
   * decides by its rules. False when no incarnation runs.
   */
  kill(reason: unknown): boolean {
    const live = this.live;
    if (live === null || live.revoked) return false;
    this.failedOutside(live, reason);
    return true;
  }

  failedOutside(incarnation: Incarnation, error: unknown): void {
    if (incarnation !== this.live || incarnation.revoked) return;
    this.stats.errors++;
    this.stats.lastError = describeCause(error);
    Logger.error(`crashed: ${describeCause(error)}`, stackOf(error), this.name);
    this.ports.emit({ type: 'crashed', name: this.name, at: this.ports.scheduler.now(), reason: error, messageType: undefined });
    incarnation.exitRequest = null;
    this.requestExit(incarnation, crashReason(error));
  }

  crashedEarlier(incarnation: Incarnation, envelope: Envelope, error: unknown, unsent: readonly Envelope[]): void {
    const stats = this.stats;
    stats.errors++;
    stats.lastError = describeCause(error);
    const state = this.presentState();
    Logger.error(`${new ProcessCrashedError(this.name, envelope.type, error).message}; state: ${stateForLog(state)}`, stackOf(error), this.name);
    this.ports.emit({ type: 'crashed', name: this.name, at: this.ports.scheduler.now(), reason: error, messageType: envelope.type, state });
    this.ports.outbox.deadLetter(envelope, 'crashed');
    if (incarnation !== this.live || incarnation.revoked) return this.mailbox.putBack(unsent);
    // A handler waiting to hand its message over (the worker's window was full) gives it up: it
    // goes back too, behind those handed over before it.
    const waiting = this.current;
    this.mailbox.pause();
    if (waiting !== null) {
      this.runner?.abandon();
      this.mailbox.abandon();
    }
    this.mailbox.putBack(waiting === null ? unsent : [...unsent, waiting]);
    incarnation.exitRequest = null;
    this.requestExit(incarnation, crashReason(error));
  }

  handBack(unsent: readonly Envelope[], abandoned: Envelope | null): void {
    if (abandoned !== null) this.refuse(abandoned, new ProcessStoppedError(this.name, 'its worker was ended while it ran this message'), 'abandoned');
    this.mailbox.putBack(unsent);
  }

  /**
   * The store refused a checkpoint: that is a crash, handled by the supervisor's rules. No further
   * message is handled by this incarnation, and no later checkpoint of it is written.
   */
  storeFailed(instance: GenServerProcess | null, error: unknown): void {
    this.stats.errors++;
    Logger.error(`checkpoint failed: ${describeCause(error)}`, stackOf(error), this.name);
    this.ports.emit({ type: 'crashed', name: this.name, at: this.ports.scheduler.now(), reason: error, messageType: undefined });
    const live = this.live;
    if (live === null || live.instance !== instance) return; // that incarnation has already ended
    // Overrides an orderly stop the handler may have asked for: this is a crash.
    live.exitRequest = null;
    this.requestExit(live, crashReason(error));
  }

  // ---- the message path ----

  receive(envelope: Envelope): void | Promise<void> {
    const live = this.live as Incarnation;
    // A timer or DOWN message of an earlier incarnation: the one it was meant for is gone.
    if (envelope.incarnation !== undefined && envelope.incarnation !== live.number) return this.ports.outbox.deadLetter(envelope, 'stale');
    // Fenced (the lease ended unrenewed): another node may run it now, so nothing more is handled here.
    if (this.activation !== null && !this.activation.valid) return this.refuse(envelope, new ProcessStoppedError(this.name, 'fenced: its lease ended and another node may run it now'), 'fenced');
    return (this.runner ??= new HandlerRunner(this, this.options.handlerTimeoutMs)).run(live.instance, envelope);
  }

  completed(envelope: Envelope, value: unknown): void | Promise<void> {
    this.stats.processed++;
    const deferred = isNoReply(value);
    const durable = this.persistence?.durable === true && envelope.kind === 'call' && !deferred;
    const written = this.persistence?.applied(durable);
    if (envelope.kind === 'call') {
      const from = envelope.from as From;
      const outbox = this.ports.outbox;
      if (deferred) outbox.defer(from, ((this.live as Incarnation).owed ??= new Set()));
      else if (durable && written) {
        // Acknowledged means durable: the reply waits for the checkpoint that includes it.
        written.then(
          () => outbox.reply(from, value, envelope.type),
          (error: unknown) => outbox.fail(from, new ProcessCrashedError(this.name, envelope.type, error)),
        );
      } else outbox.reply(from, value, envelope.type);
    }
    if (this.live?.exitRequest != null) return this.takeExitRequest();
  }

  crashed(envelope: Envelope, error: unknown): Promise<void> {
    const stats = this.stats;
    stats.processed++;
    stats.errors++;
    stats.lastError = describeCause(error);
    if (this.live) this.live.exitRequest = null;
    const crashed = new ProcessCrashedError(this.name, envelope.type, error);
    if (envelope.kind === 'call') this.ports.outbox.fail(envelope.from as From, crashed);
    const state = this.presentState();
    Logger.error(`${crashed.message}; state: ${stateForLog(state)}`, stackOf(error), this.name);
    this.ports.emit({ type: 'crashed', name: this.name, at: this.ports.scheduler.now(), reason: error, messageType: envelope.type, state });
    this.ports.outbox.deadLetter(envelope, 'crashed');
    return this.exitItself(crashReason(error));
  }

  unhandled(envelope: Envelope): void {
    this.stats.processed++;
    const error = new UnhandledMessageError(this.name, envelope.kind, envelope.type);
    this.runner?.endTrace('error', error);
    if (envelope.kind === 'call') return this.ports.outbox.fail(envelope.from as From, error);
    Logger.warn(`${error.message}; published as a dead letter`, this.name);
    this.ports.outbox.deadLetter(envelope, 'unhandled');
  }

  /**
   * The last-resort guard: the message path itself threw (only a defect can make it). The message
   * is answered, and the incarnation, whose state may be half-changed, ends as a crash.
   */
  receiveFailed(envelope: Envelope, error: unknown): void {
    Logger.error(`internal failure while handling ${envelope.type ?? 'a message'}: ${describeCause(error)}`, stackOf(error), this.name);
    if (this.runner !== null && this.runner.current === envelope) this.runner.current = null;
    this.refuse(envelope, new ProcessCrashedError(this.name, envelope.type, error), 'crashed');
    const live = this.live;
    if (live !== null && !live.revoked) this.requestExit(live, crashReason(error));
  }

  // ---- incarnations ----

  private takeExitRequest(): Promise<void> | undefined {
    const live = this.live;
    const reason = live?.exitRequest;
    if (live == null || reason == null) return undefined;
    live.exitRequest = null;
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

  /**
   * Builds an instance and runs its `init`; a failed `init` leaves no incarnation and no timers.
   * `undefined` when both were done at once (a class built with `new`, an `init` that returned no
   * promise, no store), else a promise that rejects with `ProcessInitError`.
   */
  private spawn(): Promise<void> | undefined {
    const before = this.incarnation;
    let spawning: Promise<void> | undefined;
    try {
      spawning = this.bringUp();
    } catch (error) {
      spawning = Promise.reject(error);
    }
    return spawning === undefined ? undefined : this.spawned(spawning, before);
  }

  private async spawned(spawning: Promise<void>, before: number): Promise<void> {
    this.spawning = spawning;
    try {
      await spawning;
    } catch (error) {
      // A shutdown that gave up on this `init` has ended its incarnation already.
      const endedMeanwhile = this.incarnation !== before && this.live === null;
      if (!endedMeanwhile) {
        if (error === INIT_TIMEOUT) Logger.error(messages.initTimedOut(this.name, this.options.initTimeoutMs), undefined, this.name);
        await this.endIncarnation(new ProcessInitError(this.name, error), false);
      }
      throw new ProcessInitError(this.name, error);
    } finally {
      if (this.spawning === spawning) this.spawning = null;
    }
  }

  /** `undefined` when the instance was built and its `init` ran at once; may throw. */
  private bringUp(): Promise<void> | undefined {
    // Building it (an isolated process's worker loading its class file) counts against
    // `initTimeoutMs` as `init` does, and a shutdown that gives up on the start gives up on it too:
    // either aborts the build (the worker is ended), so a file that never loads cannot hang the start.
    // Only a type whose build can be given up on pays for the controller (spawns are a hot path).
    const building = this.type.abortable === true ? new AbortController() : null;
    const made = this.type.create(building?.signal);
    if (!(made instanceof Promise)) return this.bringUpInstance(made);
    if (building === null) return made.then((instance) => this.bringUpInstance(instance));
    const halts = this.halts;
    const { scheduler } = this.ports;
    let timedOut = false;
    const timer = armTimer(this.options.initTimeoutMs, () => {
      timedOut = true;
      building.abort();
    }, scheduler);
    builds.set(this, building);
    const done = () => {
      if (timer !== null) scheduler.clearTimeout(timer);
      if (builds.get(this) === building) builds.delete(this);
    };
    return made.then(
      (instance) => {
        done();
        if (halts === this.halts && !timedOut) return this.bringUpInstance(instance);
        // Shut down (the app closed, a stop gave up on it) or timed out while it was being built:
        // it never runs, and what it holds (an isolated process's worker) is ended.
        void endOf(instance)?.().catch(() => undefined);
        throw timedOut ? INIT_TIMEOUT : new ProcessStoppedError(this.name, 'shut down while it was being built');
      },
      (error: unknown) => {
        done();
        throw timedOut ? INIT_TIMEOUT : error;
      },
    );
  }

  private bringUpInstance(instance: GenServerProcess): Promise<void> | undefined {
    const live = new Incarnation(this, ++this.incarnation, instance);
    this.live = live;
    instance[PROCESS_BINDING] = live;
    const init = this.persistence === null ? this.init(instance, undefined) : this.restoreAndInit(instance, this.persistence);
    // An `init` that returned no promise is done: no `initTimeoutMs` timer for it.
    if (init === undefined) return this.initialized(live);
    return live.within(init, this.options.initTimeoutMs, INIT_TIMEOUT).then(() => this.initialized(live));
  }

  private initialized(live: Incarnation): undefined {
    live.markStarted();
    this.persistence?.started();
    return undefined;
  }

  private async restoreAndInit(instance: GenServerProcess, persistence: ProcessState): Promise<void> {
    const restored = await persistence.restore(instance);
    if (restored !== undefined) instance.state = restored;
    await this.init(instance, restored);
  }

  /** Runs `init` (in its span, when traced); a promise if it may still be running, else `undefined`. */
  private init(instance: GenServerProcess, restored: unknown): Promise<unknown> | undefined {
    const telemetry = this.ports.telemetry;
    const result = telemetry.tracing
      ? telemetry.lifecycle('init', { name: this.name, type: this.type.typeName }, () => instance.init(this.args, restored))
      : instance.init(this.args, restored);
    return result !== null && (typeof result === 'object' || typeof result === 'function') ? Promise.resolve(result) : undefined;
  }

  private run(): void {
    if (this.stopReason !== null || this.live === null) return;
    if (this.live?.exitRequest != null) {
      void this.takeExitRequest();
      return;
    }
    this.status = 'running';
    this.mailbox.resume();
  }

  /**
   * Ends the incarnation: revokes it (its timers go), runs `terminate` (at most `shutdownMs`),
   * fails the calls it deferred and never answered, and tells whoever monitors it that it went down.
   */
  private async endIncarnation(reason: ExitReason, runTerminate = true, stateIntact = true): Promise<ExitReason> {
    const live = this.live;
    this.live = null;
    live?.revoke();
    // What the calls left waiting are failed with; made only when one waits (an error's stack is not free).
    let ended: GenServerError | undefined;
    const endedError = (why: ExitReason) => (ended ??= isNormalExit(why) ? new ProcessStoppedError(this.name, describeReason(why)) : new ProcessCrashedError(this.name, undefined, why));
    // An orderly end keeps what changed since the last checkpoint; a crashed state, or one a handler
    // was still changing when it was given up on, is never saved.
    const failed = this.persistence === null ? undefined : await this.persistence.end(live?.instance ?? null, isNormalExit(reason) && stateIntact, endedError(reason));
    if (failed !== undefined) {
      // What changed since the last checkpoint is lost: report it, and exit as a crash.
      this.stats.errors++;
      Logger.error(`final checkpoint failed: ${describeCause(failed)}`, stackOf(failed), this.name);
      this.ports.emit({ type: 'crashed', name: this.name, at: this.ports.scheduler.now(), reason: failed, messageType: undefined });
      reason = crashReason(failed);
    }
    if (live === null) return reason;
    // As in OTP, `terminate` is for an incarnation whose `init` returned.
    if (runTerminate && live.initialized) await this.terminate(live.instance, reason);
    live.end();
    // An isolated process's worker ends with its incarnation.
    await endOf(live.instance)?.();
    if (live.owed !== null && live.owed.size > 0) {
      const error = isNormalExit(reason) ? endedError(reason) : new ProcessCrashedError(this.name, undefined, reason);
      for (const from of live.owed) this.ports.outbox.fail(from, error);
    }
    this.ports.monitors.down(this.name, reason);
    return reason;
  }

  private async terminate(instance: GenServerProcess, reason: ExitReason): Promise<void> {
    const span = this.ports.telemetry.lifecycleSpan('terminate', { name: this.name, type: this.type.typeName });
    let failure: unknown;
    const threw = (error: unknown) => {
      failure = error;
      Logger.error(`terminate() threw: ${describeCause(error)}`, stackOf(error), this.name);
    };
    let result: unknown;
    try {
      result = instance.terminate(reason);
    } catch (error) {
      threw(error);
    }
    // Only what may be a promise is waited for, at most `shutdownMs`; a plain return needs no timer.
    const finished = (result === null || (typeof result !== 'object' && typeof result !== 'function'))
      ? true
      : await settleWithin((async () => result)().catch(threw), this.options.shutdownMs);
    if (!finished) Logger.error(messages.abandoned(this.name, 'terminate()', this.options.shutdownMs), undefined, this.name);
    span?.end(!finished ? 'timeout' : failure === undefined ? 'ok' : 'error', failure);
  }

  /** A message that will not be handled: a call is answered with `error`, anything else dead-lettered. */
  private refuse(envelope: Envelope, error: unknown, reason: string): void {
    if (envelope.kind === 'call') this.ports.outbox.fail(envelope.from as From, error);
    else this.ports.outbox.deadLetter(envelope, reason);
  }

  /** The state as status, logs and events may show it. */
  private presentState(): unknown {
    try {
      return presentState(this.live?.instance ?? null, this.type.options.redact);
    } catch {
      return '[formatState threw]';
    }
  }

  private uptimeMs(now?: number): number {
    return this.live === null ? 0 : this.live.uptimeMs(now);
  }
}

/**
 * Builds that can be given up on while they run (an isolated process's worker booting), by cell:
 * rare, so kept out of every cell's fields.
 */
const builds = new WeakMap<ProcessCell, AbortController>();

/** What ends an instance's resources with its incarnation (an isolated process's worker), if it has any. */
function endOf(instance: GenServerProcess): (() => Promise<void>) | undefined {
  const end = (instance as { [END_INCARNATION]?: () => Promise<void> })[END_INCARNATION];
  return end?.bind(instance);
}
