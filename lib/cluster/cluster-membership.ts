import { Logger } from '@nestjs/common';
import type { KV } from '@nats-io/kv';
import { kvKey } from '../common/kv-key.js';
import { describeCause } from '../errors/describe-value.js';
import { KvView, type BucketHandles, type ViewEntry, type ViewListener } from './kv-view.js';

/** What a node announces about itself with every heartbeat. */
interface Heartbeat {
  /** Cluster-wide processes it runs now: `node: 'any'` placement picks the node with fewest. */
  readonly processes: number;
}

/** What membership tells the node. */
export interface MembershipListener {
  nodeUp(node: string): void;
  nodeDown(node: string): void;
}

/**
 * The live nodes of the cluster: each node rewrites its own entry in the nodes bucket every third of
 * the lease TTL; one whose entry was not rewritten for a whole TTL (or was deleted when it left) is down.
 */
export class ClusterMembership implements ViewListener {
  private readonly view: KvView;
  private timer: NodeJS.Timeout | null = null;
  private readonly kv: KV;

  constructor(
    bucket: BucketHandles,
    readonly self: string,
    private readonly ttlMs: number,
    private readonly load: () => number,
    private readonly listener: MembershipListener,
  ) {
    this.kv = bucket.written;
    this.view = new KvView(bucket.watched, ttlMs, this, 'the nodes bucket');
  }

  async open(): Promise<void> {
    await this.beat();
    await this.view.open();
    this.timer = setInterval(() => void this.beat(), Math.max(10, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  /** Live nodes with the number of cluster-wide processes each runs, by name. */
  nodes(): Map<string, number> {
    const nodes = new Map<string, number>();
    for (const [node, entry] of this.view.entries) nodes.set(node, readHeartbeat(entry.value).processes);
    return nodes;
  }

  isLive(node: string): boolean {
    return this.view.entries.has(node);
  }

  /** Leaves: the entry is deleted, so the others see this node down at once. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.view.close();
    await this.kv.delete(kvKey(this.self)).catch(() => undefined);
  }

  written(node: string, _entry: ViewEntry, previous: ViewEntry | undefined): void {
    if (previous === undefined) this.listener.nodeUp(node);
  }

  removed(node: string): void {
    this.listener.nodeDown(node);
  }

  private async beat(): Promise<void> {
    const heartbeat: Heartbeat = { processes: this.load() };
    try {
      await this.kv.put(kvKey(this.self), JSON.stringify(heartbeat));
    } catch (error) {
      Logger.warn(`heartbeat of node "${this.self}" not written: ${describeCause(error)}`, 'GenServerCluster');
    }
  }
}

function readHeartbeat(value: string): Heartbeat {
  try {
    const parsed = JSON.parse(value) as Partial<Heartbeat> | null;
    return { processes: typeof parsed?.processes === 'number' ? parsed.processes : 0 };
  } catch {
    return { processes: 0 };
  }
}
