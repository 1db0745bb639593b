import { Inject, Injectable, Logger } from '@nestjs/common';
import { DEFAULT_MAX_RESTARTS, DEFAULT_RESTART_WINDOW_MS } from '../genserver.constants.js';
import { GENSERVER_OPTIONS } from '../genserver-module.definition.js';
import type { GenServerType } from '../discovery/genserver-type.js';
import { AlreadyStartedError } from '../errors/already-started.error.js';
import { GenServerError } from '../errors/genserver.error.js';
import { messages } from '../errors/messages.js';
import { NoSuchProcessError } from '../errors/no-such-process.error.js';
import { NoSuchSupervisorError } from '../errors/no-such-supervisor.error.js';
import { NoSuchNodeError } from '../errors/no-such-node.error.js';
import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import type { StartOptions } from '../interfaces/process-info.interface.js';
import { describeReason, type ExitReason } from '../process/exit-reason.js';
import type { ProcessCell } from '../process/process-cell.js';
import type { GenServerEvent } from '../process/process-events.js';
import { GenServerKernel } from './genserver.kernel.js';
import { systemClock, type Clock } from '../supervisor/restart-intensity.js';
import type { Scheduler } from '../common/scheduler.js';
import { DEFAULT_WORKER_LIMITS, workerEntry } from '../isolation/isolated-type.js';
import { WarmPool } from '../isolation/warm-pool.js';
import { SupervisorNode, type SupervisorHost } from '../supervisor/supervisor-node.js';
import { SpecReader } from '../supervisor/spec-reader.js';
import type { ChildSpec, ProcessChildSpec, SupervisorSpec, TreeNode } from '../interfaces/supervision.interface.js';
import { TopologyError, type TopologyProblem } from '../errors/topology.error.js';
import { UnknownTypeError } from '../errors/unknown-type.error.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { SupervisorUnavailableError } from '../errors/supervisor-unavailable.error.js';
import { checkProcessName } from './process-name.js';
import { checkTopologyAtBoot, typeLocationOf } from '../topology/topology-source.js';

import { StateStores } from '../state/state-stores.js';
import type { StateStore, StateStoreSpec } from '../interfaces/state-store.interface.js';

type TypeProblems = (TopologyProblem & { source: string })[];

/**
 * The live supervision tree: built from the module's `supervision` spec (plus the named
 * `@GenServer` providers it does not place) when the app boots, grown by `runtime.start`, and
 * torn down, newest first, when the app closes.
 */
@Injectable()
export class SupervisionTree implements SupervisorHost {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  private root: SupervisorNode | null = null;
  private readonly supervisors = new Map<string, SupervisorNode>();
  /** Warm workers of the dynamic supervisors that keep some (`warm: N`), by supervisor name. */
  private readonly pools = new Map<string, WarmPool>();
  private readonly closing: Promise<void>[] = [];
  private readonly reader: SpecReader;

  constructor(
    @Inject(GENSERVER_OPTIONS) private readonly options: GenServerModuleOptions,
    private readonly kernel: GenServerKernel,
    private readonly stores: StateStores,
  ) {
    this.clock = options.clock ?? systemClock;
    this.scheduler = kernel.scheduler;
    this.reader = new SpecReader();
    kernel.tree = { start: (type, options) => this.startProcess(type, options), stop: (name, reason) => this.stopHere(name, reason) };
  }

  /** The tree's spec: the module's `supervision`, or a `one_for_one` root named `root`. */
  private spec(): SupervisorSpec {
    return this.options.supervision ?? {
      name: 'root',
      strategy: 'one_for_one',
      maxRestarts: this.options.maxRestarts ?? DEFAULT_MAX_RESTARTS,
      withinMs: this.options.withinMs ?? DEFAULT_RESTART_WINDOW_MS,
    };
  }

  /**
   * A topology with problems reports them here, with its unknown types, before anything is built
   * (and before the node joins a cluster).
   */
  check(): void {
    checkTopologyAtBoot(this.options, (type) => this.kernel.resolveType(type));
    this.reader.checkShape(this.spec(), 'supervision');
    this.reader.stateStore(this.options.stateStore, 'stateStore');
  }

  /** The type the spec declares for the process `name` (anywhere in the tree), if it is there and resolves. */
  declaredType(name: string): GenServerType | undefined {
    const visit = (children: readonly ChildSpec[] | undefined): GenServerType | undefined => {
      for (const child of children ?? []) {
        if ('supervisor' in child) {
          const found = visit(child.supervisor.children);
          if (found) return found;
        } else if (!('type' in child)) {
          const found = visit(child.children);
          if (found) return found;
        } else if (child.type !== 'dynamic_supervisor' && child.name === name) {
          try {
            return this.kernel.resolveType(child.type);
          } catch {
            return undefined; // an unknown type is the topology check's to report
          }
        }
      }
      return undefined;
    };
    return visit(this.spec().children);
  }

