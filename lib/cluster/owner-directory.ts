import type { KV } from '@nats-io/kv';
import { KvView, type ViewEntry, type ViewListener } from './kv-view.js';
import { readLease, type LeaseHolder } from './lease-table.js';

/** Who runs a cluster-wide name, as the lease bucket says. */
export type Owner = LeaseHolder;

/**
 * Every node's view of who owns which cluster-wide name, read from the lease bucket as it changes
 * (whereis, tree, nodes). It lags the bucket by one delivery; routing never depends on it.
 */
export class OwnerDirectory implements ViewListener {
  private readonly view: KvView;
  private readonly owners = new Map<string, Owner>();

  constructor(kv: KV, ttlMs: number, private readonly released: (name: string, owner: Owner) => void) {
    this.view = new KvView(kv, ttlMs, this, 'the lease bucket');
  }

  open(): Promise<void> {
    return this.view.open();
  }

  close(): void {
    this.view.close();
  }

  ownerOf(name: string): Owner | undefined {
    return this.owners.get(name);
  }

  /** Names each node owns. */
  byNode(): Map<string, string[]> {
    const byNode = new Map<string, string[]>();
    for (const [name, { node }] of this.owners) {
      const names = byNode.get(node);
      if (names) names.push(name);
      else byNode.set(node, [name]);
    }
    return byNode;
  }

  written(name: string, entry: ViewEntry): void {
    this.owners.set(name, readLease(entry.value, entry.revision));
  }

  removed(name: string): void {
    const owner = this.owners.get(name);
    this.owners.delete(name);
    if (owner) this.released(name, owner);
  }
}
