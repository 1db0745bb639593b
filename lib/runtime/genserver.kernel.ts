import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { checkDuration, isDuration, DURATION_RULE } from '../common/duration.js';
import { isInstance } from '../common/is-instance.js';
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_DRAIN_BUDGET, GENSERVER_FAULTS } from '../genserver.constants.js';
import { GENSERVER_OPTIONS } from '../genserver-module.definition.js';
import type { GenServerType } from '../discovery/genserver-type.js';
import { AlreadyStartedError } from '../errors/already-started.error.js';
import { CallCycleError } from '../errors/call-cycle.error.js';
import { describeCause } from '../errors/describe-value.js';
import { GenServerError } from '../errors/genserver.error.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { InvalidPayloadError } from '../errors/invalid-payload.error.js';
import { messages } from '../errors/messages.js';
import { ProcessStoppedError } from '../errors/process-stopped.error.js';
import { UnknownTypeError } from '../errors/unknown-type.error.js';
import type { CallOptions, ExitReason, MessageKind, RestartType } from '../interfaces/genserver.types.js';
import { NoSuchProcessError } from '../errors/no-such-process.error.js';
import type { StartOptions } from '../interfaces/process-info.interface.js';
import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import type { ProcessScope } from '../interfaces/cluster-options.interface.js';
import type { IsolationOptions, WorkerOptions } from '../interfaces/gen-server-options.interface.js';
import type { From } from '../process/from.js';
import { ProcessCell, type ChildOptions } from '../process/process-cell.js';
import type { Caller, MonitorRegistry, Outbox, ProcessPorts } from '../process/process-ports.js';
import { Profiler } from '../process/process-profile.js';
import type { CheckpointPolicy, StateStore } from '../interfaces/state-store.interface.js';
import { SpecReader } from '../supervisor/spec-reader.js';
import { Telemetry } from '../telemetry/telemetry.js';
import type { TraceCarrier } from '../telemetry/trace-carrier.js';
import { MessageEnvelope, messageTypeOf, type Envelope } from '../process/envelope.js';
import { GenServerEvents, type GenServerEvent } from './genserver-events.js';
import { LocalRouter } from './local-router.js';
import { MonitorTable, type DownMessage } from './monitor-table.js';
import { PendingCalls } from './pending-calls.js';
import { blockedChain } from './call-chain.js';
import { asUnsendable, describeNonPlainData } from './plain-data.js';
import { ProcessGroups } from './process-groups.js';
import { ProcessRegistry } from './process-registry.js';
import type { Router } from './router.js';
import { checkProcessName } from './process-name.js';
import type { ClusterHost, ClusterNode } from '../cluster/cluster-node.js';
import type { ResolvedClusterOptions } from '../cluster/cluster-options.js';
import { natsConnectOptions } from '../cluster/nats-connect-options.js';
import { schedulerOf, type Scheduler } from '../common/scheduler.js';
import type { FaultHooks } from '../common/fault-hooks.js';
import { isolatedType, unprovidedIsolatedType } from '../isolation/isolated-type.js';
import { withAgentOverrides } from '../agents/agent-overrides.js';
import type { AgentOverrides } from '../agents/agent-options.interface.js';
import type { WarmPool } from '../isolation/warm-pool.js';

const RESOLVED: Promise<void> = Promise.resolve();
const CALL_OPTIONS_RULE = 'an object such as { timeout: 5000 }, or nothing (the timeout is not a positional argument)';
const DEFAULT_SHUTDOWN_MS = 5000;
const DEFAULT_INIT_TIMEOUT_MS = 5000;

/** What a child spec or `start` call sets for one process. */
export interface CellOverrides {
  args?: unknown;
  restart?: RestartType;
  maxMailbox?: number;
  shutdownMs?: number;
  handlerTimeoutMs?: number;
  initTimeoutMs?: number;
  /** The store (the tree works out which spec applies), built on first use. */
  store?: Promise<StateStore> | null;
  checkpoint?: CheckpointPolicy;
  durableReplies?: boolean;
  deleteStateOnStop?: boolean;
  /** In a cluster: one activation cluster-wide (default) or one copy per node. */
  scope?: ProcessScope;
  /** A topology child: in a cluster it waits in standby while another node runs its name. */
  standby?: boolean;
  /** Process groups it joins once registered (checked by the spec reader). */
  groups?: readonly string[];
  /** Where its handlers run; the class's option when left out. */
  isolation?: IsolationOptions['isolation'];
  worker?: WorkerOptions;
  workerFile?: string;
  /** The warm workers of its dynamic supervisor, if it keeps any. */
  warmPool?: WarmPool;
  /** An agent's options for this process (see `withAgentOverrides`). */
  agent?: AgentOverrides;
}

