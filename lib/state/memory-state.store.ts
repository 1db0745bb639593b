import { StaleEpochError } from '../errors/stale-epoch.error.js';
import type { StateRecord, StateStore } from '../interfaces/state-store.interface.js';
import { staleEpoch } from './state-codec.js';

/** Keeps records in this Node.js process: state survives process restarts, not app restarts. */
export class MemoryStateStore implements StateStore {
  private readonly records = new Map<string, StateRecord>();
  private readonly aside = new Map<string, { reason: string; record: unknown }>();
  /** The highest epoch written per name; kept when a record is deleted, so fencing outlives it. */
  private readonly epochs = new Map<string, number>();

  async load(name: string): Promise<StateRecord | undefined> {
    // A copy: the restored state is the process's to change; the record must stay as saved.
    const record = this.records.get(name);
    return record && structuredClone(record);
  }

  async save(name: string, record: StateRecord): Promise<void> {
    const stored = this.epochs.get(name);
    if (staleEpoch(record.epoch, stored)) throw new StaleEpochError(name, record.epoch!, stored!);
    if (record.epoch !== undefined) this.epochs.set(name, record.epoch);
    this.records.set(name, record);
  }

  async fence(name: string, epoch: number): Promise<void> {
    if (!((this.epochs.get(name) ?? -Infinity) >= epoch)) this.epochs.set(name, epoch);
  }

  async delete(name: string, epoch?: number): Promise<void> {
    const stored = this.epochs.get(name);
    if (staleEpoch(epoch, stored)) throw new StaleEpochError(name, epoch!, stored!);
    this.records.delete(name);
  }

  async list(): Promise<string[]> {
    return [...this.records.keys()];
  }

  async moveAside(name: string, reason: string): Promise<void> {
    this.aside.set(`${name}.corrupt.${Date.now()}`, { reason, record: this.records.get(name) });
    this.records.delete(name);
  }

  async close(): Promise<void> {}
}
