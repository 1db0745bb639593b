import type { CheckpointPolicy, StateStoreSpec } from './state-store.interface.js';
import type { RestartType } from './genserver.types.js';
import type { ProcessScope } from './cluster-options.interface.js';

/** Durable-state options a process can have (class default, child spec, or `start`). */
export interface PersistenceOptions {
  /** Where its state is saved; inherited from the supervisor, then the module, when left out. */
  stateStore?: StateStoreSpec;
  /** When its state is saved (`'every-message'` when there is a store). */
  checkpoint?: CheckpointPolicy;
  /** Answer a call only once the checkpoint that includes it is stored: acknowledged means durable. */
  durableReplies?: boolean;
  /** Delete the stored record when the process is stopped with reason `'normal'` (false). */
  deleteStateOnStop?: boolean;
}

/** Heap limits and Nest context of an isolated process's worker (see `IsolationOptions`). */
export interface WorkerOptions {
  /** Old-generation heap of the worker in MB (256): a process that needs more crashes with `'out_of_memory'`. */
  maxOldGenerationMb?: number;
  /** Young-generation heap of the worker in MB (32). */
  maxYoungGenerationMb?: number;
  /**
   * Export name of a Nest module in the class's file (or `workerFile`): the worker boots an
   * application context from it, so constructor injection works there. Without it the class is
   * built with `new` and must take no constructor arguments.
   */
  module?: string;
}

/** Where a process's handlers run (class default, child spec, or `start`). */
export interface IsolationOptions {
  /**
   * `'worker'`: on a `worker_threads` Worker of its own, so a handler that computes for seconds or
   * leaks memory stalls or sinks only its own process; `'none'` (default): on the app's thread.
   */
  isolation?: 'none' | 'worker';
  worker?: WorkerOptions;
  /**
   * The ES module file (path or `file:` URL) the worker imports the class from; by default the
   * file that declared the class (found when `@GenServer` ran). Set it for bundled apps.
   */
  workerFile?: string;
}

/** Options of one `@GenServer` class; child specs and `start` options override them. */
export interface GenServerOptions extends PersistenceOptions, IsolationOptions {
  /**
   * Process name. A named `@GenServer` provider is started when the app boots; without a name
   * the class is a type, started with `GenServerRuntime.start` or placed by a supervision spec.
   */
  name?: string;
  /** Type name `start` and supervision specs refer to it by; the class name when left out. */
  type?: string;
  /** Most messages the mailbox holds before senders get `MailboxFullError`; unbounded by default. */
  maxMailbox?: number;
  /** When its supervisor restarts it (`permanent`). */
  restart?: RestartType;
  /** How long `terminate` (and a handler still running) may take when it is shut down (5000 ms). */
  shutdownMs?: number;
  /** A handler running longer is a crash with reason `'handler_timeout'` (default: no limit). */
  handlerTimeoutMs?: number;
  /** How long `init` may run before the start fails with `ProcessInitError` (reason `'init_timeout'`); `Infinity` waits for ever (5000). */
  initTimeoutMs?: number;
  /** Version of the state's shape; a stored record of an older version goes through `migrateState` (1). */
  stateVersion?: number;
  /** In a cluster: one activation cluster-wide (`'cluster'`, default) or one copy per node (`'node'`). */
  scope?: ProcessScope;
  /** State keys whose values never reach status, logs or events (any depth); or define `formatState`. */
  redact?: string[];
  /** Process groups each of its processes joins (see `runtime.join`), unless its child spec or `start` names others. */
  groups?: string[];
}