  /** Builds the tree and starts it (after `check`); on failure nothing is left running. */
  async boot(named: readonly GenServerType[]): Promise<void> {
    const spec = this.spec();
    const placed = new Set<string>();
    const typeProblems: (TopologyProblem & { source: string })[] = [];
    this.root = this.buildSupervisor(spec, 'supervision', placed, typeProblems);
    if (typeProblems.length > 0) throw new TopologyError(typeProblems[0]!.source, typeProblems.map(({ source: _, ...problem }) => problem));
    for (const type of named) {
      const name = type.options.name as string;
      if (!placed.has(name)) this.root.add(this.kernel.createCell(name, type, { store: this.storeFor(this.root.inheritedStore, type), standby: true }));
    }
    await this.root.start();
  }

  /** Stops everything, newest first. */
  async shutdown(reason: ExitReason): Promise<void> {
    if (this.root) await this.root.stop(reason);
  }

  /** Starts a process at run time (`runtime.start`); rejects, never throws, when it cannot. */
  startProcess(type: unknown, given: StartOptions): Promise<void> {
    let supervisor: SupervisorNode;
    let cell: ProcessCell;
    let options: StartOptions;
    try {
      options = this.reader.startOptions(given, 'start options');
      checkProcessName(options.name);
      const resolved = this.kernel.resolveType(type);
      const placed = this.placement(options.node);
      if (placed !== undefined) {
        const { node: _, ...rest } = options;
        return this.kernel.cluster!.startOn(placed, resolved.typeName, rest);
      }
      supervisor = this.supervisorFor(options.supervisor);
      if (this.supervisors.has(options.name)) throw new AlreadyStartedError(options.name);
      supervisor.ensureRoom();
      // Filled in place: spreading these options into a new object cost more than the rest of a start.
      const overrides = this.reader.processOptions(options, 'start options');
      overrides.store = this.storeFor(options.stateStore ?? supervisor.inheritedStore, resolved);
      overrides.restart ??= resolved.options.restart ?? (supervisor.isDynamic ? 'transient' : 'permanent');
      overrides.warmPool = this.pools.get(supervisor.name);
      cell = this.kernel.createCell(options.name, resolved, overrides);
    } catch (error) {
      return Promise.reject(error);
    }
    const started = supervisor.startChild(cell);
    const cluster = this.kernel.cluster;
    if (cluster === null || !cell.clustered || cell.restartType === 'temporary') return started;
    // Brought back on another node if this one is lost: its spec is stored before `start` resolves.
    const { node: _, ...spec } = options;
    return started.then(() => cluster.remember(cell.name, { type: cell.type.typeName, options: { ...spec, supervisor: supervisor.name } }));
  }

  /**
   * The node a start goes to when it is not this one: `'any'` is the least loaded live node, a name
   * must be a live node; `undefined` to start here.
   */
  private placement(node: string | undefined): string | undefined {
    if (node === undefined) return undefined;
    const cluster = this.kernel.cluster;
    if (cluster === null) throw new NoSuchNodeError(node, []);
    const target = node === 'any' ? cluster.leastLoaded() : node;
    if (target === cluster.self) return undefined;
    if (!cluster.isLive(target)) throw new NoSuchNodeError(target, cluster.nodes().map((info) => info.node));
    return target;
  }

  /**
   * Stops a process, or a supervisor with its subtree, for good. In a cluster, a cluster-wide
   * process another node runs is stopped there (and its standbys here and elsewhere stand down).
   */
  async stop(name: unknown, reason: ExitReason): Promise<void> {
    checkProcessName(name);
    const cluster = this.kernel.cluster;
    const cell = this.kernel.lookup(name);
    if (cluster !== null && (cell === undefined || (cell.clustered && !cell.servesHere))) {
      const owner = cluster.whereis(name);
      if (owner !== undefined && owner.node !== cluster.self) return cluster.stopOn(owner.node, name, reason);
    }
    return this.stopHere(name, reason);
  }

  private async stopHere(name: string, reason: ExitReason): Promise<void> {
    const cell = this.kernel.lookup(name);
    if (cell) return cell.stop(reason);
    const supervisor = this.supervisors.get(name);
    if (supervisor) return supervisor.stop(reason);
    throw new NoSuchProcessError(name);
  }

  tree(): TreeNode | undefined {
    // One clock read for every process's uptime: at 10 000 processes the reads were a quarter of the walk.
    return this.root?.tree(this.kernel.scheduler.now());
  }

  emit(event: GenServerEvent): void {
    this.kernel.emit(event);
  }

  async rootFailed(root: SupervisorNode, reason: ExitReason): Promise<void> {
    await root.remove('shutdown');
    const text = messages.rootFailed(root.name, describeReason(reason));
    this.kernel.emit({ type: 'fatal', name: root.name, at: this.scheduler.now(), reason });
    if ((this.options.onRootFailure ?? 'shutdown') === 'keep') {
      Logger.error(text, undefined, 'GenServer');
      return;
    }
    Logger.error(`${text}; shutting the application down`, undefined, 'GenServer');
    // Nest has no handle on the app to close from here: SIGTERM runs its shutdown hooks if they
    // are enabled, and ends the process (non-zero) if they are not.
    process.exitCode = 1;
    process.kill(process.pid, 'SIGTERM');
  }

