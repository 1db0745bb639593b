import { z } from 'zod';

// The YAML shape, snake_case as Civitas writes it. Children are checked one by one by the loader
// (their kind decides their schema), so `children` is only "a list" here.

const ms = z.number().min(0);
const count = (min: number) => z.number().int().min(min);
const strategy = z.enum(['one_for_one', 'one_for_all', 'rest_for_one', 'ONE_FOR_ONE', 'ONE_FOR_ALL', 'REST_FOR_ONE']);
const restart = z.enum(['permanent', 'transient', 'temporary']);
const name = z.string().min(1);

export const stateStoreSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('memory') }),
  z.strictObject({ type: z.literal('lmdb'), path: z.string().min(1) }),
  z.strictObject({ type: z.literal('redis'), url: z.string().min(1).optional(), key_prefix: z.string().optional() }),
]);

const checkpoint = z.union([
  z.enum(['every-message', 'manual']),
  z.strictObject({ every_n: count(1) }),
  z.strictObject({ interval_ms: z.number().positive() }),
]);

export const backoffSchema = z.strictObject({
  type: z.enum(['none', 'constant', 'linear', 'exponential']),
  base_ms: ms.optional(),
  max_ms: ms.optional(),
  jitter: z.number().min(0).max(1).optional(),
});

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
  children: z.array(z.unknown()).optional(),
});

export const dynamicSupervisorSchema = z.strictObject({
  ...supervisorFields,
  type: z.literal('dynamic_supervisor'),
  max_children: count(1).optional(),
});

export const supervisorWrapperSchema = z.strictObject({
  supervisor: z.record(z.string(), z.unknown()),
  restart: restart.optional(),
});

export const processChildSchema = z.strictObject({
  name,
  /** A @GenServer class name or declared type name: never an import path. */
  type: z.string().min(1),
  restart: restart.optional(),
  args: z.unknown().optional(),
  mailbox: z.strictObject({ max: count(1) }).optional(),
  shutdown_ms: ms.optional(),
  handler_timeout_ms: ms.optional(),
  state_store: stateStoreSchema.optional(),
  checkpoint: checkpoint.optional(),
  durable_replies: z.boolean().optional(),
  delete_state_on_stop: z.boolean().optional(),
});

export const genserverSchema = z.strictObject({
  call_timeout_ms: ms.optional(),
  max_mailbox: count(1).optional(),
  drain_budget: count(1).optional(),
  check_payloads: z.boolean().optional(),
  on_root_failure: z.enum(['shutdown', 'keep']).optional(),
  supervision: z.record(z.string(), z.unknown()).optional(),
  state_store: stateStoreSchema.optional(),
});

export type GenServerYaml = z.infer<typeof genserverSchema>;
export type SupervisorYaml = z.infer<typeof supervisorSchema>;
export type DynamicSupervisorYaml = z.infer<typeof dynamicSupervisorSchema>;
export type ProcessChildYaml = z.infer<typeof processChildSchema>;
export type StateStoreYaml = z.infer<typeof stateStoreSchema>;
