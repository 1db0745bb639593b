import { Logger } from '@nestjs/common';
import { describeCause, stackOf } from '../errors/describe-value.js';
import { MaxChildrenError } from '../errors/max-children.error.js';
import { crashReason, describeReason, isNormalExit, type ExitReason } from '../process/exit-reason.js';
import { GenServerError } from '../errors/genserver.error.js';
import { isInstance } from '../common/is-instance.js';
import type { GenServerEvent } from '../process/process-events.js';
import { MAX_DURATION_MS } from '../common/duration.js';
import { backoffDelay } from './backoff.js';
import { RestartIntensity, type Clock } from './restart-intensity.js';
import type { Scheduler } from '../common/scheduler.js';
import type { ChildParent, SupervisedChild } from '../process/supervised-child.js';
import type { BackoffSpec, RestartStrategy, RestartType, TreeNode } from '../interfaces/supervision.interface.js';
import type { StateStoreSpec } from '../interfaces/state-store.interface.js';

const RESOLVED: Promise<void> = Promise.resolve();

/** A supervisor spec with every default filled in. */
export interface ResolvedSupervisor {
  readonly name: string;
  readonly kind: 'supervisor' | 'dynamic_supervisor';
  readonly strategy: RestartStrategy;
  readonly maxRestarts: number;
  readonly withinMs: number;
  readonly backoff: BackoffSpec | undefined;
  readonly heartbeatMs: number;
  /** Its own restart type, as a child of its parent. */
  readonly restart: RestartType;
  readonly maxChildren: number;
  /** A dynamic supervisor: workers kept booted for its isolated children. */
  readonly warm?: number;
}

/** What a supervisor needs from the runtime around it. */
export interface SupervisorHost {
  /** Restart windows read this time. */
  readonly clock: Clock;
  /** Backoff waits and heartbeats run on these timers. */
  readonly scheduler: Scheduler;
  emit(event: GenServerEvent): void;
  /** The root gave up: the runtime stops. */
  rootFailed(root: SupervisorNode, reason: ExitReason): Promise<void>;
  /** Forgets a supervisor that is gone. */
  releaseSupervisor(name: string): void;
}

/** Whether a child that exited with `reason` is restarted, by its restart type (OTP's rule). */
export function shouldRestart(type: RestartType, reason: ExitReason): boolean {
  return type === 'permanent' || (type === 'transient' && !isNormalExit(reason));
}

/**
 * A supervisor. It handles its children's exits one at a time, in order (as OTP's supervisor
 * reads EXIT messages from its mailbox): restarts by strategy after the backoff delay, and gives
 * up — shutting its children down, newest first — when restarts exceed its intensity.
 */
export class SupervisorNode implements SupervisedChild, ChildParent {
  status: 'starting' | 'running' | 'restarting' | 'failed' | 'stopping' | 'stopped' = 'starting';
  generation = 0;
  restarts = 0;
  parent: ChildParent | null = null;
  /** In start order; a Set, so that a child stopped from outside leaves in O(1) (a dynamic supervisor may hold 100 000). */
  readonly children = new Set<SupervisedChild>();
  /** Bumped by every `add`: `removeChildren` notices a child added while it works. */
  private added = 0;

  private readonly intensity: RestartIntensity;
  private work: Promise<void> = Promise.resolve();
  /** Bumped whenever it is shut down, restarted or stopped: a restart decision of an older epoch is dropped. */
  private epoch = 0;
  private starting: Promise<void> | null = null;
  private heartbeat: unknown = null;
  private backoff: { timer: unknown; resolve: () => void } | null = null;
  private removing: Promise<void> | null = null;
  /** The store its processes use when they name none: its own, else its parent's (set by the tree). */
  inheritedStore: StateStoreSpec | undefined;

  constructor(
    readonly spec: ResolvedSupervisor,
    private readonly host: SupervisorHost,
  ) {
    this.intensity = new RestartIntensity(spec.maxRestarts, spec.withinMs, host.clock);
  }

  get name(): string {
    return this.spec.name;
  }

  get restartType(): RestartType {
    return this.spec.restart;
  }

  get isDynamic(): boolean {
    return this.spec.kind === 'dynamic_supervisor';
  }

  /** Adds a child to the end of the start order (before `start`, or through `startChild`). */
  add(child: SupervisedChild): void {
    child.parent = this;
    this.children.add(child);
    this.added++;
  }

  /** Starts the children in order. One that cannot start fails the supervisor: the others stop again. */
  async start(): Promise<void> {
    this.generation++;
    this.starting = this.startChildren();
    try {
      await this.starting;
    } finally {
      this.starting = null;
    }
  }

