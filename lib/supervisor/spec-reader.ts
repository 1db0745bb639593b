import { checkAgentOptions } from '../agents/agent.decorator.js';
import type { AgentOverrides } from '../agents/agent-options.interface.js';
import { DURATION_RULE, isDuration } from '../common/duration.js';
import { describeValue } from '../errors/describe-value.js';
import { GenServerError } from '../errors/genserver.error.js';
import type { ProcessScope } from '../interfaces/cluster-options.interface.js';
import type { GenServerOptions, IsolationOptions, WorkerOptions } from '../interfaces/gen-server-options.interface.js';
import type { WarmPool } from '../isolation/warm-pool.js';
import type { StartOptions } from '../interfaces/process-info.interface.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { messages } from '../errors/messages.js';
import type { ResolvedSupervisor } from './supervisor-node.js';
import type { CheckpointPolicy, StateStore, StateStoreSpec } from '../interfaces/state-store.interface.js';
import { isStateStoreSpec, STATE_STORE_RULE } from '../state/state-stores.js';
import type {
  BackoffSpec,
  ChildSpec,
  DynamicSupervisorSpec,
  ProcessChildSpec,
  RestartStrategy,
  RestartType,
  SupervisorSpec,
} from '../interfaces/supervision.interface.js';

const STRATEGIES: readonly RestartStrategy[] = ['one_for_one', 'one_for_all', 'rest_for_one'];
const RESTART_TYPES: readonly RestartType[] = ['permanent', 'transient', 'temporary'];
const BACKOFF_TYPES: readonly BackoffSpec['type'][] = ['none', 'constant', 'linear', 'exponential'];
const SCOPES: readonly ProcessScope[] = ['cluster', 'node'];
const DEFAULT_HEARTBEAT_MS = 1000;
/** Supervisors nested deeper than this are refused: real trees are a few levels deep. */
export const MAX_SUPERVISION_DEPTH = 50;

export type ChildForm =
  | { kind: 'supervisor'; spec: SupervisorSpec; path: string }
  | { kind: 'dynamic_supervisor'; spec: DynamicSupervisorSpec }
  | { kind: 'process'; spec: ProcessChildSpec };

/** Reads supervision specs written in code: fills defaults, and names the path of anything wrong. */
export class SpecReader {
  supervisor(spec: SupervisorSpec, path: string): ResolvedSupervisor {
    return {
      name: this.name(spec.name, path),
      kind: 'supervisor',
      strategy: this.strategy(spec.strategy, `${path}.strategy`),
      ...this.common(spec, path),
      maxChildren: Infinity,
    };
  }

  /**
   * Checks the shape of a whole tree before it is built: no supervisor inside itself, at most
   * `MAX_SUPERVISION_DEPTH` levels, and structure (children, nested supervisors) that can be read.
   * A spec built in code can be cyclic, absurdly deep, or hold throwing getters; each is an
   * `InvalidOptionError` naming the path, never a `RangeError`.
   */
  checkShape(root: SupervisorSpec, path: string, ancestors: readonly object[] = []): void {
    if (root === null || typeof root !== 'object') return; // reported with its path by supervisor()
    const cycle = ancestors.indexOf(root);
    if (cycle >= 0) throw new InvalidOptionError(path, root, `a supervisor that does not contain itself (it is its own ancestor, ${ancestors.length - cycle} level(s) up)`);
    if (ancestors.length >= MAX_SUPERVISION_DEPTH) throw new InvalidOptionError(path, root, `nested at most ${MAX_SUPERVISION_DEPTH} supervisors deep`);
    const children = readable(() => root.children, `${path}.children`);
    if (!Array.isArray(children)) return;
    const within = [...ancestors, root];
    children.forEach((_, index) => {
      const at = `${path}.children[${index}]`;
      const child = readable(() => children[index], at) as Record<string, unknown> | null;
      if (child === null || typeof child !== 'object') return;
      const nested = readable(() => ('supervisor' in child ? child.supervisor : 'type' in child ? undefined : child), at);
      if (nested !== undefined) this.checkShape(nested as SupervisorSpec, nested === child ? at : `${at}.supervisor`, within);
    });
  }

