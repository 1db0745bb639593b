import type { StateStoreSpec } from './state-store.interface.js';
import type { Clock } from './genserver.types.js';
import type { SupervisorSpec } from './supervision.interface.js';
import type { ClusterOptions } from './cluster-options.interface.js';
import type { AgentModuleOptions } from '../agents/agent-options.interface.js';

/** Options of `GenServerModule.forRoot` / `forRootAsync`. */
export interface GenServerModuleOptions {
  /**
   * Run named processes once across several Nest instances over NATS (see README, "Cluster").
   * Without it nothing changes and no NATS package is loaded.
   */
  cluster?: ClusterOptions;
  /** What every agent shares: the default model, prices, the `Retry-After` cap (see README, "Agents"). */
  agents?: AgentModuleOptions;
  /** Default state store of every process (none: state lives only in the instance). */
  stateStore?: StateStoreSpec;
  /** Default timeout of `call`, in ms (5000). `Infinity` waits for ever. */
  callTimeout?: number;
  /** Default mailbox bound of every process (unbounded). */
  maxMailbox?: number;
  /** Default `initTimeoutMs` of every process: `init` running longer fails the start (5000). `Infinity` waits for ever. */
  initTimeoutMs?: number;
  /**
   * A topology to read the options from: a YAML file path or an object of the same shape (see
   * README, "Topology"). Options given here beside it take precedence over the topology's.
   */
  topology?: string | Record<string, unknown>;
  /**
   * The supervision tree. Named `@GenServer` providers it does not place are started under its
   * root, after its own children. Default: a `one_for_one` root named `root`.
   */
  supervision?: SupervisorSpec;
  /** Restart intensity of the default root: at most `maxRestarts` restarts within `withinMs` (3 in 5000 ms). */
  maxRestarts?: number;
  withinMs?: number;
  /**
   * What happens when the root supervisor gives up: `'shutdown'` (default) logs it, sets a
   * non-zero exit code and sends the process SIGTERM (with `app.enableShutdownHooks()`, Nest then
   * closes the app gracefully); `'keep'` leaves the app running with no processes.
   */
  onRootFailure?: 'shutdown' | 'keep';
  /**
   * Report spans and metrics to an OpenTelemetry SDK when one is registered (true). With false the
   * runtime never looks for one.
   */
  telemetry?: boolean;
  /** Time source of restart-intensity windows (`Date.now`); tests pass a controllable one. */
  clock?: Clock;
  /**
   * Messages a process handles in one turn before yielding to the event loop (4000). Lower keeps
   * latency of other work flat under bursts; higher gives a bit more throughput.
   */
  drainBudget?: number;
  /**
   * Checks that payloads and replies are plain data at the top level (default true). Messages are
   * passed by reference in-process; this keeps them fit for a networked router.
   */
  checkPayloads?: boolean;
}