  private async startChildren(): Promise<void> {
    try {
      for (const child of [...this.children]) if (this.children.has(child)) await child.start();
    } catch (error) {
      await this.removeChildren('shutdown');
      this.status = 'stopped';
      throw error;
    }
    this.status = 'running';
    this.startHeartbeat();
  }

  /** Throws `MaxChildrenError` when no child can be added now. */
  ensureRoom(): void {
    if (this.children.size >= this.spec.maxChildren) throw new MaxChildrenError(this.name, this.spec.maxChildren);
  }

  /** Whether children can be added at run time now. */
  get acceptsChildren(): boolean {
    return this.status === 'running' || this.status === 'starting';
  }

  /** Adds and starts a child at run time (`runtime.start`); check `ensureRoom` first. */
  startChild(child: SupervisedChild): Promise<void> {
    this.add(child);
    let started: Promise<void> | undefined;
    try {
      started = child.start();
    } catch (error) {
      started = Promise.reject(error);
    }
    // Up at once (the common case): no await at all.
    return started === undefined ? RESOLVED : started.catch((error: unknown) => this.startFailed(child, error));
  }

  private async startFailed(child: SupervisedChild, error: unknown): Promise<never> {
    this.forget(child);
    await child.remove('shutdown');
    throw error;
  }

  /**
   * Ends its children's incarnations, newest first, and abandons any restart it was in the middle
   * of. A dynamic supervisor's children do not come back.
   */
  async shutdown(reason: ExitReason): Promise<void> {
    this.epoch++;
    if (this.status !== 'stopping' && this.status !== 'stopped') this.status = 'restarting';
    this.stopHeartbeat();
    this.cancelBackoff();
    await this.shutdownChildren(reason);
  }

  /** A fresh start after `shutdown`: a new restart window, children started again in order. */
  async restart(): Promise<void> {
    if (this.status === 'stopping' || this.status === 'stopped') return;
    this.epoch++;
    this.generation++;
    this.restarts++;
    this.intensity.reset();
    this.status = 'running';
    const epoch = this.epoch;
    for (const child of [...this.children]) {
      if (!this.children.has(child)) continue;
      try {
        await child.restart();
      } catch (error) {
        this.childExited(child, child.generation, reasonOfFailedStart(error));
      }
    }
    // Stopped or shut down again while its children restarted: no heartbeat for a supervisor that is gone.
    if (this.epoch === epoch) this.startHeartbeat();
  }

  /** Leaves for good: every child leaves, newest first. */
  remove(reason: ExitReason): Promise<void> {
    return (this.removing ??= this.leave(reason));
  }

  /** Stopped from outside (`runtime.stop`, app shutdown). */
  async stop(reason: ExitReason): Promise<void> {
    await this.remove(reason);
    this.parent?.forget(this);
  }

  childExited(child: SupervisedChild, generation: number, reason: ExitReason): void {
    this.work = this.work
      .then(() => this.handleExit(child, generation, reason))
      .catch((error: unknown) => Logger.error(`supervisor failed to handle an exit: ${describeCause(error)}`, stackOf(error), this.name));
  }

  forget(child: SupervisedChild): void {
    this.children.delete(child);
  }

  tree(now: number): TreeNode {
    return {
      name: this.name,
      kind: this.spec.kind,
      strategy: this.spec.strategy,
      status: this.status,
      restarts: this.restarts,
      intensity: this.intensity.used(),
      // A child that has just stopped is still in the list until its removal returns.
      children: [...this.children].map((child) => child.tree(now)).filter((node) => node.status !== 'stopped'),
    };
  }

  private async handleExit(child: SupervisedChild, generation: number, reason: ExitReason): Promise<void> {
    // Exits that arrive while the children are still starting are handled once they have.
    if (this.starting) await this.starting.catch(() => undefined);
    if (this.status !== 'running' || child.generation !== generation || !this.children.has(child)) return;
    const epoch = this.epoch;
    // Anything that shuts this supervisor down (or restarts it) meanwhile makes this decision moot.
    const current = () => this.epoch === epoch && this.status === 'running';
    if (!shouldRestart(child.restartType, reason)) {
      // Still a child while it leaves, so a stop of this supervisor waits for it.
      await child.remove(reason);
      this.forget(child);
      return;
    }
    if (!this.intensity.tryRestart()) return this.giveUp(reason);
    // The group is fixed now, before anything is shut down or waited for: a child removed
    // meanwhile (runtime.stop during the backoff) drops out of it, and nobody else joins it.
    const group = this.groupOf(child);
    // OTP: a temporary sibling terminated for another child's sake leaves; it is not started again.
    for (const sibling of [...group].reverse()) {
      if (sibling === child || !current()) continue;
      if (sibling.restartType === 'temporary') {
        await sibling.remove('shutdown');
        this.forget(sibling);
      } else {
        await sibling.shutdown('shutdown');
      }
    }
    if (!current()) return;
    await this.wait(backoffDelay(this.spec.backoff, this.intensity.recent));
    for (const member of group) {
      if (!current()) return;
      if (!this.children.has(member) || (member !== child && member.restartType === 'temporary')) continue;
      try {
        await member.restart();
      } catch (error) {
        // A restart that fails is another exit of that child: same rules, same intensity.
        if (current()) await this.handleExit(member, member.generation, reasonOfFailedStart(error));
        return;
      }
    }
  }

