import { z } from 'zod';
import { DURATION_RULE, isDuration } from '../common/duration.js';
import { messages } from '../errors/messages.js';
import {
  isLeaseTtl,
  isNatsName,
  isNodeName,
  isServerList,
  isText,
  LEASE_TTL_RULE,
  NATS_NAME_RULE,
  NODE_RULE,
  SERVERS_RULE,
} from '../cluster/cluster-options.js';

// The YAML shape, snake_case as Civitas writes it. Structure (the `supervision` mapping, `children`
// lists, a child's kind, nested `supervisor:`) is read by the topology reader itself, so that a
// problem in one supervisor never hides those of its children: here those fields are `unknown`.

/** The shared duration rule (0..2^31 - 1 ms, or `.inf`: no timer) for every `*_ms` key. */
const ms = z.custom<number>(isDuration, { error: (issue) => messages.topologyDuration(DURATION_RULE, issue.input) });
const positiveMs = z.custom<number>((value) => isDuration(value) && value > 0, {
  error: (issue) => messages.topologyPositiveDuration(DURATION_RULE, issue.input),
});
const count = (min: number) => z.number().int().min(min);
const strategy = z.enum(['one_for_one', 'one_for_all', 'rest_for_one', 'ONE_FOR_ONE', 'ONE_FOR_ALL', 'REST_FOR_ONE']);
const restart = z.enum(['permanent', 'transient', 'temporary']);
const name = z.string().min(1);
/** A value that must pass `check` (a rule shared with options given in code), refused in the words of `rule`. */
const ruled = <T>(check: (value: unknown) => value is T, rule: string) =>
  z.custom<T>(check, { error: (issue) => messages.topologyMust(rule, issue.input) });
const servers = ruled(isServerList, SERVERS_RULE);
const natsName = ruled(isNatsName, NATS_NAME_RULE);
/** Credentials: never echoed back in a problem, and a hint when a plain ${VAR} typed them as a number. */
const credential = z.custom<string>(isText, { error: () => messages.topologyTextOnly() });

export const stateStoreSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('memory') }),
  z.strictObject({ type: z.literal('lmdb'), path: z.string().min(1) }),
  z.strictObject({ type: z.literal('redis'), url: z.string().min(1).optional(), key_prefix: z.string().optional() }),
  z.strictObject({ type: z.literal('nats'), servers: servers.optional(), bucket: natsName.optional() }),
]);

/**
 * `cluster` (see `ClusterOptions`). Rules between keys (a `pass` needs a `user`…) are checked by the
 * reader on the raw mapping, with `pairingProblems`, so they show beside any other problem.
 */
export const clusterSchema = z.strictObject({
  transport: z.literal('nats'),
  servers,
  node: ruled(isNodeName, NODE_RULE).optional(),
  lease_ttl_ms: ruled(isLeaseTtl, LEASE_TTL_RULE).optional(),
  prefix: natsName.optional(),
  tls: z.strictObject({ ca: name.optional(), cert: name.optional(), key: name.optional() }).optional(),
  user: credential.optional(),
  pass: credential.optional(),
  token: credential.optional(),
  max_in_flight: count(1).optional(),
});

const checkpoint = z.union([
  z.enum(['every-message', 'manual']),
  z.strictObject({ every_n: count(1) }),
  z.strictObject({ interval_ms: positiveMs }),
]);

export const backoffSchema = z.strictObject({
  type: z.enum(['none', 'constant', 'linear', 'exponential']),
  base_ms: ms.optional(),
  max_ms: ms.optional(),
  jitter: z.number().min(0).max(1).optional(),
});

/** The mailbox bound, in either spelling (not both): `max_mailbox: N` or `mailbox: { max: N }`. */
const mailboxFields = {
  max_mailbox: count(1).optional(),
  mailbox: z.strictObject({ max: count(1) }).optional(),
};

const supervisorFields = {
  name,
  restart: restart.optional(),
  max_restarts: count(0).optional(),
  within_ms: ms.optional(),
  backoff: backoffSchema.optional(),
  heartbeat_ms: ms.optional(),
  state_store: stateStoreSchema.optional(),
};

export const supervisorSchema = z.strictObject({
  ...supervisorFields,
  strategy: strategy.optional(),
  children: z.unknown().optional(),
});

export const dynamicSupervisorSchema = z.strictObject({
  ...supervisorFields,
  type: z.literal('dynamic_supervisor'),
  max_children: count(1).optional(),
  warm: count(0).optional(),
});

export const supervisorWrapperSchema = z.strictObject({
  supervisor: z.unknown(),
  restart: restart.optional(),
});

export const processChildSchema = z.strictObject({
  name,
  /** A @GenServer class name or declared type name: never an import path. */
  type: z.string().min(1),
  restart: restart.optional(),
  args: z.unknown().optional(),
  ...mailboxFields,
  shutdown_ms: ms.optional(),
  handler_timeout_ms: ms.optional(),
  init_timeout_ms: ms.optional(),
  state_store: stateStoreSchema.optional(),
  checkpoint: checkpoint.optional(),
  durable_replies: z.boolean().optional(),
  delete_state_on_stop: z.boolean().optional(),
  scope: z.enum(['cluster', 'node']).optional(),
  groups: z.array(z.string().min(1)).optional(),
  isolation: z.enum(['none', 'worker']).optional(),
  worker: z
    .strictObject({ max_old_generation_mb: count(1).optional(), max_young_generation_mb: count(1).optional(), module: z.string().min(1).optional() })
    .optional(),
  worker_file: z.string().min(1).optional(),
  /** For an @Agent type: its agent options for this process. */
  agent: z
    .strictObject({
      system: z.string().optional(),
      busy: z.enum(['queue', 'reject', 'interrupt']).optional(),
      journal: z.boolean().optional(),
      mcp: z.array(z.strictObject({ name: z.string().min(1), command: z.string().min(1), args: z.array(z.string()).optional(), env: z.record(z.string(), z.string()).optional() })).optional(),
    })
    .optional(),
});

export const genserverSchema = z.strictObject({
  call_timeout_ms: ms.optional(),
  init_timeout_ms: ms.optional(),
  ...mailboxFields,
  drain_budget: count(1).optional(),
  check_payloads: z.boolean().optional(),
  on_root_failure: z.enum(['shutdown', 'keep']).optional(),
  supervision: z.unknown().optional(),
  state_store: stateStoreSchema.optional(),
  cluster: clusterSchema.optional(),
  /** What every agent shares (the model itself is given in code). */
  agents: z
    .strictObject({
      prices: z.record(z.string(), z.strictObject({ input: z.number().min(0), output: z.number().min(0) })).optional(),
      max_retry_after_ms: ms.optional(),
      requests_per_second: z.record(z.string(), z.number().positive()).optional(),
    })
    .optional(),
});

export type GenServerYaml = z.infer<typeof genserverSchema>;
export type SupervisorYaml = z.infer<typeof supervisorSchema>;
export type DynamicSupervisorYaml = z.infer<typeof dynamicSupervisorSchema>;
export type ProcessChildYaml = z.infer<typeof processChildSchema>;
export type StateStoreYaml = z.infer<typeof stateStoreSchema>;
export type ClusterYaml = z.infer<typeof clusterSchema>;
export type MailboxYaml = Pick<ProcessChildYaml, 'max_mailbox' | 'mailbox'>;
