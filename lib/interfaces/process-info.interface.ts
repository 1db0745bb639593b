import type { AgentOverrides, AgentStatus } from '../agents/agent-options.interface.js';
import type { RestartType } from './genserver.types.js';
export type { CallOptions } from './genserver.types.js';
import type { IsolationOptions, PersistenceOptions } from './gen-server-options.interface.js';
import type { NodePlacement, ProcessScope } from './cluster-options.interface.js';

/**
 * Lifecycle states a process goes through, in order; `restarting` may repeat. In a cluster,
 * `standby`: a topology child whose name another node runs; it takes over when that node goes.
 */
export type ProcessStatusName = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'standby';

/** What `GenServerRuntime.whereis` returns: the identity of the running incarnation. */
export interface ProcessRef {
  readonly name: string;
  readonly type: string;
  /** Changes on every restart, as an Erlang pid does (0 when the process runs on another node). */
  readonly incarnation: number;
  /** In a cluster: the node that runs it. */
  readonly node?: string;
  /** In a cluster: the owner's fencing epoch (grows with every new activation of the name). */
  readonly epoch?: number;
}

/** What `GenServerRuntime.status` returns: a snapshot, not a live view. */
export interface ProcessStatus {
  readonly name: string;
  readonly type: string;
  readonly status: ProcessStatusName;
  /** Messages waiting in the mailbox. */
  readonly mailbox: number;
  /** Messages handled (successfully or not) since the process was first started. */
  readonly processed: number;
  /** Handlers that threw (crashes). */
  readonly errors: number;
  readonly restarts: number;
  /** True while the supervisor's heartbeat sees work waiting and nothing handled for a whole beat. */
  readonly stuck: boolean;
  /** The state, as `formatState` or the `redact` option present it. */
  readonly state?: unknown;
  /** Message of the last crash, if any. */
  readonly lastError?: string;
  /** Ms since the running incarnation finished `init` (0 when none runs). */
  readonly uptimeMs: number;
  /** In a cluster: the node that runs it (this one, or the one a standby waits on). */
  readonly node?: string;
  /** A cluster-wide process: the fencing epoch of the claim that runs it, as this node last heard. */
  readonly epoch?: number;
  /** An agent's counters (see `AgentProcess`). */
  readonly agent?: AgentStatus;
  /** While profiled (`GenServerRuntime.startProfiling`): handler time in ms over the last few seconds, once one was timed. */
  readonly handlerMs?: { readonly p50: number; readonly p99: number };
  /** While profiled, with messages waiting: ms the oldest of them has waited (since profiling began, for one queued before). */
  readonly oldestMs?: number;
  /** While profiled: trace ids of the last (up to 10) handled messages that carried a trace context, newest last. */
  readonly traceIds?: readonly string[];
}

/** What `GenServerRuntime.startProfiling` returns. */
export interface ProfilingHandle {
  /** Ends this caller's profiling (profiling stops once every caller has stopped); idempotent. */
  stop(): void;
}

/** Options of `GenServerRuntime.start`. */
export interface StartOptions extends PersistenceOptions, IsolationOptions {
  /** Name to register the process under; unique among running processes. */
  name: string;
  /** Passed to `init(args)`, on the first start and on every restart. */
  args?: unknown;
  /** For an `@Agent` class: its agent options for this process (they override the class's). */
  agent?: AgentOverrides;
  /** The supervisor to start it under (the root when left out). */
  supervisor?: string;
  /** Default: the `@GenServer` option, else `transient` under a dynamic supervisor, else `permanent`. */
  restart?: RestartType;
  maxMailbox?: number;
  shutdownMs?: number;
  handlerTimeoutMs?: number;
  /** How long `init` may run before the start fails with `ProcessInitError` (reason `'init_timeout'`); `Infinity` waits for ever (5000). */
  initTimeoutMs?: number;
  /** In a cluster: one activation cluster-wide (`'cluster'`, default) or one copy per node (`'node'`). */
  scope?: ProcessScope;
  /** In a cluster: this node (default), `'any'` (the least loaded live node) or a node's name. */
  node?: NodePlacement;
  /** Process groups it joins when it is created (groups of the node it runs on); replaces the `@GenServer` option. */
  groups?: string[];
}
