import type { GenServerType } from '../discovery/genserver-type.js';
import type { CallOptions, ExitReason } from '../genserver.types.js';
import type { Envelope } from '../runtime/envelope.js';
import type { GenServerEvent } from '../runtime/genserver-events.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { TraceCarrier } from '../telemetry/trace-carrier.js';
import type { From } from './from.js';
import type { GenServerProcess } from './gen-server-process.js';
import type { MonitorRef } from './monitor-ref.js';

/** Who makes a call from inside a process: what cycle detection needs to know about the caller. */
export interface Caller {
  readonly name: string;
  /** The caller's incarnation; once it has ended, the caller no longer waits on anything. */
  readonly waiter: { readonly revoked: boolean };
  /** The call the caller is handling, if it is handling one: its caller waits on it in turn. */
  readonly handling: From | null;
}

/** Where a process's messages to the world go: sends, replies and failures of calls. */
export interface Outbox {
  call<R>(to: string, payload: unknown, options: CallOptions | undefined, caller: Caller): Promise<R>;
  cast(to: string, payload: unknown): Promise<void>;
  /**
   * An info message to a process (a timer firing), tagged with the incarnation it belongs to: a
   * later incarnation drops it as stale. A refused one is published as a dead letter.
   */
  info(to: string, payload: unknown, incarnation: number, trace?: TraceCarrier): void;
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
  /** Builds a fresh instance of the type through Nest: at once, or a promise of it. */
  instantiate(type: GenServerType): GenServerProcess | Promise<GenServerProcess>;
  emit(event: GenServerEvent): void;
  /** Forgets a process that has stopped. */
  release(name: string): void;
}