  releaseSupervisor(name: string): void {
    this.supervisors.delete(name);
    const pool = this.pools.get(name);
    this.pools.delete(name);
    if (pool) this.closing.push(pool.close());
  }

  /**
   * The store of a process: its own or its subtree's spec, else its class's, else the module's.
   * Built on first use; a store that cannot be built fails the start of the processes using it.
   */
  private storeFor(spec: StateStoreSpec | undefined, type: GenServerType): Promise<StateStore> | null {
    const chosen = spec ?? type.options.stateStore ?? this.options.stateStore;
    if (chosen === undefined) return null;
    const store = this.stores.resolve(chosen);
    store.catch(() => undefined); // the process that awaits it reports the failure
    return store;
  }

  /** Closes the stores the runtime built and the warm workers (after every process has stopped). */
  async closeStores(): Promise<void> {
    for (const name of [...this.pools.keys()]) this.releaseSupervisor(name);
    await Promise.all(this.closing.splice(0));
    await this.stores.closeAll();
  }

  private supervisorFor(name: string | undefined): SupervisorNode {
    if (name !== undefined && typeof name !== 'string') throw new InvalidOptionError('supervisor', name, 'the name of a supervisor');
    const supervisor = name === undefined ? this.root : this.supervisors.get(name);
    if (!supervisor) throw new NoSuchSupervisorError(name ?? 'root', [...this.supervisors.keys()]);
    // A supervisor that is stopping, restarting or has given up takes no new children.
    if (!supervisor.acceptsChildren) throw new SupervisorUnavailableError(supervisor.name, supervisor.status);
    return supervisor;
  }

  private buildSupervisor(spec: SupervisorSpec, path: string, placed: Set<string>, typeProblems: TypeProblems, inherited?: StateStoreSpec): SupervisorNode {
    const node = new SupervisorNode(this.reader.supervisor(spec, path), this);
    node.inheritedStore = spec.stateStore ?? inherited;
    this.register(node, path);
    (spec.children ?? []).forEach((child, index) => {
      const built = this.buildChild(child, `${path}.children[${index}]`, placed, typeProblems, node.inheritedStore);
      if (built) node.add(built);
    });
    return node;
  }

  private buildChild(child: ChildSpec, path: string, placed: Set<string>, typeProblems: TypeProblems, inherited: StateStoreSpec | undefined): SupervisorNode | ProcessCell | undefined {
    const form = this.reader.childForm(child, path);
    switch (form.kind) {
      case 'supervisor':
        return this.buildSupervisor(form.spec, form.path, placed, typeProblems, inherited);
      case 'dynamic_supervisor': {
        const resolved = this.reader.dynamicSupervisor(form.spec, path);
        const node = new SupervisorNode(resolved, this);
        node.inheritedStore = form.spec.stateStore ?? inherited;
        this.register(node, path);
        if ((resolved.warm ?? 0) > 0) this.pools.set(resolved.name, new WarmPool(resolved.warm!, workerEntry(), DEFAULT_WORKER_LIMITS));
        return node;
      }
      case 'process': {
        const type = this.resolveChildType(form.spec, typeProblems);
        if (!type) return undefined;
        if (this.supervisors.has(form.spec.name) || this.kernel.lookup(form.spec.name) !== undefined) {
          throw new GenServerError(messages.invalidSupervision(path, `the name "${form.spec.name}" is used twice`));
        }
        placed.add(form.spec.name);
        const overrides = this.reader.processOptions(form.spec, path);
        overrides.store = this.storeFor(form.spec.stateStore ?? inherited, type);
        return this.kernel.createCell(form.spec.name, type, { ...overrides, standby: true });
      }
    }
  }

  /**
   * A type written in a topology that no `@GenServer` provider answers to is reported with its
   * line, together with every other one; a type given in code fails at once.
   */
  private resolveChildType(spec: ProcessChildSpec, typeProblems: TypeProblems): GenServerType | undefined {
    try {
      return this.kernel.resolveType(spec.type);
    } catch (error) {
      const location = typeLocationOf(spec);
      if (!(error instanceof UnknownTypeError) || !location) throw error;
      const { source, path, line, column } = location;
      typeProblems.push({ source, path, line, column, message: `${error.message} (types resolve only to @GenServer providers of this app, never to import paths)` });
      return undefined;
    }
  }

  private register(node: SupervisorNode, path: string): void {
    if (this.supervisors.has(node.name) || this.kernel.lookup(node.name) !== undefined) {
      throw new GenServerError(messages.invalidSupervision(path, `the name "${node.name}" is used twice`));
    }
    this.supervisors.set(node.name, node);
  }
}
