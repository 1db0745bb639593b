import { hostname } from 'node:os';
import { MAX_DURATION_MS } from '../common/duration.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import type { ClusterOptions, ClusterTlsOptions } from '../interfaces/cluster-options.interface.js';

// The one reading of `cluster` options: the module calls `readClusterOptions` where its options
// enter, and the topology schema checks YAML with the same predicates and rule texts, so a value
// is refused with the same words wherever it was written.

/** `cluster` with every default filled in and `servers` as a list: what the cluster runtime works with. */
export interface ResolvedClusterOptions extends ClusterOptions {
  readonly transport: 'nats';
  readonly servers: string[];
  readonly node: string;
  readonly leaseTtlMs: number;
  readonly prefix: string;
  readonly maxInFlight: number;
}

export const DEFAULT_LEASE_TTL_MS = 5000;
export const DEFAULT_CLUSTER_PREFIX = 'genserver';
export const DEFAULT_MAX_IN_FLIGHT = 10_000;

// What each option accepts, as error texts say it (after "must be").
export const SERVERS_RULE = 'a NATS server URL (nats://host:port) or a non-empty list of them';
export const NODE_RULE = "a non-empty name without '.', '*', '>' or whitespace (it becomes a NATS subject token)";
export const LEASE_TTL_RULE = `a number of milliseconds more than 0 and at most ${MAX_DURATION_MS} (a lease must end: not Infinity)`;
export const NATS_NAME_RULE = "a non-empty string of letters, digits, '_' and '-' (it becomes part of NATS subjects and bucket names)";
export const MAX_IN_FLIGHT_RULE = 'a whole number >= 1';
export const TEXT_RULE = 'a non-empty string';
export const PASS_RULE = 'given together with user (a password alone authenticates no one)';
export const TOKEN_RULE = 'left out when user is given (authenticate with a token, or with user and pass, not both)';
export const TLS_PAIR_RULE = 'given together with the other of tls.cert and tls.key (a client certificate and its private key)';

/** Subject tokens and KV bucket names allow only these characters. */
const NATS_NAME = /^[A-Za-z0-9_-]+$/;
/** What NATS reads as a token separator, a wildcard or a space inside a subject. */
const NOT_IN_NODE = /[.*>\s]/u;
/** Passwords and tokens never appear in an error: this stands in for them. */
const REDACTED = '[redacted]';

export function isServerList(value: unknown): value is string | string[] {
  return isText(value) || (Array.isArray(value) && value.length > 0 && value.every(isText));
}

export function isNodeName(value: unknown): value is string {
  return isText(value) && !NOT_IN_NODE.test(value);
}

/** A prefix or a bucket name. */
export function isNatsName(value: unknown): value is string {
  return typeof value === 'string' && NATS_NAME.test(value);
}

/** A duration, but one that ends: more than 0, finite, within the timer range. */
export function isLeaseTtl(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value <= MAX_DURATION_MS;
}

export function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * Rules between options that are each fine alone: a password without a user, a token beside a
 * user, half a client certificate. Each broken one names the option that has to change.
 */
export function pairingProblems(cluster: { user?: unknown; pass?: unknown; token?: unknown; tls?: unknown }): { option: string; rule: string }[] {
  const problems: { option: string; rule: string }[] = [];
  if (cluster.pass !== undefined && cluster.user === undefined) problems.push({ option: 'pass', rule: PASS_RULE });
  if (cluster.token !== undefined && cluster.user !== undefined) problems.push({ option: 'token', rule: TOKEN_RULE });
  const tls = cluster.tls !== null && typeof cluster.tls === 'object' ? (cluster.tls as { cert?: unknown; key?: unknown }) : {};
  if (tls.cert !== undefined && tls.key === undefined) problems.push({ option: 'tls.key', rule: TLS_PAIR_RULE });
  if (tls.key !== undefined && tls.cert === undefined) problems.push({ option: 'tls.cert', rule: TLS_PAIR_RULE });
  return problems;
}