  dynamicSupervisor(spec: DynamicSupervisorSpec, path: string): ResolvedSupervisor {
    return {
      name: this.name(spec.name, path),
      kind: 'dynamic_supervisor',
      strategy: 'one_for_one',
      ...this.common(spec, path),
      maxChildren: this.count(spec.maxChildren, `${path}.maxChildren`, 1) ?? Infinity,
      warm: this.warm(spec.warm, `${path}.warm`),
    };
  }

  childForm(child: ChildSpec, path: string): ChildForm {
    if (child === null || typeof child !== 'object') throw this.error(path, 'a child must be an object');
    if ('supervisor' in child) {
      return { kind: 'supervisor', spec: { restart: child.restart, ...child.supervisor }, path: `${path}.supervisor` };
    }
    if ('type' in child && child.type === 'dynamic_supervisor') return { kind: 'dynamic_supervisor', spec: child as DynamicSupervisorSpec };
    if (!('type' in child) && ('children' in child || 'strategy' in child)) return { kind: 'supervisor', spec: child, path };
    if (!('type' in child) || (typeof child.type !== 'string' && typeof child.type !== 'function')) {
      throw this.error(`${path}.type`, 'a process child needs a type: a @GenServer class or its type name');
    }
    return { kind: 'process', spec: child as ProcessChildSpec };
  }

  /**
   * The options a process child spec (or a `start` call) sets; the rest comes from the class and
   * the module. Each one set is checked; a path is spelled out only for the error that names it.
   */
  processOptions(spec: Omit<ProcessChildSpec, 'type'>, path: string) {
    this.name(spec.name, path);
    const { stateStore, args, restart, maxMailbox, shutdownMs, handlerTimeoutMs, initTimeoutMs, checkpoint, durableReplies, deleteStateOnStop, scope, groups, isolation, worker, workerFile, agent } = spec;
    if (stateStore !== undefined) this.stateStore(stateStore, `${path}.stateStore`);
    return {
      args,
      restart: restart === undefined ? undefined : this.restart(restart, `${path}.restart`),
      maxMailbox: maxMailbox === undefined ? undefined : this.count(maxMailbox, `${path}.maxMailbox`, 1),
      shutdownMs: shutdownMs === undefined ? undefined : this.ms(shutdownMs, `${path}.shutdownMs`),
      handlerTimeoutMs: handlerTimeoutMs === undefined ? undefined : this.ms(handlerTimeoutMs, `${path}.handlerTimeoutMs`),
      initTimeoutMs: initTimeoutMs === undefined ? undefined : this.ms(initTimeoutMs, `${path}.initTimeoutMs`),
      checkpoint: checkpoint === undefined ? undefined : this.checkpoint(checkpoint, `${path}.checkpoint`),
      durableReplies: durableReplies === undefined ? undefined : this.flag(durableReplies, `${path}.durableReplies`),
      deleteStateOnStop: deleteStateOnStop === undefined ? undefined : this.flag(deleteStateOnStop, `${path}.deleteStateOnStop`),
      scope: scope === undefined ? undefined : this.scope(scope, `${path}.scope`),
      groups: groups === undefined ? undefined : this.groups(groups, `${path}.groups`),
      isolation: this.isolation(isolation, `${path}.isolation`),
      worker: this.worker(worker, `${path}.worker`),
      workerFile: this.workerFile(workerFile, `${path}.workerFile`),
      agent: this.agent(agent, `${path}.agent`),
      // Filled in by the tree, which works out which store applies (a slot here, so no copy is needed).
      store: undefined as Promise<StateStore> | null | undefined,
      // Filled in by the tree for a child of a dynamic supervisor that keeps warm workers.
      warmPool: undefined as WarmPool | undefined,
    };
  }

