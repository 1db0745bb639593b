import type { Redis } from 'ioredis';
import { StaleEpochError } from '../errors/stale-epoch.error.js';
import { decodeRecord, encodeRecord } from './state-codec.js';

/** KEYS: record, epoch. ARGV: record text, epoch. Writes both unless a higher epoch is stored; returns that epoch, or nil. */
const SAVE_IF_NOT_STALE = `
local stored = tonumber(redis.call('GET', KEYS[2]))
local epoch = tonumber(ARGV[2])
if stored and stored > epoch then return stored end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
return nil
`;
/** KEYS: record, epoch. ARGV: epoch. Deletes the record unless a higher epoch is stored; returns that epoch, or nil. */
const DELETE_IF_NOT_STALE = `
local stored = tonumber(redis.call('GET', KEYS[2]))
if stored and stored > tonumber(ARGV[1]) then return stored end
redis.call('DEL', KEYS[1])
return nil
`;
/** KEYS: epoch. ARGV: epoch. Raises the stored epoch, never lowers it. */
const RAISE_EPOCH = `
local stored = tonumber(redis.call('GET', KEYS[1]))
if stored == nil or stored < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return nil
`;
import type { StateRecord, StateStore } from '../interfaces/state-store.interface.js';

/**
 * Redis: records are JSON strings under `<keyPrefix>state:<name>`; unreadable ones are renamed to
 * `<keyPrefix>corrupt:<name>:<time>`. `ioredis` is an optional dependency, loaded here.
 */
export class RedisStateStore implements StateStore {
  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  static async connect(url = 'redis://127.0.0.1:6379', keyPrefix = 'genserver:'): Promise<RedisStateStore> {
    const { Redis } = await import('ioredis');
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    return new RedisStateStore(redis, keyPrefix);
  }

  private key(name: string): string {
    return `${this.prefix}state:${name}`;
  }

  async load(name: string): Promise<StateRecord | undefined> {
    const text = await this.redis.get(this.key(name));
    return text === null ? undefined : decodeRecord(name, text);
  }

  async save(name: string, record: StateRecord): Promise<void> {
    if (record.epoch === undefined) {
      await this.redis.set(this.key(name), encodeRecord(record));
      return;
    }
    // Compare and write in one script: no other writer can slip in between.
    const stored = (await this.redis.eval(SAVE_IF_NOT_STALE, 2, this.key(name), this.epochKey(name), encodeRecord(record), String(record.epoch))) as number | null;
    if (stored !== null) throw new StaleEpochError(name, record.epoch, Number(stored));
  }

  /** The highest epoch written for `name`; kept when the record is deleted, so fencing outlives it. */
  private epochKey(name: string): string {
    return `${this.prefix}epoch:${name}`;
  }

  async fence(name: string, epoch: number): Promise<void> {
    await this.redis.eval(RAISE_EPOCH, 1, this.epochKey(name), String(epoch));
  }

  async delete(name: string, epoch?: number): Promise<void> {
    if (epoch === undefined) {
      await this.redis.del(this.key(name));
      return;
    }
    const stored = (await this.redis.eval(DELETE_IF_NOT_STALE, 2, this.key(name), this.epochKey(name), String(epoch))) as number | null;
    if (stored !== null) throw new StaleEpochError(name, epoch, Number(stored));
  }

  async list(): Promise<string[]> {
    const names: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}state:*`, 'COUNT', 500);
      cursor = next;
      names.push(...keys.map((key) => key.slice(this.key('').length)));
    } while (cursor !== '0');
    return names;
  }

  async moveAside(name: string, reason: string): Promise<void> {
    const aside = `${this.prefix}corrupt:${name}:${Date.now()}`;
    await this.redis.multi().rename(this.key(name), aside).hset(`${aside}:why`, 'reason', reason).exec();
  }

  /** Keys of the records moved aside. */
  async listAside(): Promise<string[]> {
    return (await this.redis.keys(`${this.prefix}corrupt:*`)).filter((key) => !key.endsWith(':why'));
  }

  /** Writes an arbitrary value as the record of `name` (tests use it to make a corrupt record). */
  async putRaw(name: string, text: string): Promise<void> {
    await this.redis.set(this.key(name), text);
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}
