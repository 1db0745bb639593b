import { Inject, Injectable, Logger } from '@nestjs/common';
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_DRAIN_BUDGET } from '../genserver.constants.js';
import { GENSERVER_OPTIONS } from '../genserver-module.definition.js';
import type { GenServerType } from '../discovery/genserver-type.js';
import { AlreadyStartedError } from '../errors/already-started.error.js';
import { CallCycleError } from '../errors/call-cycle.error.js';
import { GenServerError } from '../errors/genserver.error.js';
import { InvalidPayloadError } from '../errors/invalid-payload.error.js';
import { messages } from '../errors/messages.js';
import { ProcessStoppedError } from '../errors/process-stopped.error.js';
import { UnknownTypeError } from '../errors/unknown-type.error.js';
import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import { describeReason, type ExitReason } from '../process/exit-reason.js';
import type { MonitorRef } from '../process/monitor-ref.js';
import type { From } from '../process/from.js';
import type { GenServerProcess } from '../process/gen-server-process.js';
import { ProcessCell } from '../process/process-cell.js';
import type { ProcessHost } from '../process/process-host.js';
import { messageTypeOf, type Envelope, type MessageKind } from './envelope.js';
import { GenServerEvents, type GenServerEvent } from './genserver-events.js';
import { LocalRouter } from './local-router.js';
import { PendingCalls } from './pending-calls.js';
import { describeNonPlainData } from './plain-data.js';
import { ProcessRegistry } from './process-registry.js';
import type { Router } from './router.js';
import { MonitorTable } from './monitor-table.js';
import { Telemetry } from '../telemetry/telemetry.js';
import type { TraceCarrier } from '../telemetry/trace-carrier.js';
import type { RestartType } from '../supervisor/supervision.interfaces.js';
import type { CheckpointPolicy, StateStore } from '../state/state-store.interface.js';

const RESOLVED: Promise<void> = Promise.resolve();
const DEFAULT_SHUTDOWN_MS = 5000;

/** What a child spec or `start` call sets for one process. */
export interface CellOverrides {
  args?: unknown;
  restart?: RestartType;
  maxMailbox?: number;
  shutdownMs?: number;
  handlerTimeoutMs?: number;
  /** The store (the tree works out which spec applies), built on first use. */
  store?: Promise<StateStore> | null;
  checkpoint?: CheckpointPolicy;
  durableReplies?: boolean;
  deleteStateOnStop?: boolean;
}

/**
 * @internal The engine behind `GenServerRuntime`: builds envelopes, routes them, keeps pending
 * calls, and owns the registry of types and processes.
 */
@Injectable()
export class GenServerKernel implements ProcessHost {
  readonly registry = new ProcessRegistry();
  readonly calls = new PendingCalls();
  readonly drainBudget: number;
  private readonly router: Router;
  private readonly typesByClass = new Map<Function, GenServerType>();
  private readonly typesByName = new Map<string, GenServerType>();
  private readonly typesByClassName = new Map<string, GenServerType>();
  private readonly callTimeout: number;
  private readonly checkPayloads: boolean;
  private nextMessageId = 1;
  readonly telemetry = new Telemetry({
    mailboxes: () => this.registry.mailboxes(),
    liveProcesses: () => this.registry.size,
  });
  private readonly monitors = new MonitorTable((watcher, payload) => {
    const { envelope, refused } = this.info(watcher, payload);
    if (!refused) return;
    this.telemetry.deadLetter(refused.name);
    this.emit({ type: 'dead-letter', name: watcher, at: Date.now(), reason: refused.name, envelope });
  });

  constructor(
    @Inject(GENSERVER_OPTIONS) private readonly options: GenServerModuleOptions,
    readonly events: GenServerEvents,
  ) {
    this.callTimeout = checkMs('callTimeout', options.callTimeout ?? DEFAULT_CALL_TIMEOUT_MS);
    this.drainBudget = checkCount('drainBudget', options.drainBudget ?? DEFAULT_DRAIN_BUDGET, 1);
    this.checkPayloads = options.checkPayloads ?? true;
    this.router = new LocalRouter(this.registry, this.calls);
  }

  registerType(type: GenServerType): void {
    this.typesByClass.set(type.cls, type);
    this.typesByName.set(type.typeName, type);
    this.typesByClassName.set(type.cls.name, type);
  }

  /** A `@GenServer` class, or a name: its declared type name, else its class name. */
  resolveType(type: Function | string): GenServerType {
    const found =
      typeof type === 'string'
        ? (this.typesByName.get(type) ?? this.typesByClassName.get(type))
        : this.typesByClass.get(type);
    if (!found) throw new UnknownTypeError(typeof type === 'string' ? type : type.name, [...this.typesByName.keys()]);
    return found;
  }

  /**
   * Creates and registers the cell of a process (not started yet: messages sent to it queue).
   * Options the caller leaves out come from the `@GenServer` options, then the module's defaults.
   */
  createCell(name: string, type: GenServerType, overrides: CellOverrides): ProcessCell {
    if (typeof name !== 'string' || name.length === 0) throw new GenServerError(messages.invalidName(name));
    if (this.registry.has(name)) throw new AlreadyStartedError(name);
    const defaults = type.options;
    const cell = new ProcessCell(
      name,
      type,
      overrides.args,
      {
        restart: overrides.restart ?? defaults.restart ?? 'permanent',
        maxMailbox: checkCount('maxMailbox', overrides.maxMailbox ?? defaults.maxMailbox ?? this.options.maxMailbox ?? Infinity, 1),
        shutdownMs: checkMs('shutdownMs', overrides.shutdownMs ?? defaults.shutdownMs ?? DEFAULT_SHUTDOWN_MS),
        handlerTimeoutMs: optionalMs('handlerTimeoutMs', overrides.handlerTimeoutMs ?? defaults.handlerTimeoutMs),
        store: overrides.store ?? null,
        checkpoint: overrides.checkpoint ?? defaults.checkpoint ?? 'every-message',
        durableReplies: overrides.durableReplies ?? defaults.durableReplies ?? false,
        deleteStateOnStop: overrides.deleteStateOnStop ?? defaults.deleteStateOnStop ?? false,
      },
      this,
    );
    this.registry.add(cell);
    return cell;
  }

