import { describeCause, stackOf } from '../errors/describe-value.js';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { createRequire } from 'node:module';
import { GenServerError } from '../errors/genserver.error.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { LmdbStateStore } from './lmdb-state.store.js';
import { MemoryStateStore } from './memory-state.store.js';
import { RedisStateStore } from './redis-state.store.js';
import { NatsStateStore } from './nats-state.store.js';
import type { StateStore, StateStoreSpec } from '../interfaces/state-store.interface.js';
import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import { GENSERVER_OPTIONS } from '../genserver-module.definition.js';
import { GENSERVER_FAULTS } from '../genserver.constants.js';
import type { FaultHooks } from '../common/fault-hooks.js';
import { DEFAULT_CLUSTER_PREFIX, isNatsName, isServerList, readClusterOptions } from '../cluster/cluster-options.js';
import { natsConnectOptions } from '../cluster/nats-connect-options.js';

type BuiltInSpec = Extract<StateStoreSpec, { type: string }>;
type NatsSpec = Extract<StateStoreSpec, { type: 'nats' }>;

/** What a `stateStore` option accepts, as error texts say it. */
export const STATE_STORE_RULE =
  "{ type: 'memory' }, { type: 'lmdb', path }, { type: 'redis', url?, keyPrefix? }, { type: 'nats', servers?, bucket? } (bucket: letters, digits, '_' and '-'), a StateStore provider class or a StateStore instance";
/** What a nats store needs besides its spec, as error texts say it. */
export const NATS_STORE_RULE = "{ type: 'nats', servers }, or { type: 'nats' } in an app with a `cluster` option (type: nats needs servers, or a cluster)";

/**
 * The npm package each built-in store loads on first use (optional peer dependencies). Tests point
 * an entry at a package that is not installed.
 */
export const STORE_PACKAGES: Record<'lmdb' | 'redis', string> = { lmdb: 'lmdb', redis: 'ioredis' };

/**
 * The package a built-in store of `type` needs when it cannot be found from here, else undefined.
 * The package is resolved, not loaded: a topology naming an uninstalled store fails when it is
 * read, not when the first process starts.
 */
export function missingStorePackage(type: string): string | undefined {
  const name = Object.hasOwn(STORE_PACKAGES, type) ? STORE_PACKAGES[type as keyof typeof STORE_PACKAGES] : undefined;
  if (name === undefined) return undefined;
  try {
    createRequire(import.meta.url).resolve(name);
    return undefined;
  } catch (error) {
    // a package that exists but exports no `require` entry is still installed
    return (error as { code?: unknown }).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' ? undefined : name;
  }
}

/** Builds the stores the tree asks for, one per distinct spec, and closes those it built at shutdown. */
@Injectable()
export class StateStores {
  private readonly built = new Map<string, Promise<StateStore>>();

  constructor(
    private readonly moduleRef: ModuleRef,
    @Inject(GENSERVER_OPTIONS) private readonly options: GenServerModuleOptions,
    @Optional() @Inject(GENSERVER_FAULTS) private readonly faults?: FaultHooks,
  ) {}

  /**
   * The store a spec names; a spec that names none, or a nats store with nothing to connect to, is
   * an `InvalidOptionError` (thrown, not rejected: the tree asks while it is built, so at boot).
   */
  resolve(spec: StateStoreSpec): Promise<StateStore> {
    const store = this.resolveUnwrapped(spec);
    const faults = this.faults;
    return faults === undefined ? store : store.then((found) => faults.wrapStore(found));
  }

  private resolveUnwrapped(spec: StateStoreSpec): Promise<StateStore> {
    if (!isStateStoreSpec(spec)) throw new InvalidOptionError('stateStore', spec, STATE_STORE_RULE);
    if (typeof spec === 'function') return Promise.resolve(this.provided(spec));
    if (typeof (spec as StateStore).load === 'function') return Promise.resolve(spec as StateStore);
    const builtIn = spec as BuiltInSpec;
    const key = builtIn.type === 'lmdb' ? `lmdb:${builtIn.path}` : builtIn.type === 'redis' ? `redis:${builtIn.url}:${builtIn.keyPrefix}` : builtIn.type === 'nats' ? `nats:${String(builtIn.servers ?? 'cluster')}:${this.natsBucket(builtIn)}` : 'memory';
    let store = this.built.get(key);
    if (!store) {
      store = this.build(builtIn);
      this.built.set(key, store);
      // One that could not be built is tried again by the next process that asks.
      store.catch(() => this.built.delete(key));
    }
    return store;
  }

  async closeAll(): Promise<void> {
    const stores = [...this.built.values()];
    this.built.clear();
    for (const store of stores) {
      try {
        await (await store.catch(() => null))?.close();
      } catch (error) {
        Logger.error(`closing a state store failed: ${describeCause(error)}`, stackOf(error), 'GenServer');
      }
    }
  }

  private build(spec: BuiltInSpec): Promise<StateStore> {
    switch (spec.type) {
      case 'memory':
        return Promise.resolve(new MemoryStateStore());
      case 'lmdb':
        return LmdbStateStore.open(spec.path);
      case 'redis':
        return RedisStateStore.connect(spec.url, spec.keyPrefix);
      case 'nats':
        return this.natsStore(spec);
    }
  }

  /**
   * A nats store's bucket: the one named, else `<prefix>-state` (the cluster's prefix, else
   * `genserver`). A store with neither `servers` nor a cluster to connect through fails here.
   */
  private natsBucket(spec: NatsSpec): string {
    if (spec.servers === undefined && this.options.cluster === undefined) throw new InvalidOptionError('stateStore', spec, NATS_STORE_RULE);
    return spec.bucket ?? `${this.options.cluster?.prefix ?? DEFAULT_CLUSTER_PREFIX}-state`;
  }

  /** On `servers` of its own, a plain connection; without, one like the cluster's (servers, TLS, credentials). */
  private async natsStore(spec: NatsSpec): Promise<StateStore> {
    const bucket = this.natsBucket(spec);
    if (spec.servers !== undefined) return NatsStateStore.connect(spec.servers, bucket);
    // Checked where the module options entered; read again only for the filled-in type (it is pure).
    const cluster = readClusterOptions(this.options.cluster, 'cluster');
    return NatsStateStore.connect(cluster.servers, bucket, await natsConnectOptions(cluster, `${cluster.node} state store`));
  }

  private provided(type: new (...args: never[]) => StateStore): StateStore {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      throw new GenServerError(`state store ${type.name} is not a provider of the app: list it in a module's providers`);
    }
  }
}

/** Whether `value` names a store: a built-in spec, a provider class, or an object with `load`. */
export function isStateStoreSpec(value: unknown): value is StateStoreSpec {
  if (typeof value === 'function') return true;
  if (value === null || typeof value !== 'object') return false;
  const spec = value as Record<string, unknown>;
  if (typeof spec.load === 'function') return true;
  switch (spec.type) {
    case 'memory':
      return true;
    case 'lmdb':
      return typeof spec.path === 'string' && spec.path.length > 0;
    case 'redis':
      return (spec.url === undefined || typeof spec.url === 'string') && (spec.keyPrefix === undefined || typeof spec.keyPrefix === 'string');
    case 'nats':
      return (spec.servers === undefined || isServerList(spec.servers)) && (spec.bucket === undefined || isNatsName(spec.bucket));
    default:
      return false;
  }
}
