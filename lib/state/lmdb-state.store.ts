import type { Database, RootDatabase } from 'lmdb';
import { StaleEpochError } from '../errors/stale-epoch.error.js';
import { decodeRecord, encodeRecord, staleEpoch } from './state-codec.js';
import type { StateRecord, StateStore } from '../interfaces/state-store.interface.js';

/**
 * An embedded durable store (LMDB): no server, installs from the npm registry with prebuilt
 * binaries, and a write is on disk once `save` resolves. Records are JSON strings; unreadable
 * ones move to a `corrupt` sub-database.
 */
export class LmdbStateStore implements StateStore {
  private constructor(
    private readonly root: RootDatabase,
    private readonly records: Database<string, string>,
    private readonly corrupt: Database<string, string>,
    /** The highest epoch written per name; kept when a record is deleted, so fencing outlives it. */
    private readonly epochs: Database<number, string>,
  ) {}

  /** Opens (creating if needed) the database at `path`. `lmdb` is an optional dependency, loaded here. */
  static async open(path: string): Promise<LmdbStateStore> {
    const { open } = await import('lmdb');
    const root = open({ path, encoding: 'string' });
    return new LmdbStateStore(
      root,
      root.openDB<string, string>({ name: 'records', encoding: 'string' }),
      root.openDB<string, string>({ name: 'corrupt', encoding: 'string' }),
      root.openDB<number, string>({ name: 'epochs', encoding: 'ordered-binary' }),
    );
  }

  async load(name: string): Promise<StateRecord | undefined> {
    const text = this.records.get(name);
    return text === undefined ? undefined : decodeRecord(name, text);
  }

  async save(name: string, record: StateRecord): Promise<void> {
    const text = encodeRecord(record);
    if (record.epoch === undefined) await this.records.put(name, text);
    else {
      // Read and write in one transaction, so no other writer can slip in between the check and the put.
      const refused = await this.root.transaction(() => {
        const stored = this.epochs.get(name);
        if (staleEpoch(record.epoch, stored)) return stored!;
        void this.epochs.put(name, record.epoch!);
        void this.records.put(name, text);
        return undefined;
      });
      if (refused !== undefined) throw new StaleEpochError(name, record.epoch, refused);
    }
    // put resolves at commit; with overlapping sync the flush to disk comes after: wait for it.
    await this.root.flushed;
  }

  async fence(name: string, epoch: number): Promise<void> {
    await this.root.transaction(() => {
      const stored = this.epochs.get(name);
      if (stored === undefined || stored < epoch) void this.epochs.put(name, epoch);
    });
    await this.root.flushed;
  }

  async delete(name: string, epoch?: number): Promise<void> {
    if (epoch === undefined) {
      await this.records.remove(name);
      return;
    }
    const refused = await this.root.transaction(() => {
      const stored = this.epochs.get(name);
      if (staleEpoch(epoch, stored)) return stored!;
      void this.records.remove(name);
      return undefined;
    });
    if (refused !== undefined) throw new StaleEpochError(name, epoch, refused);
  }

  async list(): Promise<string[]> {
    return [...this.records.getKeys()];
  }

  async moveAside(name: string, reason: string): Promise<void> {
    const text = this.records.get(name);
    await this.root.transaction(() => {
      void this.corrupt.put(`${name}@${Date.now()}`, JSON.stringify({ reason, text }));
      void this.records.remove(name);
    });
  }

  /** Writes an arbitrary value as the record of `name` (tests use it to make a corrupt record). */
  async putRaw(name: string, text: string): Promise<void> {
    await this.records.put(name, text);
  }

  async listAside(): Promise<string[]> {
    return [...this.corrupt.getKeys()];
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}

