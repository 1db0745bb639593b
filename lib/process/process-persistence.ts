import { Logger } from '@nestjs/common';
import type { ProcessType } from './process-type.js';
import { describeCause, stackOf } from '../errors/describe-value.js';
import { CorruptStateError } from '../errors/corrupt-state.error.js';
import { ProcessCrashedError } from '../errors/process-crashed.error.js';
import { StateMigrationError } from '../errors/state-migration.error.js';
import { StateVersionError } from '../errors/state-version.error.js';
import type { From } from './from.js';
import type { GenServerProcess } from './gen-server-process.js';
import type { Outbox } from './process-ports.js';
import type { Scheduler } from '../common/scheduler.js';
import type { GenServerEvent } from './process-events.js';
import { Checkpointer } from '../state/checkpointer.js';
import type { CheckpointPolicy, StateStore } from '../interfaces/state-store.interface.js';

/** What the process cell tells its state keeper, and asks of it. */
export interface StateOwner {
  readonly name: string;
  /** The running incarnation, if any. */
  readonly liveInstance: GenServerProcess | null;
  /** True between handlers (no handler, no `init` running): a checkpoint may be taken now. */
  readonly atBoundary: boolean;
  /** The store refused a write of `instance`: a crash, by the supervisor's rules. */
  storeFailed(instance: GenServerProcess | null, error: unknown): void;
}

/**
 * The durable side of one process: restores its state when an incarnation starts, checkpoints it
 * between handlers by policy, holds durable replies until the checkpoint that includes them is
 * stored, and saves what changed when an incarnation ends in order.
 */
export class ProcessState {
  private readonly checkpointer: Checkpointer;
  private timer: unknown = null;
  /** Deferred replies (`durableReplies`) waiting for the next checkpoint. */
  private durableQueue: { from: From; value: unknown }[] = [];

  constructor(
    private readonly owner: StateOwner,
    private readonly type: ProcessType,
    store: Promise<StateStore>,
    policy: CheckpointPolicy,
    private readonly durableReplies: boolean,
    private readonly outbox: Outbox,
    private readonly emit: (event: GenServerEvent) => void,
    private readonly scheduler: Scheduler,
  ) {
    this.checkpointer = new Checkpointer(store, owner.name, policy, type.options.stateVersion ?? 1);
  }

  /**
   * The state of the last checkpoint, migrated to the code's `stateVersion`; `undefined` when there
   * is none. A record that cannot be read is moved aside (reported) and the process starts from
   * `init`; one that is too new, or fails to migrate, fails the start and stays as it is.
   */
  async restore(instance: GenServerProcess): Promise<unknown> {
    const name = this.owner.name;
    await this.checkpointer.settled();
    const store = await this.checkpointer.store;
    const epoch = this.checkpointer.epoch;
    // A new owner fences the store before it loads: a former owner's write either lands before (and
    // is loaded here) or is refused; it can never land between this load and the next save.
    if (epoch !== undefined && store.fence) await store.fence(name, epoch);
    let record;
    try {
      record = await store.load(name);
    } catch (error) {
      if (!(error instanceof CorruptStateError)) throw error;
      if (store.moveAside) {
        Logger.error(`${error.message}; moved aside, starting from init()`, undefined, name);
        await store.moveAside(name, error.reason);
      } else {
        Logger.error(`${error.message}; the store cannot move it aside, so the next checkpoint will replace it; starting from init()`, undefined, name);
      }
      this.emit({ type: 'state-corrupt', name, at: this.scheduler.now(), reason: error.reason });
      record = undefined;
    }
    this.checkpointer.restart(record?.seq ?? 0);
    if (!record) return undefined;
    const version = this.type.options.stateVersion ?? 1;
    if (record.version > version) throw new StateVersionError(name, record.version, version);
    if (record.version === version) return record.state;
    if (typeof instance.migrateState !== 'function') {
      throw new StateMigrationError(name, record.version, version, 'the class has no migrateState(old, fromVersion) method');
    }
    try {
      return await instance.migrateState(record.state, record.version);
    } catch (error) {
      throw new StateMigrationError(name, record.version, version, error);
    }
  }

