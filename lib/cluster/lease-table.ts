import { Logger } from '@nestjs/common';
import type { KV } from '@nats-io/kv';
import { isCasConflict, kvKey } from '../common/kv-key.js';
import { describeCause } from '../errors/describe-value.js';

/** A lease as its activation holds it: `live` until it is fenced or released (read per message: no lookup, no clock). */
export interface HeldLease {
  readonly epoch: number;
  readonly live: boolean;
}

/** One name this node owns: the epoch it claimed it with, the revision to renew from, and how long it may serve. */
interface Lease extends HeldLease {
  live: boolean;
  /** The process type, so other nodes can tell what runs under the name. */
  readonly type: string | undefined;
  revision: number;
  /** Local time until which this node may serve the name: the lease's end, as this node can know it. */
  validUntil: number;
  /** A renewal found another claim in the entry: it cannot be taken back. */
  lost?: boolean;
}

/** What the table tells its owner. */
export interface LeaseListener {
  /** A lease could not be renewed before it ended: stop serving `name` now (another node may claim it next). */
  fenced(name: string, epoch: number): void;
}

/**
 * Ownership of process names in a JetStream KV bucket whose max age is the lease TTL (nats-server
 * 2.9 has no per-key TTL and no expiry notice): a name is claimed with `create`, which only succeeds
 * when no live entry holds it, and renewed with compare-and-set on its revision. The revision of the
 * claim is the owner's **epoch**: revisions only grow, so a later owner's epoch is always higher.
 *
 * An owner serves a name only until `sentAt + ttl − margin`, where `sentAt` is taken before the
 * renewal it last saw succeed was sent: the server ages the entry from when it stored it, which is
 * later, so the owner stops (is fenced) before anyone else can claim. Renewals run every ttl / 3.
 * A timer fences each lease at that moment: messages check `live`, not the clock (a clock read costs
 * about 50 ns on a VM, twice per message). A fence can be late by the event loop's lag, which the
 * margin covers as it covers drift; a later one is caught by the stores' epoch check.
 */
export class LeaseTable {
  private readonly held = new Map<string, Lease>();
  /**
   * Leases this node was fenced from because renewals did not get through (a NATS outage), not
   * because another node claimed them: while the entry is still this claim's, it can be taken back
   * with compare-and-set on its revision, under the same epoch.
   */
  private readonly lapsed = new Map<string, Lease>();
  private timer: NodeJS.Timeout | null = null;
  /** Fences the lease that ends first, when it ends (armed again after every claim and renewal round). */
  private fenceTimer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly kv: KV,
    private readonly node: string,
    private readonly ttlMs: number,
    private readonly listener: LeaseListener,
    /** Room left for clock drift and delivery: a renewal must land this long before the lease ends. */
    private readonly marginMs = Math.max(50, Math.floor(ttlMs / 10)),
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Claims `name` for this node: its epoch, or `undefined` when a live lease of another claim holds it. */
  async claim(name: string, type?: string): Promise<number | undefined> {
    const held = this.epochOf(name);
    if (held !== undefined) return held;
    const sentAt = this.now();
    const lapsed = this.lapsed.get(name);
    if (lapsed !== undefined) {
      this.lapsed.delete(name);
      try {
        lapsed.revision = await this.kv.update(kvKey(name), leaseValue(this.node, lapsed.epoch, lapsed.type), lapsed.revision);
        lapsed.validUntil = sentAt + this.ttlMs - this.marginMs;
        lapsed.live = true;
        this.held.set(name, lapsed);
        this.schedule();
        this.armFence();
        return lapsed.epoch;
      } catch (error) {
        if (!isCasConflict(error)) throw error;
        // Someone else's claim, or the entry aged out: claim afresh below.
      }
    }
    let revision: number;
    try {
      revision = await this.kv.create(kvKey(name), leaseValue(this.node, undefined, type));
    } catch (error) {
      if (isCasConflict(error)) return undefined;
      throw error;
    }
    this.held.set(name, { epoch: revision, live: true, type, revision, validUntil: sentAt + this.ttlMs - this.marginMs });
    this.schedule();
    this.armFence();
    return revision;
  }

