import { Injectable, Optional, type Type } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Observable, type Observer } from 'rxjs';
import { NoSuchProcessError } from '../errors/no-such-process.error.js';
import type {
  CallOptions,
  ProcessRef,
  ProcessStatus,
  ProfilingHandle,
  StartOptions,
} from '../interfaces/process-info.interface.js';
import { exitReasonOf, type ExitReason } from '../process/exit-reason.js';
import { checkProcessName } from './process-name.js';
import type { GenServerProcess } from '../process/gen-server-process.js';
import type { GenServerEvent } from './genserver-events.js';
import type { DownMessage } from './monitor-table.js';
import { GenServerKernel } from './genserver.kernel.js';
import { SupervisionTree } from './supervision-tree.js';
import type { TreeNode } from '../interfaces/supervision.interface.js';
import type { ClusterNodeInfo } from '../cluster/cluster-node.js';
import { TypedGenServerClient, type GenServerClient } from '../client/gen-server-client.js';
import { processNameOf } from '../client/client-token.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { TypedClientError } from '../errors/typed-client.error.js';
import { messages } from '../errors/messages.js';
import { AgentHub } from '../agents/agent-hub.js';
import type { AgentEvent, AgentTask } from '../agents/agent-options.interface.js';
import { JOURNAL, type AgentJournal } from '../agents/agent-process.js';

/**
 * The client of the process runtime: inject it anywhere (controllers, services, other
 * processes) to talk to processes by name and to start, stop and inspect them.
 */
@Injectable()
export class GenServerRuntime {
  /** Lifecycle events of every process: started, crashed, restarted, stopped, dead-letter. */
  readonly events$: Observable<GenServerEvent>;

  constructor(
    private readonly kernel: GenServerKernel,
    private readonly supervision: SupervisionTree,
    @Optional() private readonly agents?: AgentHub,
  ) {
    this.events$ = kernel.events.events$;
    agents?.bind(this);
  }

  /**
   * Sends `payload` to the process's `@HandleCall` handlers and waits for the reply.
   * Rejects with `CallTimeoutError` after `timeout` ms (module `callTimeout`, default 5000),
   * `NoSuchProcessError` at once for an unknown name, `ProcessCrashedError` when the handler
   * throws, `UnhandledMessageError` when no handler matches, `MailboxFullError` or
   * `ProcessStoppedError` when the mailbox refuses the message, and `InvalidOptionError` for
   * `options` that are not an object (a positional timeout: `call(name, msg, 5000)`) or a bad timeout.
   */
  call<R = unknown>(name: string, payload: unknown, options?: CallOptions): Promise<R> {
    return this.kernel.call<R>(name, payload, options);
  }

  /**
   * Puts `payload` in the process's mailbox for its `@HandleCast` handlers and returns without
   * waiting for it to be handled. Rejects when the message is not accepted (unknown name, full
   * mailbox, stopping process).
   */
  cast(name: string, payload: unknown): Promise<void> {
    return this.kernel.cast(name, payload);
  }

  /**
   * A typed client of one process (what `@InjectGenServer` injects): `client(RateLimiter)` talks to
   * the process its `@GenServer('rate_limiter')` names, `client('billing', Billing)` to a process
   * started at run time, typed and checked by its class, and `client<Billing>('billing')` by name
   * only (the method name is sent as the `type`, unchecked). Throws `TypedClientError` for a class
   * that names no process, `InvalidOptionError` for an argument that is neither a name nor a class.
   * A handler method whose message type cannot be told (see `TypedClientError`) rejects its calls.
   */
  client<T extends object>(cls: Type<T>): GenServerClient<T>;
  client<T = unknown>(name: string, cls?: Type<T>): GenServerClient<T>;
  client<T>(nameOrClass: string | Type<T>, cls?: Type<T>): GenServerClient<T> {
    if (typeof nameOrClass === 'function') {
      const name = processNameOf(nameOrClass);
      if (name === undefined) throw new TypedClientError(nameOrClass.name, undefined, messages.clientNoProcessName(nameOrClass.name, 'runtime'));
      return new TypedGenServerClient(name, this, nameOrClass) as unknown as GenServerClient<T>;
    }
    checkProcessName(nameOrClass);
    if (cls !== undefined && typeof cls !== 'function') throw new InvalidOptionError('the class of runtime.client', cls, 'a @GenServer class');
    return new TypedGenServerClient(nameOrClass, this, cls) as unknown as GenServerClient<T>;
  }