/**
 * @internal The engine behind `GenServerRuntime`: builds envelopes, routes them, keeps pending
 * calls, and owns the registry of types and processes. Processes reach it only through the ports
 * it hands them: an outbox and a monitor registry.
 */
@Injectable()
export class GenServerKernel implements ProcessPorts, Outbox, ClusterHost {
  private readonly registry = new ProcessRegistry();
  readonly calls: PendingCalls;
  /** Time and timers of this runtime: Node's, or the module `clock`'s (see `Clock`). */
  readonly scheduler: Scheduler;
  readonly faults: FaultHooks | null;
  /** Process groups of this node; a process leaves them when its name is released. */
  readonly groups = new ProcessGroups((name) => {
    const cell = this.registry.get(name);
    return cell !== undefined && cell.status !== 'stopped';
  });
  readonly drainBudget: number;
  readonly outbox: Outbox = this;
  private readonly monitorTable = new MonitorTable(
    (name) => this.registry.get(name)?.servesHere === true || this.cluster?.whereis(name) !== undefined,
    (watcher, incarnation, message) => {
      const observer = this.observers.get(watcher);
      if (observer === undefined) this.info(watcher, message, incarnation);
      else observer(message);
    },
  );
  /** Watchers that are not processes (`runtime.monitor`), by a key no process name can be. */
  private readonly observers = new Map<string, (down: DownMessage) => void>();
  private observerIds = 0;
  /**
   * Monitors: in a cluster, a monitor of a process another node runs also fires when that process
   * goes down there, or with `noconnection` when its node is lost.
   */
  readonly monitors: MonitorRegistry = {
    monitor: (watcher, incarnation, watched) => {
      // Watched over NATS only when another node runs it (one that runs nowhere is DOWN noproc at once).
      const remote = this.cluster !== null && this.registry.get(watched)?.servesHere !== true && this.cluster.whereis(watched) !== undefined;
      const ref = this.monitorTable.monitor(watcher, incarnation, watched);
      if (remote) this.cluster!.watchRemote(watched);
      return ref;
    },
    demonitor: (watcher, ref) => {
      const removed = this.monitorTable.demonitor(watcher, ref);
      if (removed && this.cluster !== null && !this.monitorTable.isWatched(ref.name)) this.cluster.unwatch(ref.name);
      return removed;
    },
    down: (name, reason) => {
      this.monitorTable.down(name, reason);
      const cell = this.registry.get(name);
      if (this.cluster !== null && cell !== undefined && cell.clustered && cell.holdsName) this.cluster.publishDown(name, reason);
    },
  };
  private router: Router;
  /** This app as a node of a cluster, once it has joined one. */
  cluster: ClusterNode | null = null;
  private readonly typesByClass = new Map<Function, GenServerType>();
  private readonly typesByName = new Map<string, GenServerType>();
  /** Class name → type; `null` when two registered classes share the name (ambiguous). */
  private readonly typesByClassName = new Map<string, GenServerType | null>();
  private readonly reader = new SpecReader();
  /** Per type and restart type: the options shared by its processes that set nothing else. */
  private readonly sharedOptions = new Map<GenServerType, Map<RestartType, ChildOptions>>();
  private readonly callTimeout: number;
  private readonly checkPayloads: boolean;
  private messageIds = 1;
  readonly telemetry = new Telemetry({
    mailboxes: () => this.registry.mailboxes(),
    liveProcesses: () => this.registry.size,
  });

  constructor(
    @Inject(GENSERVER_OPTIONS) private readonly options: GenServerModuleOptions,
    readonly events: GenServerEvents,
    @Optional() @Inject(GENSERVER_FAULTS) faults?: FaultHooks,
  ) {
    this.faults = faults ?? null;
    this.callTimeout = checkDuration('callTimeout', options.callTimeout ?? DEFAULT_CALL_TIMEOUT_MS);
    this.drainBudget = checkCount('drainBudget', options.drainBudget ?? DEFAULT_DRAIN_BUDGET, 1);
    // Module defaults every process may fall back on are checked once, here, not at each start.
    if (options.maxMailbox !== undefined) checkCount('maxMailbox', options.maxMailbox, 1);
    if (options.initTimeoutMs !== undefined) checkDuration('initTimeoutMs', options.initTimeoutMs);
    this.checkPayloads = options.checkPayloads ?? true;
    this.scheduler = schedulerOf(options.clock);
    this.calls = new PendingCalls(this.scheduler);
    this.router = new LocalRouter(this.registry, this.calls);
  }