  /** Stops the deadline timers; calls still waiting get `ProcessStoppedError`. */
  /** Looks for a registered OpenTelemetry SDK now and every second after. */
  startTelemetry(): void {
    if (this.options.telemetry !== false) this.telemetry.start();
  }

  closeCalls(): void {
    this.telemetry.stop();
    this.calls.close((call) => new ProcessStoppedError(call.to, 'shutdown'));
  }

  call<R>(to: string, payload: unknown, timeoutMs: number | undefined, chain: readonly string[] | undefined): Promise<R> {
    if (chain !== undefined && chain.includes(to)) return Promise.reject(new CallCycleError([...chain, to]));
    const timeout = timeoutMs ?? this.callTimeout;
    if (!(timeout >= 0)) return Promise.reject(new GenServerError(messages.invalidTimeout('call timeout', timeoutMs)));
    const type = messageTypeOf(payload);
    const invalid = this.checkData(to, 'payload', type, payload);
    if (invalid) return Promise.reject(invalid);
    const call = this.calls.create(to, chain === undefined ? null : chain[chain.length - 1]!, timeout);
    const refused = this.router.route(
      this.envelope('call', to, call, type, payload, timeout === Infinity ? undefined : call.deadline, chain, this.traceCarrier()),
    );
    if (refused) return Promise.reject(refused);
    this.calls.track(call);
    return call.promise as Promise<R>;
  }

  cast(to: string, payload: unknown): Promise<void> {
    const type = messageTypeOf(payload);
    const invalid = this.checkData(to, 'payload', type, payload);
    if (invalid) return Promise.reject(invalid);
    const refused = this.router.route(this.envelope('cast', to, null, type, payload, undefined, undefined, this.traceCarrier()));
    return refused ? Promise.reject(refused) : RESOLVED;
  }

  info(to: string, payload: unknown, trace?: TraceCarrier): { envelope: Envelope; refused: GenServerError | undefined } {
    const envelope = this.envelope('info', to, null, messageTypeOf(payload), payload, undefined, undefined, trace);
    return { envelope, refused: this.router.route(envelope) };
  }

  reply(from: From, value: unknown, messageType: string | undefined): void {
    const invalid = this.checkData(this.calls.targetOf(from) ?? '?', 'reply', messageType, value);
    if (invalid) {
      Logger.warn(invalid.message, 'GenServer');
      this.router.settle(from, false, invalid);
    } else {
      this.router.settle(from, true, value);
    }
  }

  fail(from: From, error: unknown): void {
    this.router.settle(from, false, error);
  }

  defer(from: From, owner: string): void {
    this.calls.defer(from, owner);
  }

  failDeferred(owner: string, error: unknown): void {
    this.calls.failDeferred(owner, error);
  }

  instantiate(type: GenServerType): Promise<GenServerProcess> {
    return type.moduleRef.create(type.cls as new () => GenServerProcess);
  }

  emit(event: GenServerEvent): void {
    this.events.emit(event);
  }

  monitor(watcher: string, watched: string): MonitorRef {
    return this.monitors.add(watcher, watched, this.registry.has(watched));
  }

  demonitor(watcher: string, ref: MonitorRef): boolean {
    return this.monitors.remove(watcher, ref);
  }

  down(name: string, reason: ExitReason): void {
    this.monitors.down(name, describeReason(reason));
  }

  release(name: string): void {
    this.registry.delete(name);
  }

  /** The sender's trace context, when an SDK is registered (a boolean test otherwise). */
  private traceCarrier(): TraceCarrier | undefined {
    return this.telemetry.tracing ? this.telemetry.carrier() : undefined;
  }

  private envelope(
    kind: MessageKind,
    to: string,
    from: From | null,
    type: string | undefined,
    payload: unknown,
    deadline: number | undefined,
    chain: readonly string[] | undefined,
    trace: TraceCarrier | undefined,
  ): Envelope {
    return { id: this.nextMessageId++, kind, to, from, type, payload, deadline, chain, trace };
  }

  private checkData(to: string, what: 'payload' | 'reply', type: string | undefined, value: unknown): InvalidPayloadError | undefined {
    if (!this.checkPayloads) return undefined;
    const found = describeNonPlainData(value);
    return found === undefined ? undefined : new InvalidPayloadError(to, what, type, found);
  }
}

function checkMs(what: string, value: number): number {
  if (typeof value !== 'number' || !(value >= 0)) throw new GenServerError(messages.invalidTimeout(what, value));
  return value;
}

function optionalMs(what: string, value: number | undefined): number | undefined {
  return value === undefined ? undefined : checkMs(what, value);
}

function checkCount(what: string, value: number, min: number): number {
  if (typeof value !== 'number' || !(value >= min) || (value !== Infinity && !Number.isInteger(value))) {
    throw new GenServerError(messages.invalidCount(what, value, min));
  }
  return value;
}
