export type { StateStore, StateRecord, StateStoreSpec, CheckpointPolicy } from '../interfaces/state-store.interface.js';
export { MemoryStateStore } from './memory-state.store.js';
export { LmdbStateStore } from './lmdb-state.store.js';
export { RedisStateStore } from './redis-state.store.js';
export { NatsStateStore } from './nats-state.store.js';
