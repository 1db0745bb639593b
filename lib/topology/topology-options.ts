import type { ClusterOptions } from '../interfaces/cluster-options.interface.js';
import type { CheckpointPolicy, StateStoreSpec } from '../interfaces/state-store.interface.js';
import type { BackoffSpec, ChildSpec } from '../interfaces/supervision.interface.js';
import type { ClusterYaml, DynamicSupervisorYaml, GenServerYaml, MailboxYaml, ProcessChildYaml, StateStoreYaml, SupervisorYaml } from './topology.schema.js';
import type { AgentModuleOptions } from '../agents/agent-options.interface.js';

// Turns checked YAML (snake_case) into the options and specs of code (camelCase). Nothing here
// validates: the reader calls these only on values the schema accepted.

/** Options a supervisor and a dynamic supervisor share. */
export function supervisorOptions(spec: SupervisorYaml | DynamicSupervisorYaml) {
  return {
    name: spec.name,
    restart: spec.restart,
    maxRestarts: spec.max_restarts,
    withinMs: spec.within_ms,
    heartbeatMs: spec.heartbeat_ms,
    stateStore: toStateStore(spec.state_store),
    backoff: spec.backoff && clean<BackoffSpec>({ type: spec.backoff.type, baseMs: spec.backoff.base_ms, maxMs: spec.backoff.max_ms, jitter: spec.backoff.jitter }),
  };
}

export function processChild(spec: ProcessChildYaml): ChildSpec {
  return clean({
    name: spec.name,
    type: spec.type,
    restart: spec.restart,
    args: spec.args,
    maxMailbox: mailboxBound(spec),
    shutdownMs: spec.shutdown_ms,
    handlerTimeoutMs: spec.handler_timeout_ms,
    initTimeoutMs: spec.init_timeout_ms,
    stateStore: toStateStore(spec.state_store),
    checkpoint: toCheckpoint(spec.checkpoint),
    durableReplies: spec.durable_replies,
    deleteStateOnStop: spec.delete_state_on_stop,
    scope: spec.scope,
    groups: spec.groups,
    isolation: spec.isolation,
    worker: spec.worker && clean({ maxOldGenerationMb: spec.worker.max_old_generation_mb, maxYoungGenerationMb: spec.worker.max_young_generation_mb, module: spec.worker.module }),
    workerFile: spec.worker_file,
    agent: spec.agent && clean({ system: spec.agent.system, busy: spec.agent.busy, journal: spec.agent.journal, mcp: spec.agent.mcp?.map((server) => clean({ name: server.name, command: server.command, args: server.args, env: server.env })) }),
  });
}

/** `agents` as written: prices and the Retry-After cap (the model is given in code). */
export function toAgents(spec: GenServerYaml['agents']): AgentModuleOptions | undefined {
  if (!spec) return undefined;
  return clean({ prices: spec.prices, maxRetryAfterMs: spec.max_retry_after_ms, requestsPerSecond: spec.requests_per_second });
}

/** `cluster` as written (its defaults are filled in where module options enter, as for code). */
export function toCluster(spec: ClusterYaml | undefined): ClusterOptions | undefined {
  if (!spec) return undefined;
  return clean({
    transport: spec.transport,
    servers: spec.servers,
    node: spec.node,
    leaseTtlMs: spec.lease_ttl_ms,
    prefix: spec.prefix,
    tls: spec.tls && clean({ ca: spec.tls.ca, cert: spec.tls.cert, key: spec.tls.key }),
    user: spec.user,
    pass: spec.pass,
    token: spec.token,
    maxInFlight: spec.max_in_flight,
  });
}

/** `max_mailbox: N` or `mailbox: { max: N }`: the same bound, in either spelling. */
export function mailboxBound(spec: MailboxYaml): number | undefined {
  return spec.max_mailbox ?? spec.mailbox?.max;
}

export function toStateStore(spec: StateStoreYaml | undefined): StateStoreSpec | undefined {
  if (!spec) return undefined;
  if (spec.type === 'redis') return clean({ type: 'redis' as const, url: spec.url, keyPrefix: spec.key_prefix });
  return spec;
}

function toCheckpoint(policy: ProcessChildYaml['checkpoint']): CheckpointPolicy | undefined {
  if (policy === undefined || typeof policy === 'string') return policy;
  return 'every_n' in policy ? { everyN: policy.every_n } : { intervalMs: policy.interval_ms };
}

/** Drops keys whose value is undefined, so defaults further down apply. */
export function clean<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
