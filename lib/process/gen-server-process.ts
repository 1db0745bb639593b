import { GenServerError } from '../errors/genserver.error.js';
import { messages } from '../errors/messages.js';
import type { CallOptions, ExitReason } from '../interfaces/genserver.types.js';
import type { From } from './from.js';
import type { MonitorRef } from './monitor-ref.js';
import type { TimerRef } from './timer-ref.js';

/** Options of `sendAfter`. */
export interface SendAfterOptions {
  /**
   * Deliver to this process instead (by name, to whichever incarnation runs there when the timer
   * fires). The timer is still this incarnation's: it is cancelled when this incarnation ends.
   */
  to?: string;
}

/** @internal What a running instance is bound to; set by the runtime before `init`. */
export const PROCESS_BINDING = Symbol('genserver:binding');

/**
 * A process may show more in `runtime.status` and `runtime.tree` than the runtime knows (an agent's
 * counters): the method under this key returns those fields, read at the time of the snapshot.
 */
export const STATUS_DETAILS = Symbol('genserver:status-details');

/** An instance that holds something beyond its incarnation (an isolated process's worker) ends it here, once the incarnation has ended. */
export const END_INCARNATION = Symbol('genserver:end-incarnation');

/** @internal The runtime side of a process, as seen from its instance: one per incarnation. */
export interface ProcessBinding {
  readonly name: string;
  sendAfter(ms: number, payload: unknown, options?: SendAfterOptions): TimerRef;
  cancelTimer(ref: TimerRef): boolean;
  call<R>(to: string, payload: unknown, options?: CallOptions): Promise<R>;
  cast(to: string, payload: unknown): Promise<void>;
  reply(from: From, value: unknown): void;
  replyError(from: From, error: Error): void;
  monitor(name: string): MonitorRef;
  demonitor(ref: MonitorRef): boolean;
  exit(reason: unknown): void;
  /** A crash from outside the instance's callbacks (an isolated process's worker died). */
  fail(error: unknown): void;
  checkpoint(): void;
}

/**
 * Base class of every GenServer. Nest builds each incarnation (constructor injection works); the
 * runtime then calls `init`, hands it messages one at a time, and calls `terminate` at the end.
 * `state` is private to the process: read and change it only inside its callbacks.
 */
export abstract class GenServerProcess<S = unknown> {
  /** The process's state; set it in `init`. A restart starts from a fresh instance and `init`. */
  state!: S;

  /** @internal */
  [PROCESS_BINDING]?: ProcessBinding;

  /** The name the process is registered under. */
  get name(): string {
    return this.binding().name;
  }

  /**
   * Runs once per incarnation, before any message. May be async: messages that arrive meanwhile
   * wait. Throwing fails the start (`ProcessInitError`) or counts as a crash on restart.
   * With a state store, `restored` is the state of the last checkpoint (already migrated, and
   * already in `this.state`), or `undefined` when there is none: `this.state = restored ?? {...}`.
   */
  init(_args?: unknown, _restored?: S): void | Promise<void> {}

  /**
   * Turns a stored state of an older `stateVersion` into the current shape. If it throws (or is
   * missing when needed), the start fails and the stored record is left as it was.
   */
  migrateState?(old: unknown, fromVersion: number): S | Promise<S>;

  /** How status, logs and events show the state (instead of the `redact` option). */
  formatState?(state: S): unknown;

  /**
   * Runs once when the process ends: stopped (`'normal'`, `'shutdown'`) or crashed (the error).
   * Messages cannot reach the process any more; timers are already cancelled.
   */
  terminate(_reason: ExitReason): void | Promise<void> {}

  /**
   * Delivers `payload` to this process's `@HandleInfo` handlers after `ms` milliseconds — or to
   * another process's, with `{ to: name }`.
   */
  sendAfter(ms: number, payload: unknown, options?: SendAfterOptions): TimerRef {
    return this.binding().sendAfter(ms, payload, options);
  }

  /** Cancels a `sendAfter` timer; false when it already fired or was cancelled. */
  cancelTimer(ref: TimerRef): boolean {
    return this.binding().cancelTimer(ref);
  }

  /** Calls another process and waits for its reply (see `GenServerRuntime.call`). */
  call<R = unknown>(name: string, payload: unknown, options?: CallOptions): Promise<R> {
    return this.binding().call<R>(name, payload, options);
  }

  /** Sends a fire-and-forget message to another process (or this one). */
  cast(name: string, payload: unknown): Promise<void> {
    return this.binding().cast(name, payload);
  }

  /** Answers a call whose handler returned `noReply()`. A reply to a call no longer waiting is dropped. */
  reply(from: From, value: unknown): void {
    this.binding().reply(from, value);
  }

  /**
   * Answers a deferred call with an error: its caller's promise rejects with `error`, and the
   * process goes on (a handler that throws would crash it). A call no longer waiting is dropped.
   */
  replyError(from: From, error: Error): void {
    this.binding().replyError(from, error);
  }

  /**
   * Watches another process: when it stops or crashes (or at once, with reason `'noproc'`, if no
   * process has that name) this process gets the info message `{ type: 'DOWN', name, reason, ref }`.
   * A monitor fires once; monitors end with the incarnation that made them.
   */
  monitor(name: string): MonitorRef {
    return this.binding().monitor(name);
  }

  /** Removes a monitor; false if it already fired or was removed. */
  demonitor(ref: MonitorRef): boolean {
    return this.binding().demonitor(ref);
  }

  /**
   * Asks for a checkpoint: taken as soon as the current handler returns (a checkpoint never holds a
   * half-changed state), or at once outside a handler. For the `'manual'` policy; a failed write
   * crashes the process. To answer a call only once it is stored, use `durableReplies`.
   */
  checkpoint(): void {
    this.binding().checkpoint();
  }

  /**
   * Ends this incarnation once the current handler returns (at once outside a handler), with
   * `terminate(reason)`; the supervisor then applies the child's restart type: `'normal'` is
   * restarted only for `permanent` children, a crash reason for `permanent` and `transient` ones.
   * `null` and `undefined` mean `'normal'`.
   */
  stop(reason: ExitReason | null = 'normal'): void {
    this.binding().exit(reason);
  }

  private binding(): ProcessBinding {
    const binding = this[PROCESS_BINDING];
    if (!binding) throw new GenServerError(messages.notRunningInProcess(this.constructor.name));
    return binding;
  }
}
