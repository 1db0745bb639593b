import type { Type } from '@nestjs/common';

/** What a store keeps per process: the state as of a message boundary. */
export interface StateRecord<S = unknown> {
  readonly state: S;
  /** `stateVersion` of the code that wrote it. */
  readonly version: number;
  /** Sequence number of the last message applied to this state. */
  readonly seq: number;
  /** Epoch ms. */
  readonly savedAt: number;
  /**
   * The fencing epoch of the node that owned the process when it wrote this record (clustered
   * processes only). A store refuses a record older than the one it holds: `StaleEpochError`.
   */
  readonly epoch?: number;
}

/**
 * Durable storage of process state, by process name. Implement it in a provider to plug in a
 * store of your own. The runtime never mutates a record it has handed to `save`.
 */
export interface StateStore {
  /** The record of `name`, `undefined` if none; throws `CorruptStateError` if it cannot be read. */
  load(name: string): Promise<StateRecord | undefined>;
  /**
   * Stores the record. A record with an `epoch` lower than the stored record's is refused with
   * `StaleEpochError` (atomically: a former owner can never overwrite a newer owner's state).
   */
  save(name: string, record: StateRecord): Promise<void>;
  /**
   * Deletes the record. With `epoch` (a cluster-wide process), refused with `StaleEpochError` when a
   * newer epoch is stored: a former owner cannot delete a newer owner's state either.
   */
  delete(name: string, epoch?: number): Promise<void>;
  /**
   * Raises the epoch stored for `name` to `epoch` (never lowers it), record or not: from then on a
   * save of an older epoch is refused. A new owner calls it before it loads the state, so a former
   * owner cannot slip a write in between its load and its first save. Optional: without it a
   * store fences only from the new owner's first save on.
   */
  fence?(name: string, epoch: number): Promise<void>;
  /** Names that have a record. */
  list(): Promise<string[]>;
  /**
   * Moves an unreadable record out of the way (kept for inspection, not deleted). Optional: a
   * store without it keeps the record where it is until the next checkpoint overwrites it.
   */
  moveAside?(name: string, reason: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Which store: built in (`memory`: survives process restarts, not app restarts; `lmdb`: an
 * embedded durable store; `redis`; `nats`: JetStream KV), or your own, as a provider class or an instance.
 */
export type StateStoreSpec =
  | { type: 'memory' }
  | { type: 'lmdb'; path: string }
  | { type: 'redis'; url?: string; keyPrefix?: string }
  /** JetStream KV: on the cluster's connection, or on `servers` of its own; bucket `<prefix>-state`. */
  | { type: 'nats'; servers?: string | string[]; bucket?: string }
  | Type<StateStore>
  | StateStore;

/**
 * When a process's state is saved — always between two messages, never mid-handler:
 * after every message (the default with a store), after every N, at most every `intervalMs`
 * (when something changed), or only when the process calls `this.checkpoint()`.
 */
export type CheckpointPolicy = 'every-message' | { everyN: number } | { intervalMs: number } | 'manual';