  /**
   * Adds the process `name` to `group` (OTP's `pg:join`); joining twice is a no-op. Groups are
   * local to this node. A member stays in its groups across restarts and leaves them when it stops
   * for good. Throws `InvalidOptionError` for a group or name that is not a non-empty string,
   * `NoSuchProcessError` when no process runs under `name`.
   */
  join(group: string, name: string): void {
    this.kernel.groups.join(group, name);
  }

  /** Takes `name` out of `group`; returns whether it was a member. Throws `InvalidOptionError` like `join`. */
  leave(group: string, name: string): boolean {
    return this.kernel.groups.leave(group, name);
  }

  /** The names in `group`, in join order; `[]` for a group nobody is in. */
  members(group: string): string[] {
    return this.kernel.groups.members(group);
  }

  /**
   * Casts `payload` to every member of `group`; resolves with how many mailboxes accepted it. A
   * member that refuses (full mailbox, stopping) is left out of the count and its message is
   * published as a `dead-letter` event whose reason is the error's name: one refusal never
   * rejects the broadcast. Rejects with `InvalidOptionError` for a bad group name and with
   * `InvalidPayloadError` (its `process` is the group) for a payload that is not plain data.
   */
  broadcast(group: string, payload: unknown): Promise<number> {
    return this.kernel.broadcast(group, payload);
  }

  /**
   * Starts a process of a `@GenServer` type (its class, or its type name) under `options.name`,
   * as a child of `options.supervisor` (the root when left out); resolves once its `init` has run.
   * Rejects with `AlreadyStartedError`, `UnknownTypeError`, `NoSuchSupervisorError`,
   * `MaxChildrenError` or `ProcessInitError`.
   */
  start(type: Type<GenServerProcess> | string, options: StartOptions): Promise<void> {
    // A misuse (no options, a symbol for a name) rejects with a typed error rather than throwing.
    return this.supervision.startProcess(type, options);
  }

  /**
   * Stops a process — or a supervisor and its subtree — gracefully and for good (no restart);
   * resolves once `terminate` has run. The reason defaults to `'normal'`. From inside a process,
   * stop itself with `this.stop()` instead: this waits for the running handler. `null` (as well
   * as `undefined`) means `'normal'`; any other value that is not a string, an `Error` or
   * `{ shutdown }` stops it as a crash whose reason is that value's description.
   */
  async stop(name: string, reason: ExitReason | null = 'normal'): Promise<void> {
    return this.supervision.stop(name, exitReasonOf(reason));
  }

  /**
   * Crashes the running incarnation of a process on this node with `reason` (default `'killed'`),
   * as OTP's `exit(Pid, Reason)`: its supervisor restarts it by its rules (a permanent or transient
   * process comes back, a temporary one is gone). Resolves false when no incarnation runs (it is
   * restarting or starting); rejects with `NoSuchProcessError` for a name this node does not run.
   */
  async kill(name: string, reason: unknown = 'killed'): Promise<boolean> {
    checkProcessName(name);
    const cell = this.kernel.lookup(name);
    if (!cell) throw new NoSuchProcessError(name);
    return cell.kill(reason === null || reason === undefined ? 'killed' : reason);
  }

  /**
   * Watches a process from outside any process (a controller, a service): the `Observable` emits
   * its DOWN message once — when the running incarnation ends, or `noproc` at once when nothing runs
   * under that name — and completes. Unsubscribing stops watching. Throws `InvalidOptionError` for
   * a name that is not a non-empty string.
   */
  monitor(name: string): Observable<DownMessage> {
    checkProcessName(name);
    return new Observable<DownMessage>((subscriber) =>
      this.kernel.watch(name, (down) => {
        subscriber.next(down);
        subscriber.complete();
      }),
    );
  }