  /** Registers a `@GenServer` class; two classes answering to one type name are a boot error. */
  registerType(found: GenServerType): void {
    const type: GenServerType = { ...found, options: this.reader.typeOptions(found.options, `@GenServer options of ${found.cls.name}`) };
    const taken = this.typesByName.get(type.typeName);
    if (taken && taken.cls !== type.cls) throw new GenServerError(messages.duplicateTypeName(type.typeName, describeClass(taken), describeClass(type)));
    this.typesByClass.set(type.cls, type);
    this.typesByName.set(type.typeName, type);
    const sameClassName = this.typesByClassName.get(type.cls.name);
    this.typesByClassName.set(type.cls.name, sameClassName === undefined || sameClassName?.cls === type.cls ? type : null);
  }

  /** A `@GenServer` class, or a name: its declared type name, else its class name. */
  resolveType(type: unknown): GenServerType {
    let found: GenServerType | null | undefined;
    if (typeof type === 'string') found = this.typesByName.get(type) ?? this.typesByClassName.get(type);
    else if (typeof type === 'function') found = this.typesByClass.get(type) ?? this.registerUnprovided(type);
    else throw new InvalidOptionError('type', type, 'a @GenServer class or its type name');
    // The library's own types (`genserver.…`, such as the model gateway) are not the app's to name.
    if (!found) throw new UnknownTypeError(typeof type === 'string' ? type : (type as Function).name, [...this.typesByName.keys()].filter((name) => !name.startsWith('genserver.')));
    return found;
  }

  /** An isolated class the app does not provide is registered on first use (see `unprovidedIsolatedType`). */
  private registerUnprovided(cls: Function): GenServerType | undefined {
    const type = unprovidedIsolatedType(cls);
    if (type === undefined) return undefined;
    this.registerType(type);
    return this.typesByClass.get(cls);
  }

  /**
   * Creates and registers the cell of a process (not started yet: messages sent to it queue).
   * Options the caller leaves out come from the `@GenServer` options, then the module's defaults.
   */
  createCell(name: string, type: GenServerType, overrides: CellOverrides): ProcessCell {
    checkProcessName(name);
    if (this.registry.has(name)) throw new AlreadyStartedError(name);
    const clustered = this.cluster !== null && (overrides.scope ?? type.options.scope ?? 'cluster') === 'cluster';
    const activation = clustered ? this.cluster!.activation(name, type.typeName, overrides.standby === true) : null;
    const isolated = (overrides.isolation ?? type.options.isolation) === 'worker';
    const options = this.childOptions(type, overrides);
    const processType = isolated ? isolatedType(type, name, { worker: overrides.worker ?? type.options.worker, workerFile: overrides.workerFile ?? type.options.workerFile, persistent: overrides.store != null, measured: this.measured(options) }, overrides.warmPool) : type;
    const cellType = overrides.agent === undefined ? processType : withAgentOverrides(processType, overrides.agent);
    const cell = new ProcessCell(name, cellType, overrides.args, options, this, activation, overrides.standby === true);
    if (activation !== null) activation.cell = cell;
    this.registry.add(cell);
    for (const group of overrides.groups ?? type.options.groups ?? []) this.groups.join(group, name);
    return cell;
  }

  /** Whether a handler's outcome is wanted as it happens: by a watchdog, spans or metrics. */
  private measured(options: ChildOptions): () => boolean {
    const telemetry = this.telemetry;
    return options.handlerTimeoutMs !== Infinity ? () => true : () => telemetry.tracing || telemetry.metering;
  }

  /** In a cluster: this node's name. */
  get node(): string | undefined {
    return this.cluster?.self;
  }

  /** While profiled (see `GenServerRuntime.startProfiling`): times handlers and stamps arrivals. */
  profiler: Profiler | null = null;
  private profiling = 0;

