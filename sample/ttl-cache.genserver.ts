import { GenServer, GenServerProcess, HandleCall, HandleInfo } from 'nestjs-genserver';
import { Clock } from './clock.service.js';

const EVICT_EVERY_MS = 10_000;

interface Entry {
  value: unknown;
  expiresAt: number;
}

export type CacheReply = { hit: false } | { hit: true; value: unknown };

/** The seed's TTL cache: reads, writes and the eviction sweep never interleave. */
@GenServer('cache')
export class TtlCache extends GenServerProcess<{ entries: Map<string, Entry> }> {
  constructor(private readonly clock: Clock) {
    super();
  }

  override init() {
    this.state = { entries: new Map() };
    this.sendAfter(EVICT_EVERY_MS, { type: 'evict' });
  }

  @HandleCall('get')
  get(msg: { type: 'get'; key: string }): CacheReply {
    const entry = this.state.entries.get(msg.key);
    if (!entry) return { hit: false };
    if (this.clock.now() > entry.expiresAt) {
      this.state.entries.delete(msg.key);
      return { hit: false };
    }
    return { hit: true, value: entry.value };
  }

  @HandleCall('set')
  set(msg: { type: 'set'; key: string; value: unknown; ttlMs?: number }) {
    this.state.entries.set(msg.key, { value: msg.value, expiresAt: this.clock.now() + (msg.ttlMs ?? 60_000) });
    return { ok: true };
  }

  @HandleInfo('evict')
  evict() {
    const now = this.clock.now();
    for (const [key, entry] of this.state.entries) if (entry.expiresAt <= now) this.state.entries.delete(key);
    this.sendAfter(EVICT_EVERY_MS, { type: 'evict' });
  }
}
