import { Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { GenServerError } from '../errors/genserver.error.js';
import { LmdbStateStore } from './lmdb-state.store.js';
import { MemoryStateStore } from './memory-state.store.js';
import { RedisStateStore } from './redis-state.store.js';
import type { StateStore, StateStoreSpec } from './state-store.interface.js';

/** Builds the stores the tree asks for, one per distinct spec, and closes those it built at shutdown. */
@Injectable()
export class StateStores {
  private readonly built = new Map<string, Promise<StateStore>>();

  constructor(private readonly moduleRef: ModuleRef) {}

  resolve(spec: StateStoreSpec): Promise<StateStore> {
    if (typeof spec === 'function') return Promise.resolve(this.provided(spec));
    if (typeof (spec as StateStore).load === 'function') return Promise.resolve(spec as StateStore);
    const builtIn = spec as Extract<StateStoreSpec, { type: string }>;
    const key = builtIn.type === 'lmdb' ? `lmdb:${builtIn.path}` : builtIn.type === 'redis' ? `redis:${builtIn.url}:${builtIn.keyPrefix}` : 'memory';
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
        Logger.error(`closing a state store failed: ${String(error)}`, undefined, 'GenServer');
      }
    }
  }

  private build(spec: Extract<StateStoreSpec, { type: string }>): Promise<StateStore> {
    switch (spec.type) {
      case 'memory':
        return Promise.resolve(new MemoryStateStore());
      case 'lmdb':
        return LmdbStateStore.open(spec.path);
      case 'redis':
        return RedisStateStore.connect(spec.url, spec.keyPrefix);
    }
  }

  private provided(type: new (...args: never[]) => StateStore): StateStore {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      throw new GenServerError(`state store ${type.name} is not a provider of the app: list it in a module's providers`);
    }
  }
}