  /**
   * An RxJS `Observer` that casts each value it is given to the process, so any stream can be piped
   * into a process: `source$.subscribe(runtime.sink('metrics'))`. A cast the process refuses (full
   * mailbox, unknown name, not plain data) is logged and published as a `dead-letter` event, never
   * lost silently; the stream's error and completion are not sent.
   */
  sink(name: string): Observer<unknown> {
    checkProcessName(name);
    return {
      next: (value) => void this.kernel.cast(name, value).catch((error: unknown) => this.kernel.castRefused(name, value, error)),
      error: () => undefined,
      complete: () => undefined,
    };
  }

  /** The live supervision tree: supervisors and processes with status, restarts and mailbox lengths. */
  tree(): TreeNode | undefined {
    return this.supervision.tree();
  }

  /**
   * The running incarnation registered under `name`, or `undefined`. In a cluster, from any node:
   * with the `node` that runs it and its fencing `epoch` (as this node last heard from the lease
   * bucket, for a process of another node; `incarnation` is then 0).
   */
  whereis(name: string): ProcessRef | undefined {
    checkProcessName(name);
    const cell = this.kernel.lookup(name);
    const cluster = this.kernel.cluster;
    if (cell && cell.status !== 'stopped' && cell.status !== 'standby' && cell.servesHere) {
      const owner = cluster?.whereis(name);
      const node = owner?.node ?? this.kernel.node;
      return { name: cell.name, type: cell.type.typeName, incarnation: cell.incarnation, ...(node === undefined ? {} : { node }), ...(owner ? { epoch: owner.epoch } : {}) };
    }
    const owner = cluster?.whereis(name);
    return owner ? { name, type: cell?.type.typeName ?? owner.type ?? 'unknown', incarnation: 0, node: owner.node, epoch: owner.epoch } : undefined;
  }

  /** In a cluster: this node's name (`cluster.node`); `undefined` without a cluster. */
  get node(): string | undefined {
    return this.kernel.node;
  }

  /** In a cluster: the live nodes, this one first, with the cluster-wide processes each runs; `[]` without one. */
  nodes(): ClusterNodeInfo[] {
    return this.kernel.cluster?.nodes() ?? [];
  }

  /**
   * Profiles every process until `stop()` is called: while on, `status()` and `tree()` also tell
   * each process's handler time (p50/p99 in ms over the last few seconds; every handler is timed up
   * to 5 000 a second, an even sample above), the age of its oldest waiting message (to ~10 ms),
   * and `status()` the trace ids of its last handled messages. Off, the message path pays one
   * field read. Several callers may profile at once; it ends when the last stops. The dashboard
   * profiles while a page is open.
   */
  startProfiling(): ProfilingHandle {
    const stop = this.kernel.startProfiling();
    return { stop };
  }

  /** Names of the registered processes, in start order. */
  list(): string[] {
    return this.kernel.names();
  }

  /** Counters and state of a process; throws `NoSuchProcessError` for an unknown name. */
  status(name: string): ProcessStatus {
    checkProcessName(name);
    const cell = this.kernel.lookup(name);
    if (!cell) throw new NoSuchProcessError(name);
    return cell.snapshot();
  }

