import type { AgentOverrides, AgentStatus } from '../agents/agent-options.interface.js';
import type { ProcessScope } from './cluster-options.interface.js';
import type { Type } from '@nestjs/common';
import type { IsolationOptions, PersistenceOptions } from './gen-server-options.interface.js';
import type { StateStoreSpec } from './state-store.interface.js';
import type { RestartType } from './genserver.types.js';

/** OTP's restart strategies. Upper-case spellings (`ONE_FOR_ONE`) are accepted too. */
export type RestartStrategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';
export type RestartStrategyInput = RestartStrategy | 'ONE_FOR_ONE' | 'ONE_FOR_ALL' | 'REST_FOR_ONE';

export type { RestartType } from './genserver.types.js';

/** Delay before a restart; the attempt number is the child's restarts within the current window. */
export interface BackoffSpec {
  type: 'none' | 'constant' | 'linear' | 'exponential';
  /** Delay of the first attempt (constant: of every attempt), in ms. */
  baseMs?: number;
  /** Upper bound of the delay, in ms. */
  maxMs?: number;
  /** 0..1: the delay varies at random by up to this fraction either way. */
  jitter?: number;
}

/** Options a child has whatever it is. */
export interface ChildRestartOptions {
  /** Default `permanent` (`transient` under a dynamic supervisor). */
  restart?: RestartType;
}

/** A process child of a supervisor. */
export interface ProcessChildSpec extends ChildRestartOptions, PersistenceOptions, IsolationOptions {
  name: string;
  /** The `@GenServer` class, or its type name. */
  type: Type<object> | string;
  /** Passed to `init(args)` on every (re)start. */
  args?: unknown;
  /** For an `@Agent` class: its agent options for this process (YAML `agent:`). */
  agent?: AgentOverrides;
  maxMailbox?: number;
  /** How long `terminate` (and a handler still running) may take before the instance is abandoned (5000). */
  shutdownMs?: number;
  /** A handler running longer is treated as a crash with reason `'handler_timeout'` (default: none). */
  handlerTimeoutMs?: number;
  /** How long `init` may run before the start fails with `ProcessInitError` (reason `'init_timeout'`); `Infinity` waits for ever (5000). */
  initTimeoutMs?: number;
  /** In a cluster: one activation cluster-wide (`'cluster'`, default) or one copy per node (`'node'`). */
  scope?: ProcessScope;
  /** Process groups it joins when it is created (this node's groups); replaces the `@GenServer` option. */
  groups?: string[];
}

/** A supervisor: restarts its children by `strategy`, and fails to its parent when they crash too often. */
export interface SupervisorSpec extends ChildRestartOptions {
  name: string;
  strategy?: RestartStrategyInput;
  /** More than this many restarts within `withinMs` and the supervisor gives up (3 in 5000 ms). */
  maxRestarts?: number;
  withinMs?: number;
  backoff?: BackoffSpec;
  /** How often children are checked for being stuck; 0 turns it off (1000). */
  heartbeatMs?: number;
  /** State store of the processes of this subtree that name none themselves. */
  stateStore?: StateStoreSpec;
  /** Children in start order; they stop in reverse order. */
  children?: ChildSpec[];
}

/** A supervisor of processes started at run time with `runtime.start(type, { supervisor })`. */
export interface DynamicSupervisorSpec extends ChildRestartOptions {
  name: string;
  type: 'dynamic_supervisor';
  /** Most children at once; one more is refused with `MaxChildrenError` (unbounded). */
  maxChildren?: number;
  /**
   * Workers kept booted for its isolated children (`isolation: 'worker'`), so starting one skips
   * most of a worker's start (0). They have the default heap limits; a child with other limits gets
   * a fresh worker.
   */
  warm?: number;
  /** State store of its children that name none themselves. */
  stateStore?: StateStoreSpec;
  maxRestarts?: number;
  withinMs?: number;
  backoff?: BackoffSpec;
  heartbeatMs?: number;
}

/** A child entry: a process, a nested supervisor (`{ supervisor: {...} }` or a spec), or a dynamic supervisor. */
export type ChildSpec = ProcessChildSpec | SupervisorSpec | { supervisor: SupervisorSpec; restart?: RestartType } | DynamicSupervisorSpec;


/** A node of `runtime.tree()`: the live supervision tree. */
export interface TreeNode {
  readonly name: string;
  readonly kind: 'supervisor' | 'dynamic_supervisor' | 'process';
  /** Process type name (processes only). */
  readonly type?: string;
  readonly strategy?: RestartStrategy;
  readonly status: string;
  readonly restarts: number;
  /** Messages waiting (processes only). */
  readonly mailbox?: number;
  readonly stuck?: boolean;
  /** Processes only: the same figures as `runtime.status`. */
  readonly processed?: number;
  readonly errors?: number;
  readonly lastError?: string;
  readonly uptimeMs?: number;
  /** In a cluster (processes only): the node that runs it, when one does. */
  readonly node?: string;
  /** A cluster-wide process: the fencing epoch of the claim that runs it. */
  readonly epoch?: number;
  /** While profiled (processes only): as in `ProcessStatus`. */
  readonly handlerMs?: { readonly p50: number; readonly p99: number };
  readonly oldestMs?: number;
  /** An agent's counters (see `AgentProcess`). */
  readonly agent?: AgentStatus;
  /** Supervisors only: the restarts inside the current window, of the `maxRestarts` it allows. */
  readonly intensity?: { readonly restarts: number; readonly maxRestarts: number; readonly withinMs: number };
  readonly children?: readonly TreeNode[];
}
