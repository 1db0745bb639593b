import { Logger } from '@nestjs/common';
import type { KV } from '@nats-io/kv';
import { nameOfKvKey } from '../common/kv-key.js';
import { describeCause } from '../errors/describe-value.js';

/** One live entry as this node last saw it. */
export interface ViewEntry {
  readonly value: string;
  readonly revision: number;
  /** `performance.now()` when it was last written (as seen here). */
  seenAt: number;
}

/** What a view tells its owner. */
export interface ViewListener {
  /** Written: `previous` is what this node saw before (`undefined`: a new entry). */
  written(key: string, entry: ViewEntry, previous: ViewEntry | undefined): void;
  /** Deleted, or not rewritten for `ttlMs`: its writer is gone (nats-server 2.9 says nothing when an entry ages out). */
  removed(key: string, entry: ViewEntry): void;
}

/** One bucket seen through two JetStream contexts: one patient enough to set up a watch, one that gives up on a write within a renewal period. */
export interface BucketHandles {
  watched: KV;
  written: KV;
}

/**
 * A live local copy of a KV bucket whose entries are rewritten by their owners every third of
 * `ttlMs`. Keys are decoded (`nameOfKvKey`). An entry not rewritten for `ttlMs` counts as gone: the
 * bucket's max age ends it on the server at the same time, without any notice to watchers.
 */
export class KvView {
  readonly entries = new Map<string, ViewEntry>();
  private timer: NodeJS.Timeout | null = null;
  private stopWatch: (() => void) | null = null;
  private lastSweep = 0;
  private readonly sweepMs: number;

  constructor(
    private readonly kv: KV,
    private readonly ttlMs: number,
    private readonly listener: ViewListener,
    private readonly what: string,
  ) {
    this.sweepMs = Math.max(20, Math.floor(ttlMs / 6));
  }

  /** Starts watching; resolves once the entries that exist now are loaded. */
  async open(): Promise<void> {
    const watch = await this.kv.watch();
    this.stopWatch = () => watch.stop();
    let caughtUp: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    void (async () => {
      try {
        for await (const entry of watch) {
          const key = nameOfKvKey(entry.key);
          if (entry.operation === 'PUT') this.put(key, entry.string(), entry.revision);
          else this.drop(key);
          if (entry.delta === 0) caughtUp();
        }
      } catch (error) {
        Logger.warn(`watch of ${this.what} ended: ${describeCause(error)}`, 'GenServerCluster');
      }
    })();
    try {
      // An empty bucket delivers nothing to catch up with.
      const status = await this.kv.status();
      if (status.values === 0) caughtUp();
    } catch (error) {
      // A watch left running would keep its heartbeat timer (and the process) alive after the connection closes.
      this.close();
      throw error;
    }
    await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, Math.min(this.ttlMs, 2000)).unref())]);
    this.lastSweep = performance.now();
    this.timer = setInterval(() => this.sweep(), this.sweepMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopWatch?.();
    this.stopWatch = null;
  }

  private put(key: string, value: string, revision: number): void {
    const previous = this.entries.get(key);
    const entry: ViewEntry = { value, revision, seenAt: performance.now() };
    this.entries.set(key, entry);
    this.listener.written(key, entry, previous);
  }

  private drop(key: string): void {
    const known = this.entries.get(key);
    if (known === undefined) return;
    this.entries.delete(key);
    this.listener.removed(key, known);
  }

  private sweep(): void {
    const now = performance.now();
    const late = now - this.lastSweep > 2 * this.sweepMs;
    this.lastSweep = now;
    // This node's event loop stalled: the rewrites that came meanwhile are still unread, so an entry
    // looks old only because this node did not look. Everyone gets one more TTL.
    if (late) {
      for (const entry of this.entries.values()) entry.seenAt = Math.max(entry.seenAt, now - this.sweepMs);
      return;
    }
    const oldest = now - this.ttlMs;
    for (const [key, entry] of this.entries) if (entry.seenAt < oldest) this.drop(key);
  }
}