  /**
   * The options of a `@GenServer` class, checked once when its type is registered (by the same
   * rules as a child spec's), with `{ intervalMs: Infinity }` read as `'manual'`.
   */
  typeOptions(options: GenServerOptions, path: string): GenServerOptions {
    const read = snapshot(options, TYPE_OPTION_KEYS, path);
    this.stateStore(read.stateStore, `${path}.stateStore`);
    return {
      ...read,
      restart: this.restart(read.restart, `${path}.restart`),
      maxMailbox: this.count(read.maxMailbox, `${path}.maxMailbox`, 1),
      shutdownMs: this.ms(read.shutdownMs, `${path}.shutdownMs`),
      handlerTimeoutMs: this.ms(read.handlerTimeoutMs, `${path}.handlerTimeoutMs`),
      initTimeoutMs: this.ms(read.initTimeoutMs, `${path}.initTimeoutMs`),
      checkpoint: this.checkpoint(read.checkpoint, `${path}.checkpoint`),
      durableReplies: this.flag(read.durableReplies, `${path}.durableReplies`),
      deleteStateOnStop: this.flag(read.deleteStateOnStop, `${path}.deleteStateOnStop`),
      stateVersion: this.count(read.stateVersion, `${path}.stateVersion`, 1),
      redact: this.keys(read.redact, `${path}.redact`),
      scope: this.scope(read.scope, `${path}.scope`),
      groups: this.groups(read.groups, `${path}.groups`),
      isolation: this.isolation(read.isolation, `${path}.isolation`),
      worker: this.worker(read.worker, `${path}.worker`),
      workerFile: this.workerFile(read.workerFile, `${path}.workerFile`),
    } as GenServerOptions;
  }

  /**
   * `start` options as plain data: a getter or Proxy trap that throws names the option. The
   * options it shares with a child spec are checked by `processOptions`; `node` here.
   */
  startOptions(options: unknown, path: string): StartOptions {
    if (options === null || typeof options !== 'object') throw new InvalidOptionError(path, options, 'an object with at least a name: { name }');
    const read = snapshot(options as StartOptions, START_OPTION_KEYS, path) as StartOptions;
    if (read.node !== undefined && (typeof read.node !== 'string' || read.node.length === 0)) {
      throw new InvalidOptionError(`${path}.node`, read.node, "'any' or the name of a node (a non-empty string)");
    }
    return read;
  }

  /** A store spec (module, supervisor or process option), checked before any process needs it. */
  stateStore(value: unknown, path: string): StateStoreSpec | undefined {
    if (value === undefined || isStateStoreSpec(value)) return value;
    throw new InvalidOptionError(path, value, STATE_STORE_RULE);
  }

  /** `{ intervalMs: Infinity }` (never on a timer) is read as `'manual'`. */
  checkpoint(value: unknown, path: string): CheckpointPolicy | undefined {
    if (value === undefined || value === 'every-message' || value === 'manual') return value;
    if (value !== null && typeof value === 'object') {
      const policy = value as { everyN?: unknown; intervalMs?: unknown };
      const keys = Object.keys(policy);
      if (keys.length === 1 && keys[0] === 'everyN' && this.count(policy.everyN, `${path}.everyN`, 1)) return value as CheckpointPolicy;
      if (keys.length === 1 && keys[0] === 'intervalMs' && this.ms(policy.intervalMs, `${path}.intervalMs`)) {
        return policy.intervalMs === Infinity ? 'manual' : (value as CheckpointPolicy);
      }
    }
    throw this.error(path, `a checkpoint policy is 'every-message', 'manual', { everyN } or { intervalMs }, got ${describeValue(value)}`);
  }

  /** Where a clustered process runs: once in the cluster, or a copy on each node. */
  private scope(value: unknown, path: string): ProcessScope | undefined {
    if (value === undefined || SCOPES.includes(value as ProcessScope)) return value as ProcessScope | undefined;
    throw new InvalidOptionError(path, value, "'cluster' or 'node'");
  }

  /** Process groups to join: an array of non-empty strings (read once, so a copy). */
  private groups(value: unknown, path: string): string[] | undefined {
    if (value === undefined) return undefined;
    if (Array.isArray(value)) {
      const groups = [...(value as unknown[])];
      if (groups.every((group) => typeof group === 'string' && group.length > 0)) return groups as string[];
    }
    throw new InvalidOptionError(path, value, 'an array of group names (non-empty strings)');
  }

