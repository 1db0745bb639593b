import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_DRAIN_BUDGET,
  DEFAULT_MAX_RESTARTS,
  DEFAULT_RESTART_WINDOW_MS,
} from '../genserver.constants.js';
import { GENSERVER_MODULE_OPTIONS } from '../genserver-module.definition.js';
import type { GenServerType } from '../discovery/genserver-type.js';
import { AlreadyStartedError } from '../errors/already-started.error.js';
import { CallCycleError } from '../errors/call-cycle.error.js';
import { GenServerError } from '../errors/genserver.error.js';
import { InvalidPayloadError } from '../errors/invalid-payload.error.js';
import { messages } from '../errors/messages.js';
import { NoSuchProcessError } from '../errors/no-such-process.error.js';
import { ProcessStoppedError } from '../errors/process-stopped.error.js';
import { UnknownTypeError } from '../errors/unknown-type.error.js';
import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import type { StartOptions } from '../interfaces/process-info.interface.js';
import type { ExitReason } from '../process/exit-reason.js';
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

const RESOLVED: Promise<void> = Promise.resolve();

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
  private readonly callTimeout: number;
  private readonly checkPayloads: boolean;
  private nextMessageId = 1;

  constructor(
    @Inject(GENSERVER_MODULE_OPTIONS) private readonly options: GenServerModuleOptions,
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
  }

  resolveType(type: Function | string): GenServerType {
    const found = typeof type === 'string' ? this.typesByName.get(type) : this.typesByClass.get(type);
    if (!found) throw new UnknownTypeError(typeof type === 'string' ? type : type.name, [...this.typesByName.keys()]);
    return found;
  }

  async start(type: Function | string, options: StartOptions): Promise<void> {
    const resolved = this.resolveType(type);
    const name = options?.name;
    if (typeof name !== 'string' || name.length === 0) throw new GenServerError(messages.invalidName(name));
    if (this.registry.has(name)) throw new AlreadyStartedError(name);
    const defaults = resolved.options;
    const cell = new ProcessCell(
      name,
      resolved,
      options.args,
      {
        maxMailbox: checkCount('maxMailbox', options.maxMailbox ?? defaults.maxMailbox ?? this.options.maxMailbox ?? Infinity, 1),
        maxRestarts: checkCount('maxRestarts', options.maxRestarts ?? defaults.maxRestarts ?? this.options.maxRestarts ?? DEFAULT_MAX_RESTARTS, 0),
        withinMs: checkMs('withinMs', options.withinMs ?? defaults.withinMs ?? this.options.withinMs ?? DEFAULT_RESTART_WINDOW_MS),
      },
      this,
    );
    // Registered before init runs, so messages sent meanwhile queue instead of failing.
    this.registry.add(cell);
    await cell.start();
  }

  async stop(name: string, reason: ExitReason = 'normal'): Promise<void> {
    const cell = this.registry.get(name);
    if (!cell) throw new NoSuchProcessError(name);
    await cell.stop(null, reason);
  }

  /** Stops every process, newest first, then fails the calls still waiting. */
  async shutdown(reason: ExitReason): Promise<void> {
    for (const cell of this.registry.newestFirst()) await cell.stop(null, reason);
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
      this.envelope('call', to, call, type, payload, timeout === Infinity ? undefined : call.deadline, chain),
    );
    if (refused) return Promise.reject(refused);
    this.calls.track(call);
    return call.promise as Promise<R>;
  }

  cast(to: string, payload: unknown): Promise<void> {
    const type = messageTypeOf(payload);
    const invalid = this.checkData(to, 'payload', type, payload);
    if (invalid) return Promise.reject(invalid);
    const refused = this.router.route(this.envelope('cast', to, null, type, payload, undefined, undefined));
    return refused ? Promise.reject(refused) : RESOLVED;
  }

  info(to: string, payload: unknown): { envelope: Envelope; refused: GenServerError | undefined } {
    const envelope = this.envelope('info', to, null, messageTypeOf(payload), payload, undefined, undefined);
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

  release(name: string): void {
    this.registry.delete(name);
  }

  private envelope(
    kind: MessageKind,
    to: string,
    from: From | null,
    type: string | undefined,
    payload: unknown,
    deadline: number | undefined,
    chain: readonly string[] | undefined,
  ): Envelope {
    return { id: this.nextMessageId++, kind, to, from, type, payload, deadline, chain, trace: undefined };
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

function checkCount(what: string, value: number, min: number): number {
  if (typeof value !== 'number' || !(value >= min) || (value !== Infinity && !Number.isInteger(value))) {
    throw new GenServerError(messages.invalidCount(what, value, min));
  }
  return value;
}