  /** Profiles every process until the returned function is called; counted, so watchers may overlap. */
  startProfiling(): () => void {
    if (this.profiling++ === 0) this.profiler = new Profiler();
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      if (--this.profiling > 0) return;
      this.profiler?.stop();
      this.profiler = null;
      for (const name of this.registry.names()) this.registry.get(name)?.unprofile();
    };
  }

  /**
   * Joins the cluster (the module's `cluster` option): from then on names this node does not serve
   * are routed over NATS. Loads the NATS client only now.
   */
  async joinCluster(): Promise<void> {
    // Filled in and checked where the module options were read (`readClusterOptions`).
    const cluster = this.options.cluster as ResolvedClusterOptions | undefined;
    if (cluster === undefined) return;
    const { ClusterNode } = await import('../cluster/cluster-node.js');
    const connection = await natsConnectOptions(cluster, `genserver ${cluster.node}`);
    this.cluster = await ClusterNode.join({ node: cluster.node, prefix: cluster.prefix, leaseTtlMs: cluster.leaseTtlMs, maxInFlight: cluster.maxInFlight, connection }, this);
    this.router = this.cluster.router;
  }

  /** Leaves the cluster (after every process has stopped and released its name). */
  async leaveCluster(): Promise<void> {
    const cluster = this.cluster;
    if (cluster === null) return;
    await cluster.close();
    this.router = new LocalRouter(this.registry, this.calls);
  }

  // ---- ClusterHost ----

  /** Set while the app closes: processes stop because this node leaves, not for good. */
  leaving = false;
  /** How a process is started and stopped on this node by another one (set by the supervision tree). */
  tree: { start(type: string, options: StartOptions): Promise<void>; stop(name: string, reason: ExitReason): Promise<void> } | null = null;

  startLocal(type: string, options: StartOptions): Promise<void> {
    return this.tree === null ? Promise.reject(new GenServerError('this node has no supervision tree yet')) : this.tree.start(type, options);
  }

  stopLocal(name: string, reason: ExitReason): Promise<void> {
    return this.tree === null ? Promise.reject(new NoSuchProcessError(name)) : this.tree.stop(name, reason);
  }

  /** A process another node ran went down there (or its node was lost: `noconnection`). */
  remoteDown(name: string, reason: string): void {
    this.monitorTable.down(name, reason);
  }

  // ---- RouterHost ----

  nextMessageId(): number {
    return this.messageIds++;
  }

  get castAckTimeout(): number {
    return this.callTimeout;
  }

  ownerNode(name: string): string | undefined {
    return this.cluster?.whereis(name)?.node;
  }

  /** The process registered under `name`, if any. */
  lookup(name: string): ProcessCell | undefined {
    return this.registry.get(name);
  }

  /** Names of the registered processes, in start order. */
  names(): string[] {
    return this.registry.names();
  }

  /**
   * The options of one process. Every process of a type that sets nothing of its own (but its
   * restart type) gets one shared, frozen object, resolved on the first such start.
   */
  private childOptions(type: GenServerType, overrides: CellOverrides): ChildOptions {
    if (
      overrides.store != null ||
      overrides.maxMailbox !== undefined ||
      overrides.shutdownMs !== undefined ||
      overrides.handlerTimeoutMs !== undefined ||
      overrides.initTimeoutMs !== undefined ||
      overrides.checkpoint !== undefined ||
      overrides.durableReplies !== undefined ||
      overrides.deleteStateOnStop !== undefined
    ) {
      return this.resolveOptions(type, overrides);
    }
    const restart = overrides.restart ?? type.options.restart ?? 'permanent';
    let byRestart = this.sharedOptions.get(type);
    if (byRestart === undefined) this.sharedOptions.set(type, (byRestart = new Map()));
    let shared = byRestart.get(restart);
    if (shared === undefined) byRestart.set(restart, (shared = Object.freeze(this.resolveOptions(type, overrides))));
    return shared;
  }

  /**
   * Options the caller leaves out come from the `@GenServer` options, then the module's defaults.
   * All three were checked already (spec reader, `registerType`, the constructor): none is again here.
   */
  private resolveOptions(type: GenServerType, overrides: CellOverrides): ChildOptions {
    const defaults = type.options;
    return {
      restart: overrides.restart ?? defaults.restart ?? 'permanent',
      maxMailbox: overrides.maxMailbox ?? defaults.maxMailbox ?? this.options.maxMailbox ?? Infinity,
      shutdownMs: overrides.shutdownMs ?? defaults.shutdownMs ?? DEFAULT_SHUTDOWN_MS,
      handlerTimeoutMs: overrides.handlerTimeoutMs ?? defaults.handlerTimeoutMs ?? Infinity,
      initTimeoutMs: overrides.initTimeoutMs ?? defaults.initTimeoutMs ?? this.options.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS,
      store: overrides.store ?? null,
      checkpoint: overrides.checkpoint ?? defaults.checkpoint ?? 'every-message',
      durableReplies: overrides.durableReplies ?? defaults.durableReplies ?? false,
      deleteStateOnStop: overrides.deleteStateOnStop ?? defaults.deleteStateOnStop ?? false,
    };
  }

  /** Looks for a registered OpenTelemetry SDK now and every second after. */
  startTelemetry(): void {
    if (this.options.telemetry !== false) this.telemetry.start();
  }

  /** Stops the deadline timers; calls still waiting get `ProcessStoppedError`. */
  closeCalls(): void {
    this.telemetry.stop();
    this.calls.close((call) => new ProcessStoppedError(call.to, 'shutdown'));
  }

  /** A call; rejects (never throws) with a typed error when it cannot be made. */
  call<R>(to: string, payload: unknown, options: CallOptions | undefined, caller?: Caller): Promise<R> {
    try {
      checkProcessName(to);
      // `call(name, msg, 5000)`, OTP's positional timeout, must not silently fall back to the default.
      if (options !== undefined && (typeof options !== 'object' || options === null)) {
        return Promise.reject(new InvalidOptionError('call options', options, CALL_OPTIONS_RULE));
      }
      const timeout = options?.timeout ?? this.callTimeout;
      if (!isDuration(timeout)) return Promise.reject(new InvalidOptionError('call timeout', timeout, DURATION_RULE));
      if (caller !== undefined) {
        const cycle = callCycle(to, caller);
        if (cycle) return Promise.reject(new CallCycleError(cycle));
      }
      const type = messageTypeOf(payload);
      const invalid = this.checkData(to, 'payload', type, payload);
      if (invalid) return Promise.reject(invalid);
      const call = this.calls.create(to, timeout, caller?.name ?? null, caller?.waiter ?? null, caller?.waiter.current() ?? null);
      const refused = this.router.route(this.envelope('call', to, call, type, payload, timeout === Infinity ? undefined : call.deadline, undefined, this.traceCarrier()));
      if (refused !== undefined && !(refused instanceof Promise)) return Promise.reject(refused);
      this.calls.track(call);
      return call.promise as Promise<R>;
    } catch (error) {
      return Promise.reject(asTypedError(to, error));
    }
  }

  /** A cast; rejects (never throws) when the message is not accepted. */
  cast(to: string, payload: unknown): Promise<void> {
    try {
      checkProcessName(to);
      const type = messageTypeOf(payload);
      const invalid = this.checkData(to, 'payload', type, payload);
      if (invalid) return Promise.reject(invalid);
      const routed = this.router.route(this.envelope('cast', to, null, type, payload, undefined, undefined, this.traceCarrier()));
      return routed === undefined ? RESOLVED : routed instanceof Promise ? routed : Promise.reject(routed);
    } catch (error) {
      return Promise.reject(asTypedError(to, error));
    }
  }

  /**
   * A cast of one payload to every member of `group`: resolves with how many mailboxes accepted
   * it; each refusal is published as a dead letter (reason: the error's name). Rejects only when
   * the group name or the payload is invalid, as `cast` would.
   */
  broadcast(group: string, payload: unknown): Promise<number> {
    try {
      const members = this.groups.members(group);
      const type = messageTypeOf(payload);
      const invalid = this.checkData(group, 'payload', type, payload);
      if (invalid) return Promise.reject(invalid);
      const trace = this.traceCarrier();
      let accepted = 0;
      let waiting: Promise<number>[] | undefined;
      for (const to of members) {
        const envelope = this.envelope('cast', to, null, type, payload, undefined, undefined, trace);
        const routed = this.router.route(envelope);
        if (routed === undefined) accepted++;
        else if (routed instanceof Promise) {
          (waiting ??= []).push(routed.then(() => 1, (refused: unknown) => (this.deadLetter(envelope, errorName(refused)), 0)));
        } else this.deadLetter(envelope, routed.name);
      }
      if (waiting === undefined) return Promise.resolve(accepted);
      return Promise.all(waiting).then((counts) => counts.reduce((sum, n) => sum + n, accepted));
    } catch (error) {
      return Promise.reject(asTypedError(group, error));
    }
  }

  info(to: string, payload: unknown, incarnation: number | undefined, trace?: TraceCarrier): void {
    let envelope: Envelope | undefined;
    try {
      envelope = this.envelope('info', to, null, messageTypeOf(payload), payload, undefined, incarnation, trace);
      const refused = this.router.route(envelope);
      if (refused !== undefined && !(refused instanceof Promise)) this.deadLetter(envelope, refused.name);
    } catch (error) {
      Logger.error(`an info message to "${to}" could not be delivered: ${asTypedError(to, error).message}`, undefined, 'GenServer');
      if (envelope) this.deadLetter(envelope, 'undeliverable');
    }
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

  defer(from: From, owed: Set<From>): void {
    this.calls.defer(from, owed);
  }

  /**
   * Watches `name` from outside any process: `down` gets its DOWN message once (`noproc` at once
   * when nothing runs under that name). Returns how to stop watching.
   */
  watch(name: string, down: (message: DownMessage) => void): () => void {
    const watcher = `\u0000observer:${this.observerIds++}`;
    this.observers.set(watcher, (message) => {
      this.observers.delete(watcher);
      down(message);
    });
    const ref = this.monitors.monitor(watcher, 0, name);
    return () => {
      if (this.observers.delete(watcher)) this.monitors.demonitor(watcher, ref);
    };
  }

  /** A cast refused at its sender with no one to tell (a sink): published as a dead letter. */
  castRefused(to: string, payload: unknown, error: unknown): void {
    const reason = error instanceof GenServerError ? error.name : 'undeliverable';
    Logger.warn(`a cast to "${to}" from a sink was refused: ${describeCause(error)}; published as a dead letter`, 'GenServer');
    let type: string | undefined;
    try {
      type = messageTypeOf(payload);
    } catch {
      type = undefined;
    }
    this.deadLetter(this.envelope('cast', to, null, type, payload, undefined, undefined, undefined), reason);
  }

  deadLetter(envelope: Envelope, reason: string): void {
    this.telemetry.deadLetter(reason);
    this.emit({ type: 'dead-letter', name: envelope.to, at: this.scheduler.now(), reason, envelope });
  }

  emit(event: GenServerEvent): void {
    this.events.emit(event);
  }

  /** The process stopped for good: its name is free and it leaves its groups. */
  release(name: string): void {
    this.registry.delete(name);
    this.groups.forget(name);
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
    incarnation: number | undefined,
    trace: TraceCarrier | undefined,
  ): Envelope {
    return new MessageEnvelope(this.messageIds++, kind, to, from, type, payload, deadline, incarnation, trace);
  }

  private checkData(to: string, what: 'payload' | 'reply', type: string | undefined, value: unknown): InvalidPayloadError | undefined {
    const unsendable = asUnsendable(value);
    if (unsendable !== undefined) return new InvalidPayloadError(to, what, type, unsendable.found);
    if (!this.checkPayloads) return undefined;
    const found = describeNonPlainData(value);
    return found === undefined ? undefined : new InvalidPayloadError(to, what, type, found);
  }
}

/**
 * The processes waiting on each other if `caller` calls `to` now, outermost first, ending with
 * `to` again; `undefined` when there is no cycle (see `blockedChain`, which follows calls across nodes).
 */
function callCycle(to: string, caller: Caller): string[] | undefined {
  const chain = blockedChain(caller.name, caller.waiter.current());
  const at = chain.lastIndexOf(to);
  return at < 0 ? undefined : [...chain.slice(at), to];
}

/** What went wrong on the way in, as a typed error (a value we could not read, say). */
function asTypedError(to: unknown, error: unknown): GenServerError {
  return isInstance(error, GenServerError) ? error : new InvalidPayloadError(typeof to === 'string' ? to : '?', 'payload', undefined, `a value that cannot be read (${describeCause(error)})`);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'undeliverable';
}

function describeClass(type: GenServerType): string {
  return type.moduleName ? `${type.cls.name} (in ${type.moduleName})` : type.cls.name;
}

function checkCount(what: string, value: number, min: number): number {
  if (typeof value !== 'number' || !(value >= min) || (value !== Infinity && !Number.isInteger(value))) {
    throw new InvalidOptionError(what, value, `a whole number >= ${min}`);
  }
  return value;
}