  /** The epoch this node holds `name` with and may still serve it under, if any. */
  epochOf(name: string): number | undefined {
    const lease = this.held.get(name);
    return lease?.live ? lease.epoch : undefined;
  }

  /** The lease this node holds on `name`, for its activation to check without a lookup. */
  leaseOf(name: string): HeldLease | undefined {
    return this.held.get(name);
  }

  /** Gives `name` up: deleted only if this node's claim is still the latest (compare-and-set). */
  async release(name: string): Promise<void> {
    this.lapsed.delete(name);
    const lease = this.held.get(name);
    if (!lease) return;
    lease.live = false;
    this.held.delete(name);
    // A renewal in flight moves the revision on: delete against the one it lands with.
    if (this.renewing) await this.renewing.catch(() => undefined);
    await this.kv.delete(kvKey(name), { previousSeq: lease.revision }).catch(() => undefined);
  }

  /**
   * Stops renewing: the leases end on their own at their TTL, and `epochOf` stops answering for
   * each one at the moment this node may no longer serve it.
   */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round of renewals and fencing; the timer calls it every ttl / 3. */
  renewAll(): Promise<void> {
    return (this.renewing ??= this.renewRound().finally(() => (this.renewing = null)));
  }

  private async renewRound(): Promise<void> {
    await Promise.all([...this.held].map(([name, lease]) => this.renew(name, lease)));
    this.fenceExpired();
    this.armFence();
  }

  /** Arms the fence timer for the lease that ends first (a timer that fires early finds it live and re-arms). */
  private armFence(): void {
    if (this.fenceTimer) clearTimeout(this.fenceTimer);
    this.fenceTimer = null;
    let first = Infinity;
    for (const lease of this.held.values()) first = Math.min(first, lease.validUntil);
    if (first === Infinity) return;
    this.fenceTimer = setTimeout(() => {
      this.fenceTimer = null;
      this.fenceExpired();
      this.armFence();
    }, Math.max(0, first - this.now()));
    this.fenceTimer.unref();
  }

  private async renew(name: string, lease: Lease): Promise<void> {
    const sentAt = this.now();
    try {
      lease.revision = await this.kv.update(kvKey(name), leaseValue(this.node, lease.epoch, lease.type), lease.revision);
      lease.validUntil = sentAt + this.ttlMs - this.marginMs;
    } catch (error) {
      // Someone else's revision is there now: the lease is gone for good.
      if (isCasConflict(error)) {
        lease.validUntil = 0;
        lease.live = false;
        lease.lost = true;
      }
      else Logger.warn(`lease of "${name}" not renewed: ${describeCause(error)}`, 'GenServerCluster');
    }
  }

  private fenceExpired(): void {
    const now = this.now();
    for (const [name, lease] of this.held) {
      if (now < lease.validUntil) continue;
      lease.live = false;
      this.held.delete(name);
      if (!lease.lost) this.lapsed.set(name, lease);
      if (!this.closed) this.listener.fenced(name, lease.epoch);
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.renewAll(), Math.max(10, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }
}

/** Who holds a lease: the owner node, its epoch and the process type. */
export interface LeaseHolder {
  readonly node: string;
  readonly epoch: number;
  readonly type: string | undefined;
}

/**
 * What a lease entry holds: the owner and the process type, and from the first renewal on the epoch
 * too (the entry's own revision changes with every renewal; the claim's revision is the epoch).
 */
export function leaseValue(node: string, epoch?: number, type?: string): string {
  return JSON.stringify({ node, epoch, type });
}

/** The holder of a lease entry, given the entry's revision (the epoch until the first renewal says it). */
export function readLease(value: string, revision: number): LeaseHolder {
  try {
    const parsed = JSON.parse(value) as { node?: unknown; epoch?: unknown; type?: unknown } | null;
    if (parsed !== null && typeof parsed === 'object' && typeof parsed.node === 'string') {
      return { node: parsed.node, epoch: Number.isInteger(parsed.epoch) ? (parsed.epoch as number) : revision, type: typeof parsed.type === 'string' ? parsed.type : undefined };
    }
  } catch {
    // not JSON: a bare node name
  }
  return { node: value, epoch: revision, type: undefined };
}
