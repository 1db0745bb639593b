import type { CallOptions, ExitReason } from '../interfaces/genserver.types.js';
import type { Envelope } from './envelope.js';
import type { GenServerEvent } from './process-events.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { TraceCarrier } from '../telemetry/trace-carrier.js';
import type { From } from './from.js';
import type { MonitorRef } from './monitor-ref.js';
import type { Scheduler } from '../common/scheduler.js';
import type { FaultHooks } from '../common/fault-hooks.js';
import type { Profiler } from './process-profile.js';

/**
 * A process that may be blocked on a call it made: it is, while it still runs the handler of the
 * message it was handling when it made the call (a handler that fired a call and returned, or an
 * incarnation that has ended, waits on nothing).
 */
export interface Waiter {
  /** The message whose handler runs now; `null` between handlers or once the incarnation has ended. */
  current(): Envelope | null;
}

/** Who makes a call from inside a process: what cycle detection needs to know about the caller. */
export interface Caller {
  readonly name: string;
  readonly waiter: Waiter;
}

/** Where a process's messages to the world go: sends, replies and failures of calls. */
export interface Outbox {
  call<R>(to: string, payload: unknown, options: CallOptions | undefined, caller: Caller): Promise<R>;
  cast(to: string, payload: unknown): Promise<void>;
  /**
   * An info message to a process (a timer firing), tagged with the incarnation it belongs to, if
   * any: a later incarnation drops it as stale. A refused one is published as a dead letter.
   */
  info(to: string, payload: unknown, incarnation: number | undefined, trace?: TraceCarrier): void;
  /** Answers a call; a reply that is not plain data fails the call with `InvalidPayloadError` instead. */
  reply(from: From, value: unknown, messageType: string | undefined): void;
  fail(from: From, error: unknown): void;
  /** The call is answered later; `owed` is the set of calls its incarnation still owes an answer. */
  defer(from: From, owed: Set<From>): void;
  /** Publishes a message no handler took (crashed, unhandled, stopped, stale…) as a dead letter. */
  deadLetter(envelope: Envelope, reason: string): void;
}

/** Monitors of and by processes; a DOWN message carries the watcher's incarnation. */
export interface MonitorRegistry {
  monitor(watcher: string, incarnation: number, watched: string): MonitorRef;
  demonitor(watcher: string, ref: MonitorRef): boolean;
  /** An incarnation of `name` ended: DOWN to its monitors; the monitors it held end too. */
  down(name: string, reason: ExitReason): void;
}

/** What a process cell needs from the runtime around it: two ports and a few services. */
export interface ProcessPorts {
  readonly outbox: Outbox;
  readonly monitors: MonitorRegistry;
  readonly telemetry: Telemetry;
  readonly drainBudget: number;
  /** Time and timers: Node's, or the module `clock`'s. */
  readonly scheduler: Scheduler;
  /** The testing kit's fault hooks; `null` outside tests. */
  readonly faults: FaultHooks | null;
  /** In a cluster: this node's name (status and tree show it). */
  readonly node: string | undefined;
  /** While the runtime is profiled (a dashboard page is open): what times handlers and stamps arrivals. */
  readonly profiler: Profiler | null;
  emit(event: GenServerEvent): void;
  /** Forgets a process that has stopped. */
  release(name: string): void;
}