  /** The children a strategy restarts together when `child` exits, in start order. */
  private groupOf(child: SupervisedChild): SupervisedChild[] {
    switch (this.spec.strategy) {
      case 'one_for_one':
        return [child];
      case 'one_for_all':
        return [...this.children];
      case 'rest_for_one': {
        const all = [...this.children];
        return all.slice(all.indexOf(child));
      }
    }
  }

  /** Too many restarts: shut every child down, newest first, and exit to the parent with `'shutdown'` (as OTP). */
  private async giveUp(reason: ExitReason): Promise<void> {
    this.epoch++;
    this.status = 'failed';
    this.stopHeartbeat();
    Logger.error(
      `reached its restart intensity (${this.spec.maxRestarts} in ${this.spec.withinMs} ms) after: ${describeReason(reason)}; shutting down its children`,
      undefined,
      this.name,
    );
    this.host.emit({ type: 'escalated', name: this.name, at: this.host.scheduler.now(), reason });
    await this.shutdownChildren('shutdown');
    if (this.parent) this.parent.childExited(this, this.generation, 'shutdown');
    else await this.host.rootFailed(this, reason);
  }

  /** Newest first. A dynamic supervisor's children leave for good: they never come back. */
  private async shutdownChildren(reason: ExitReason): Promise<void> {
    if (this.isDynamic) return this.removeChildren(reason);
    for (const child of [...this.children].reverse()) await child.shutdown(reason);
  }

  /**
   * Newest first, until none is left (a child added meanwhile leaves too). A child whose removal
   * fails is reported and the others still leave.
   */
  private async removeChildren(reason: ExitReason): Promise<void> {
    while (this.children.size > 0) {
      const added = this.added;
      const newestFirst = [...this.children].reverse();
      for (const child of newestFirst) {
        // A child added meanwhile is now the newest: it leaves next.
        if (this.added !== added) break;
        if (!this.children.delete(child)) continue;
        try {
          await child.remove(reason);
        } catch (error) {
          Logger.error(`child "${child.name}" failed to stop cleanly: ${describeCause(error)}`, stackOf(error), this.name);
        }
      }
    }
  }

  /** Leaves with `reason`; its children are stopped with `'shutdown'`, as OTP stops a supervisor's children. */
  private async leave(_reason: ExitReason): Promise<void> {
    this.epoch++;
    this.status = 'stopping';
    this.stopHeartbeat();
    this.cancelBackoff();
    try {
      await this.removeChildren('shutdown');
    } finally {
      this.status = 'stopped';
      this.host.releaseSupervisor(this.name);
    }
  }

  private wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.host.scheduler.setTimeout(() => { this.backoff = null; resolve(); }, Math.min(ms, MAX_DURATION_MS));
      this.backoff = { timer, resolve };
    });
  }

  private cancelBackoff(): void {
    if (!this.backoff) return;
    this.host.scheduler.clearTimeout(this.backoff.timer);
    this.backoff.resolve();
    this.backoff = null;
  }

  private startHeartbeat(): void {
    const every = this.spec.heartbeatMs;
    if (every <= 0 || every === Infinity || this.heartbeat !== null || this.status !== 'running') return;
    this.heartbeat = this.host.scheduler.setInterval(() => {
      for (const child of this.children) child.beat?.();
    }, every);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== null) this.host.scheduler.clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}

/** What a failed (re)start means as an exit reason: the error `init` threw (or `'init_timeout'`). */
function reasonOfFailedStart(error: unknown): ExitReason {
  // Our own start errors (ProcessInitError) carry what init threw as their cause.
  return crashReason(isInstance(error, GenServerError) && error.cause !== undefined ? error.cause : error);
}