/**
 * Checks `cluster` options (given in code, or read from a topology) and fills their defaults. Each
 * field is read once; a bad one is an `InvalidOptionError` whose `option` is its path under `path`
 * (`cluster.leaseTtlMs`). Passwords and tokens are never shown in the error.
 */
export function readClusterOptions(value: unknown, path: string): ResolvedClusterOptions {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError(path, value, "an object: { transport: 'nats', servers }");
  }
  const given = snapshot(value as Record<string, unknown>, CLUSTER_KEYS, path);
  const check = <T>(key: string, ok: (v: unknown) => v is T, rule: string, shown: unknown = given[key]): T | undefined => {
    const field = given[key];
    if (field === undefined) return undefined;
    if (!ok(field)) throw new InvalidOptionError(`${path}.${key}`, shown, rule);
    return field;
  };
  if (given.transport !== 'nats') throw new InvalidOptionError(`${path}.transport`, given.transport, "'nats' (the only transport)");
  if (!isServerList(given.servers)) throw new InvalidOptionError(`${path}.servers`, given.servers, SERVERS_RULE);
  const resolved: ResolvedClusterOptions = {
    transport: 'nats',
    servers: typeof given.servers === 'string' ? [given.servers] : [...given.servers],
    node: check('node', isNodeName, NODE_RULE) ?? defaultNodeName(),
    leaseTtlMs: check('leaseTtlMs', isLeaseTtl, LEASE_TTL_RULE) ?? DEFAULT_LEASE_TTL_MS,
    prefix: check('prefix', isNatsName, NATS_NAME_RULE) ?? DEFAULT_CLUSTER_PREFIX,
    maxInFlight: check('maxInFlight', isWholeCount, MAX_IN_FLIGHT_RULE) ?? DEFAULT_MAX_IN_FLIGHT,
    ...defined({
      tls: given.tls === undefined ? undefined : readTls(given.tls, `${path}.tls`),
      user: check('user', isText, TEXT_RULE),
      pass: check('pass', isText, TEXT_RULE, REDACTED),
      token: check('token', isText, TEXT_RULE, REDACTED),
    }),
  };
  const [problem] = pairingProblems(given);
  if (problem !== undefined) {
    // pass and token are there (and secret); a half of tls is what is missing
    const shown = problem.option === 'pass' || problem.option === 'token' ? REDACTED : undefined;
    throw new InvalidOptionError(`${path}.${problem.option}`, shown, problem.rule);
  }
  return resolved;
}

/**
 * `hostname-pid`: unique on one machine, readable in logs. A hostname's dots (`box.local`) would
 * split the subject token the name becomes, so they and anything else NATS reserves turn into `-`.
 */
export function defaultNodeName(): string {
  return `${hostname().replace(/[.*>\s]/gu, '-')}-${process.pid}`;
}

function readTls(value: unknown, path: string): ClusterTlsOptions {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError(path, value, 'an object of PEM file paths: { ca?, cert?, key? }');
  }
  const given = snapshot(value as Record<string, unknown>, TLS_KEYS, path);
  for (const key of TLS_KEYS) {
    if (given[key] !== undefined && !isText(given[key])) throw new InvalidOptionError(`${path}.${key}`, given[key], 'the path of a PEM file');
  }
  return given as ClusterTlsOptions;
}

function isWholeCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1;
}

const CLUSTER_KEYS = ['transport', 'servers', 'node', 'leaseTtlMs', 'prefix', 'tls', 'user', 'pass', 'token', 'maxInFlight'] as const;
const TLS_KEYS = ['ca', 'cert', 'key'] as const;

/** The listed fields, each read once (a getter or Proxy trap that throws names its path); absent ones left out. */
function snapshot(value: Record<string, unknown>, keys: readonly string[], path: string): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    let field: unknown;
    try {
      field = value[key];
    } catch (error) {
      throw new InvalidOptionError(`${path}.${key}`, error, 'readable (reading it threw)');
    }
    if (field !== undefined) copy[key] = field;
  }
  return copy;
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
