import type { KV } from '@nats-io/kv';
import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { StaleEpochError } from '../errors/stale-epoch.error.js';
import type { StateRecord, StateStore } from '../interfaces/state-store.interface.js';
import { isCasConflict, kvKey, nameOfKvKey } from '../common/kv-key.js';
import { decodeRecord, encodeRecord, staleEpoch } from './state-codec.js';

/** A deleted record that keeps its epoch, so fencing outlives the delete. */
const DELETED = '{"deleted":true}';

/**
 * JetStream KV: records are JSON values under the process name (encoded as a KV key), so a cluster
 * can run on NATS alone. A save compares epochs and writes with compare-and-set on the entry's
 * revision, retrying when another writer got in between: a record of an older epoch never replaces
 * a newer one. A delete leaves a tombstone with the epoch for the same reason. `@nats-io/*` are
 * optional dependencies, loaded here.
 */
export class NatsStateStore implements StateStore {
  private constructor(
    private readonly kv: KV,
    private readonly connection: NatsConnection | null,
  ) {}

  /**
   * Opens (creating if needed) the bucket on a connection of its own to `servers`; `options` add
   * what else the connection needs (credentials, TLS: see `natsConnectOptions`).
   */
  static async connect(servers: string | string[], bucket = 'genserver-state', options: ConnectionOptions = {}): Promise<NatsStateStore> {
    const { connect } = await import('@nats-io/transport-node');
    const connection = await connect({ ...options, servers });
    try {
      return new NatsStateStore(await NatsStateStore.bucket(connection, bucket), connection);
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /** Opens the bucket on a connection the caller owns (and closes). */
  static async on(connection: NatsConnection, bucket = 'genserver-state'): Promise<NatsStateStore> {
    return new NatsStateStore(await NatsStateStore.bucket(connection, bucket), null);
  }

  private static async bucket(connection: NatsConnection, bucket: string): Promise<KV> {
    const { Kvm } = await import('@nats-io/kv');
    return new Kvm(connection).create(bucket, { history: 1 });
  }

  async load(name: string): Promise<StateRecord | undefined> {
    const entry = await this.kv.get(kvKey(name));
    if (entry === null || entry.operation !== 'PUT') return undefined;
    const text = entry.string();
    return isTombstone(text) ? undefined : decodeRecord(name, text);
  }

  async save(name: string, record: StateRecord): Promise<void> {
    const text = encodeRecord(record);
    await this.update(name, (stored) => {
      this.refuseStale(name, record.epoch, stored);
      return text;
    });
  }

  async delete(name: string, epoch?: number): Promise<void> {
    let plain = false;
    await this.update(name, (stored) => {
      const storedEpoch = this.refuseStale(name, epoch, stored);
      // A tombstone keeps the highest epoch, so fencing outlives the delete.
      const kept = Math.max(epoch ?? -Infinity, storedEpoch ?? -Infinity);
      if (kept !== -Infinity) return JSON.stringify({ deleted: true, epoch: kept });
      plain = true;
      return undefined;
    });
    if (plain) await this.kv.delete(kvKey(name));
  }

  async fence(name: string, epoch: number): Promise<void> {
    await this.update(name, (stored) => {
      const storedEpoch = stored === undefined ? undefined : epochOf(stored);
      if (storedEpoch !== undefined && storedEpoch >= epoch) return undefined;
      // The record keeps its state and takes the new epoch; none yet: a tombstone carries it.
      return stored === undefined ? JSON.stringify({ deleted: true, epoch }) : withEpoch(stored, epoch);
    });
  }

  async list(): Promise<string[]> {
    const names: string[] = [];
    for await (const key of await this.kv.keys()) {
      const record = await this.load(nameOfKvKey(key)).catch(() => undefined);
      if (record !== undefined) names.push(nameOfKvKey(key));
    }
    return names;
  }

  async close(): Promise<void> {
    await this.connection?.close();
  }

  /** The stored epoch; throws `StaleEpochError` when it is newer than `epoch`. */
  private refuseStale(name: string, epoch: number | undefined, stored: string | undefined): number | undefined {
    const storedEpoch = stored === undefined ? undefined : epochOf(stored);
    if (staleEpoch(epoch, storedEpoch)) throw new StaleEpochError(name, epoch!, storedEpoch!);
    return storedEpoch;
  }

  /**
   * Compare-and-set on the entry's revision, retried while other writers get in between: `next`
   * gets the stored text (`undefined`: none) and says what to write (`undefined`: nothing).
   */
  private async update(name: string, next: (stored: string | undefined) => string | undefined): Promise<void> {
    const key = kvKey(name);
    for (;;) {
      const entry = await this.kv.get(key);
      const live = entry !== null && entry.operation === 'PUT';
      const text = next(live ? entry.string() : undefined);
      if (text === undefined) return;
      try {
        if (live) await this.kv.update(key, text, entry.revision);
        else await this.kv.create(key, text);
        return;
      } catch (error) {
        if (!isCasConflict(error)) throw error;
      }
    }
  }
}

function isTombstone(text: string): boolean {
  return text.startsWith(DELETED.slice(0, -1));
}

/** The stored JSON with its epoch raised; text that is not a JSON object is replaced by a tombstone. */
function withEpoch(text: string, epoch: number): string {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return JSON.stringify({ ...parsed, epoch });
  } catch {
    // unreadable: the tombstone below keeps the epoch (the unreadable text is lost either way on the next save)
  }
  return JSON.stringify({ deleted: true, epoch });
}

function epochOf(text: string): number | undefined {
  try {
    const epoch = (JSON.parse(text) as { epoch?: unknown } | null)?.epoch;
    return Number.isInteger(epoch) ? (epoch as number) : undefined;
  } catch {
    return undefined;
  }
}