  /**
   * Submits a task to an agent and streams its events (text deltas, tool calls and results,
   * approval requests, usage, then `done` or `error`), numbered by `seq` from 1. The task is sent
   * when the Observable is subscribed; with `afterSeq`, events up to it are skipped (a resumed
   * stream: send the same task `id` again, which does not start it twice).
   */
  stream(name: string, task: AgentTask | string, options?: { afterSeq?: number }): Observable<AgentEvent> {
    checkProcessName(name);
    const given = streamTask(task);
    const afterSeq = options?.afterSeq ?? 0;
    if (!Number.isInteger(afterSeq) || afterSeq < 0) throw new InvalidOptionError('stream options.afterSeq', afterSeq, 'a whole number ≥ 0');
    const hub = this.agentHub();
    return new Observable<AgentEvent>((subscriber) => {
      const id = given.id ?? randomUUID();
      // Events are kept by the node that runs the agent: another node's stream would never see them.
      if (this.kernel.cluster !== null && this.kernel.lookup(name) === undefined) {
        const node = this.kernel.cluster.whereis(name)?.node;
        subscriber.next({ seq: 1, taskId: id, type: 'error', error: { name: 'GenServerError', message: `agent "${name}" does not run on this node${node === undefined ? '' : ` (it runs on "${node}")`}: stream it from the node that runs it` } });
        subscriber.complete();
        return undefined;
      }
      // A plain observer, not `subscriber` itself: RxJS would adopt it, and ending this inner
      // subscription (below) would then close the stream before its refusal is told.
      const subscription = hub.events(name, id, afterSeq).subscribe({ next: (event) => subscriber.next(event), error: (error: unknown) => subscriber.error(error), complete: () => subscriber.complete() });
      // A task refused before it began (no such agent, busy, not a task) ends this stream with that
      // error; it is not recorded under the id, which a later task may still take.
      this.call(name, { type: 'task', input: given.input, id }, { timeout: Infinity }).catch((error: unknown) => {
        if (subscriber.closed || hub.lastSeq(name, id) > 0) return;
        subscription.unsubscribe();
        subscriber.next({ seq: 1, taskId: id, type: 'error', error: { name: (error as Error)?.name ?? 'Error', message: (error as Error)?.message ?? String(error) } });
        subscriber.complete();
      });
      return () => subscription.unsubscribe();
    });
  }

  /**
   * Cancels an agent's task (`taskId`), or its running task: the model stream and tools are
   * aborted, its callers get `TaskCancelledError`. Resolves true if something was cancelled.
   */
  cancel(name: string, taskId?: string): Promise<boolean> {
    if (taskId !== undefined && typeof taskId !== 'string') return Promise.reject(new InvalidOptionError('cancel taskId', taskId, 'a string'));
    return this.call<boolean>(name, { type: 'cancel', ...(taskId === undefined ? {} : { taskId }) });
  }

  /**
   * An agent's journal (`@Agent({ journal: true })`): every inbound message its running incarnation
   * has handled, after the state it started from, as JSON data for `replayAgent`. Rejects with
   * `NoSuchProcessError` for an unknown name and `InvalidOptionError` for a process that keeps none.
   * Local processes only.
   */
  async journal(name: string): Promise<AgentJournal> {
    checkProcessName(name);
    const cell = this.kernel.lookup(name);
    if (!cell) throw new NoSuchProcessError(name);
    const instance = cell.liveInstance as { [JOURNAL]?: () => AgentJournal | undefined } | null;
    const journal = typeof instance?.[JOURNAL] === 'function' ? instance[JOURNAL]() : undefined;
    if (journal === undefined) throw new InvalidOptionError(`runtime.journal("${name}")`, name, 'an agent started with @Agent({ journal: true }), running');
    return journal;
  }

  private agentHub(): AgentHub {
    if (this.agents === undefined) throw new InvalidOptionError('runtime.stream', undefined, 'a runtime built by GenServerModule (agents need its AgentHub)');
    return this.agents;
  }
}

/** A task as `stream` takes it: its input text, or `{ type: 'task', input, id? }` read once. */
function streamTask(task: unknown): { input: unknown; id: string | undefined } {
  // A bad input or id is the agent's to refuse (an `error` event with its InvalidPayloadError).
  if (typeof task === 'string') return { input: task, id: undefined };
  if (task === null || typeof task !== 'object') throw new InvalidOptionError('stream task', task, "a string or { type: 'task', input: string, id?: string }");
  try {
    const { input, id } = task as { input?: unknown; id?: string };
    return { input, id };
  } catch (error) {
    throw new InvalidOptionError('stream task', error, 'readable (reading it threw)');
  }
}
