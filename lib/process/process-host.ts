import type { GenServerError } from '../errors/genserver.error.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { TraceCarrier } from '../telemetry/trace-carrier.js';
import type { GenServerType } from '../discovery/genserver-type.js';
import type { Envelope } from '../runtime/envelope.js';
import type { GenServerEvent } from '../runtime/genserver-events.js';
import type { GenServerProcess } from './gen-server-process.js';
import type { ExitReason } from './exit-reason.js';
import type { From } from './from.js';
import type { MonitorRef } from './monitor-ref.js';

/** What a process cell needs from the runtime around it. */
export interface ProcessHost {
  readonly drainBudget: number;
  readonly telemetry: Telemetry;
  /** Builds a fresh instance of the type through Nest. */
  instantiate(type: GenServerType): Promise<GenServerProcess>;
  call<R>(to: string, payload: unknown, timeoutMs: number | undefined, chain: readonly string[]): Promise<R>;
  cast(to: string, payload: unknown): Promise<void>;
  /** Sends an info message (a timer firing) through the router; says why it was refused, if it was. */
  info(to: string, payload: unknown, trace?: TraceCarrier): { envelope: Envelope; refused: GenServerError | undefined };
  /** Answers a call. */
  reply(from: From, value: unknown, messageType: string | undefined): void;
  /** Fails a call. */
  fail(from: From, error: unknown): void;
  /** Marks a call as answered later by `owner` (its handler returned `noReply()`). */
  defer(from: From, owner: string): void;
  /** Fails every call `owner` deferred and has not answered (it crashed or stopped). */
  failDeferred(owner: string, error: unknown): void;
  emit(event: GenServerEvent): void;
  /** Makes `watcher` a monitor of `watched`. */
  monitor(watcher: string, watched: string): MonitorRef;
  demonitor(watcher: string, ref: MonitorRef): boolean;
  /** An incarnation of `name` ended: DOWN to its monitors; the monitors it held end too. */
  down(name: string, reason: ExitReason): void;
  /** Forgets a process that has stopped. */
  release(name: string): void;
}
