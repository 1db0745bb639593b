import type { Database, RootDatabase } from 'lmdb';
import { decodeRecord, encodeRecord } from './state-codec.js';
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
  ) {}

  /** Opens (creating if needed) the database at `path`. `lmdb` is an optional dependency, loaded here. */
  static async open(path: string): Promise<LmdbStateStore> {
    const { open } = await import('lmdb');
    const root = open({ path, encoding: 'string' });
    return new LmdbStateStore(
      root,
      root.openDB<string, string>({ name: 'records', encoding: 'string' }),
      root.openDB<string, string>({ name: 'corrupt', encoding: 'string' }),
    );
  }

  async load(name: string): Promise<StateRecord | undefined> {
    const text = this.records.get(name);
    return text === undefined ? undefined : decodeRecord(name, text);
  }

  async save(name: string, record: StateRecord): Promise<void> {
    await this.records.put(name, encodeRecord(record));
    // put resolves at commit; with overlapping sync the flush to disk comes after: wait for it.
    await this.root.flushed;
  }

  async delete(name: string): Promise<void> {
    await this.records.remove(name);
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