  /** The cluster-wide claim on the name this state belongs to: every record is written under `epoch`. */
  claimed(epoch: number): void {
    this.checkpointer.epoch = epoch;
  }

  /** An incarnation is running: for `{ intervalMs }`, checkpoint changed state at boundaries. */
  started(): void {
    const every = this.checkpointer.intervalMs;
    if (every === undefined || this.timer !== null) return;
    this.timer = this.scheduler.setInterval(() => {
      if (!this.checkpointer.dirty || this.owner.liveInstance === null) return;
      if (this.owner.atBoundary) void this.take().catch(() => undefined);
      else this.checkpointer.request();
    }, every);
  }

  /**
   * A message was applied. Returns the checkpoint's write when one is due: by policy, because the
   * message was a call answered with a durable reply, or because deferred durable replies wait.
   */
  applied(durableCall: boolean): Promise<void> | undefined {
    const due = this.checkpointer.applied() || durableCall || this.durableQueue.length > 0;
    if (!due) return undefined;
    const written = this.take();
    if (this.durableQueue.length > 0) this.flushDurable(written);
    return written;
  }

  /** Whether a call's reply must wait for its checkpoint. */
  get durable(): boolean {
    return this.durableReplies;
  }

  /** A deferred reply with `durableReplies`: sent once a checkpoint after the current handler is stored. */
  queueReply(from: From, value: unknown): void {
    this.durableQueue.push({ from, value });
    if (this.owner.atBoundary) this.flushDurable(this.take());
  }

  /** `this.checkpoint()`: now at a boundary, else once the running handler (or `init`) returns. */
  request(): void {
    if (this.owner.atBoundary) void this.take().catch(() => undefined);
    else this.checkpointer.request();
  }

  /**
   * The incarnation ends. In order (and with its state intact), what changed since the last
   * checkpoint is saved; returns the error if that save fails. Deferred durable replies still
   * waiting get `error`.
   */
  async end(instance: GenServerProcess | null, saveChanges: boolean, error: unknown): Promise<unknown> {
    if (this.timer !== null) this.scheduler.clearInterval(this.timer);
    this.timer = null;
    let failed: unknown;
    if (instance && saveChanges && this.checkpointer.dirty) {
      failed = await this.checkpointer.take(instance.state).then(() => undefined, (e: unknown) => e);
    }
    this.checkpointer.abandon();
    const waiting = this.durableQueue;
    this.durableQueue = [];
    waiting.forEach(({ from }) => this.outbox.fail(from, error));
    return failed;
  }

  /** Waits for every queued write; deletes the record if asked to. */
  async leave(deleteRecord: boolean): Promise<void> {
    await this.checkpointer.settled();
    if (!deleteRecord) return;
    await (await this.checkpointer.store).delete(this.owner.name, this.checkpointer.epoch).catch((error: unknown) => {
      Logger.error(`could not delete the stored state: ${describeCause(error)}`, stackOf(error), this.owner.name);
    });
  }

  /** Checkpoints the running incarnation now; a refused write is reported to the owner. */
  private take(): Promise<void> {
    const instance = this.owner.liveInstance;
    const written = this.checkpointer.take(instance?.state);
    written.catch((error: unknown) => this.owner.storeFailed(instance, error));
    return written;
  }

  /** Sends the replies waiting for `written`, or fails them if it fails. */
  private flushDurable(written: Promise<void>): void {
    const queued = this.durableQueue;
    this.durableQueue = [];
    const name = this.owner.name;
    written.then(
      () => queued.forEach(({ from, value }) => this.outbox.reply(from, value, undefined)),
      (error: unknown) => queued.forEach(({ from }) => this.outbox.fail(from, new ProcessCrashedError(name, undefined, error))),
    );
  }
}
