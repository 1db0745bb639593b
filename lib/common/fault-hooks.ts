import type { StateStore } from '../interfaces/state-store.interface.js';

/**
 * @internal Where the testing kit injects faults into a running app: a process's next message
 * crashes it, a store's next write fails. Provided under `GENSERVER_FAULTS` by
 * `GenServerTestingModule`; absent in production.
 */
export interface FaultHooks {
  /** The error to crash `name` with instead of handling the message it is about to take, if any. */
  messageFault(name: string): unknown;
  /** `store` as the app's processes see it: writes may fail on demand. */
  wrapStore(store: StateStore): StateStore;
}