  /** Warm workers: each holds a booted thread (tens of MB), so a handful, not Infinity. */
  private warm(value: unknown, path: string): number {
    const warm = this.count(value, path, 0) ?? 0;
    if (warm > MAX_WARM_WORKERS) throw this.error(path, `must be at most ${MAX_WARM_WORKERS}, got ${describeValue(value)}`);
    return warm;
  }

  private isolation(value: unknown, path: string): IsolationOptions['isolation'] {
    if (value === undefined || value === 'none' || value === 'worker') return value;
    throw new InvalidOptionError(path, value, "'worker' or 'none'");
  }

  /** Worker limits and module, read once (a copy): unknown keys are refused, so a typo is not silently ignored. */
  private worker(value: unknown, path: string): WorkerOptions | undefined {
    if (value === undefined) return undefined;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidOptionError(path, value, 'an object: { maxOldGenerationMb?, maxYoungGenerationMb?, module? }');
    const read = snapshot(value as WorkerOptions, WORKER_OPTION_KEYS, path);
    for (const key of Object.keys(value)) {
      if (!(WORKER_OPTION_KEYS as readonly string[]).includes(key)) throw new InvalidOptionError(`${path}.${key}`, (value as Record<string, unknown>)[key], `one of ${WORKER_OPTION_KEYS.join(', ')}`);
    }
    if (read.module !== undefined && (typeof read.module !== 'string' || read.module.length === 0)) throw new InvalidOptionError(`${path}.module`, read.module, 'the export name of a Nest module (a non-empty string)');
    return {
      maxOldGenerationMb: this.count(read.maxOldGenerationMb, `${path}.maxOldGenerationMb`, 1),
      maxYoungGenerationMb: this.count(read.maxYoungGenerationMb, `${path}.maxYoungGenerationMb`, 1),
      module: read.module,
    };
  }

  private agent(value: unknown, path: string): AgentOverrides | undefined {
    if (value === undefined) return undefined;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidOptionError(path, value, 'an object: { system?, busy?, journal?, mcp? }');
    const read = snapshot(value as AgentOverrides, AGENT_OPTION_KEYS, path);
    for (const key of Object.keys(value)) {
      if (!(AGENT_OPTION_KEYS as readonly string[]).includes(key)) throw new InvalidOptionError(`${path}.${key}`, (value as Record<string, unknown>)[key], `one of ${AGENT_OPTION_KEYS.join(', ')}`);
    }
    checkAgentOptions(read, path);
    return read;
  }

  private workerFile(value: unknown, path: string): string | undefined {
    if (value === undefined || (typeof value === 'string' && value.length > 0)) return value;
    throw new InvalidOptionError(path, value, 'a file path or file: URL (a non-empty string)');
  }

  private keys(value: unknown, path: string): string[] | undefined {
    if (value === undefined || (Array.isArray(value) && value.every((key) => typeof key === 'string'))) return value;
    throw new InvalidOptionError(path, value, 'an array of key names');
  }

  private flag(value: unknown, path: string): boolean | undefined {
    if (value === undefined || typeof value === 'boolean') return value;
    throw this.error(path, `must be true or false, got ${describeValue(value)}`);
  }

  private common(spec: SupervisorSpec | DynamicSupervisorSpec, path: string) {
    this.stateStore(spec.stateStore, `${path}.stateStore`);
    return {
      maxRestarts: this.count(spec.maxRestarts, `${path}.maxRestarts`, 0) ?? 3,
      withinMs: this.ms(spec.withinMs, `${path}.withinMs`) ?? 5000,
      backoff: this.backoff(spec.backoff, `${path}.backoff`),
      // Infinity (no timer) turns the heartbeat off, as 0 does.
      heartbeatMs: offWhenInfinite(this.ms(spec.heartbeatMs, `${path}.heartbeatMs`) ?? DEFAULT_HEARTBEAT_MS),
      restart: this.restart(spec.restart, `${path}.restart`) ?? 'permanent',
    };
  }

  private name(name: unknown, path: string): string {
    if (typeof name !== 'string' || name.length === 0) throw this.error(`${path}.name`, 'a non-empty name is required');
    return name;
  }

  private strategy(value: unknown, path: string): RestartStrategy {
    if (value === undefined) return 'one_for_one';
    const strategy = typeof value === 'string' ? value.toLowerCase() : value;
    if (!STRATEGIES.includes(strategy as RestartStrategy)) {
      throw this.error(path, `unknown strategy ${describeValue(value)}; use one of ${STRATEGIES.join(', ')}`);
    }
    return strategy as RestartStrategy;
  }

  private restart(value: unknown, path: string): RestartType | undefined {
    if (value === undefined) return undefined;
    if (!RESTART_TYPES.includes(value as RestartType)) {
      throw this.error(path, `unknown restart type ${describeValue(value)}; use one of ${RESTART_TYPES.join(', ')}`);
    }
    return value as RestartType;
  }

  private backoff(value: BackoffSpec | undefined, path: string): BackoffSpec | undefined {
    if (value === undefined) return undefined;
    if (!BACKOFF_TYPES.includes(value?.type)) {
      throw this.error(`${path}.type`, `unknown backoff type ${describeValue(value?.type)}; use one of ${BACKOFF_TYPES.join(', ')}`);
    }
    this.ms(value.baseMs, `${path}.baseMs`);
    this.ms(value.maxMs, `${path}.maxMs`);
    if (value.jitter !== undefined && !(value.jitter >= 0 && value.jitter <= 1)) throw this.error(`${path}.jitter`, 'jitter must be between 0 and 1');
    return value;
  }

  /** The shared duration rule: 0 to 2^31 - 1 ms, or Infinity (no timer). */
  private ms(value: unknown, path: string): number | undefined {
    if (value === undefined) return undefined;
    if (!isDuration(value)) throw new InvalidOptionError(path, value, DURATION_RULE);
    return value;
  }

  private count(value: unknown, path: string, min: number): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !(value >= min) || (value !== Infinity && !Number.isInteger(value))) {
      throw this.error(path, `must be a whole number >= ${min}, got ${describeValue(value)}`);
    }
    return value;
  }

  private error(path: string, problem: string): GenServerError {
    return new GenServerError(messages.invalidSupervision(path, problem));
  }
}

const TYPE_OPTION_KEYS = ['name', 'type', 'restart', 'maxMailbox', 'shutdownMs', 'handlerTimeoutMs', 'initTimeoutMs', 'stateVersion', 'redact', 'stateStore', 'checkpoint', 'durableReplies', 'deleteStateOnStop', 'scope', 'groups', 'isolation', 'worker', 'workerFile'] as const;
const MAX_WARM_WORKERS = 64;
const WORKER_OPTION_KEYS = ['maxOldGenerationMb', 'maxYoungGenerationMb', 'module'] as const;
const AGENT_OPTION_KEYS = ['system', 'busy', 'journal', 'mcp'] as const;
const START_OPTION_KEYS = ['name', 'args', 'agent', 'supervisor', 'restart', 'maxMailbox', 'shutdownMs', 'handlerTimeoutMs', 'initTimeoutMs', 'stateStore', 'checkpoint', 'durableReplies', 'deleteStateOnStop', 'scope', 'node', 'groups', 'isolation', 'worker', 'workerFile'] as const;

/** The listed fields of an options object, each read once (a throwing read names its path); absent ones left out. */
function snapshot<T extends object>(options: T, keys: readonly string[], path: string): Partial<T> {
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    const value = readable(() => (options as Record<string, unknown>)[key], `${path}.${key}`);
    if (value !== undefined) copy[key] = value;
  }
  return copy as Partial<T>;
}

/** Reads a part of a spec written in code; a getter or Proxy trap that throws names the path. */
function readable<T>(read: () => T, path: string): T {
  try {
    return read();
  } catch (error) {
    throw new InvalidOptionError(path, error, 'readable (reading it threw)');
  }
}

function offWhenInfinite(ms: number): number {
  return ms === Infinity ? 0 : ms;
}
