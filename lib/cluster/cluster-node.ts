import { Logger } from '@nestjs/common';
import type { KV } from '@nats-io/kv';
import type { ConnectionOptions, Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { isCasConflict, kvKey } from '../common/kv-key.js';
import { describeCause } from '../errors/describe-value.js';
import { settleWithin } from '../process/settle-within.js';
import { GenServerError } from '../errors/genserver.error.js';
import type { GenServerEvent } from '../process/process-events.js';
import { describeReason, type ExitReason } from '../process/exit-reason.js';
import { ClusterMembership, type MembershipListener } from './cluster-membership.js';
import { ClusterRouter, guarded, type RouterHost } from './cluster-router.js';
import { LeaseTable, type HeldLease, type LeaseListener } from './lease-table.js';
import type { BucketHandles } from './kv-view.js';
import { NameActivation, type ActivationHost } from './name-activation.js';
import { OwnerDirectory, type Owner } from './owner-directory.js';
import { SpecRegistry, type StartSpec } from './spec-registry.js';
import { decodeAnswer, encodeAnswer } from './wire-codec.js';
import { deserialize, serialize } from 'node:v8';
import { AlreadyStartedError } from '../errors/already-started.error.js';
import { NoSuchNodeError } from '../errors/no-such-node.error.js';
import { InvalidPayloadError } from '../errors/invalid-payload.error.js';
import { describeNonPlainDataDeep } from '../runtime/plain-data.js';
import type { StartOptions } from '../interfaces/process-info.interface.js';

/** How this node joins: what the module's `cluster` options resolve to. */
export interface ClusterConfig {
  readonly node: string;
  readonly prefix: string;
  readonly leaseTtlMs: number;
  readonly maxInFlight: number;
  /** Servers, TLS and credentials, as the NATS client takes them. */
  readonly connection: ConnectionOptions;
}

/** What the node needs from the runtime around it. */
export interface ClusterHost extends RouterHost {
  /** Starts a process on this node (a placement from another node, or a re-activation). */
  startLocal(type: string, options: StartOptions): Promise<void>;
  /** Stops a process this node runs (asked by another node). */
  stopLocal(name: string, reason: ExitReason): Promise<void>;
  /** The app is closing: its processes stop because the node leaves, not for good. */
  readonly leaving: boolean;
  emit(event: GenServerEvent): void;
  /** A process another node ran went down there, or its node was lost (`noconnection`). */
  remoteDown(name: string, reason: string): void;
}

/** What one node asks another to do. */
type ControlRequest = { readonly op: 'start'; readonly type: string; readonly options: StartOptions } | { readonly op: 'stop'; readonly name: string; readonly reason: ExitReason };

/** A live node of `runtime.nodes()`. */
export interface ClusterNodeInfo {
  readonly node: string;
  /** Cluster-wide processes it runs (as its last heartbeat said, or as the lease bucket says). */
  readonly processes: readonly string[];
}

/**
 * This Nest instance as a node of the cluster: its NATS connection, the lease table of the names it
 * owns, the directory of who owns the rest, the membership of live nodes, and the router. Standby
 * processes (a topology child another node runs) retry their claim every third of the lease TTL,
 * and at once when a node goes down or a name is released.
 */
export class ClusterNode implements ActivationHost, LeaseListener, MembershipListener {
  readonly router: ClusterRouter;
  private readonly activations = new Map<string, NameActivation>();
  private readonly standbys = new Set<NameActivation>();
  /** Names of other nodes' processes that processes here monitor: the node last known to run each, and the DOWN subscription. */
  private readonly watched = new Map<string, { node: string | undefined; subscription: Subscription }>();
  private readonly leases: LeaseTable;
  private readonly membership: ClusterMembership;
  private readonly directory: OwnerDirectory;
  private readonly specs: SpecRegistry;
  private control: Subscription | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private claimTimer: NodeJS.Timeout | null = null;
  private claiming: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly config: ClusterConfig,
    private readonly host: ClusterHost,
    leases: BucketHandles,
    nodes: BucketHandles,
    specs: KV,
    inbox: string,
  ) {
    this.leases = new LeaseTable(leases.written, config.node, config.leaseTtlMs, this);
    this.specs = new SpecRegistry(specs);
    this.directory = new OwnerDirectory(leases.watched, config.leaseTtlMs, (name, owner) => this.released(name, owner));
    this.membership = new ClusterMembership(nodes, config.node, config.leaseTtlMs, () => this.activations.size - this.standbys.size, this);
    this.router = new ClusterRouter(nc, host, config.prefix, config.maxInFlight, inbox);
  }

  /**
   * Connects, opens (or creates) the cluster's buckets and announces this node. A connection that is
   * refused (wrong credentials, an untrusted certificate, no server) fails with a `GenServerError`
   * that says which.
   */
  static async join(config: ClusterConfig, host: ClusterHost): Promise<ClusterNode> {
    const { connect, createInbox } = await import('@nats-io/transport-node');
    const { Kvm } = await import('@nats-io/kv');
    const { jetstream } = await import('@nats-io/jetstream');
    let nc: NatsConnection;
    try {
      nc = await connect({ maxReconnectAttempts: -1, reconnectTimeWait: 250, ...config.connection, name: `genserver ${config.node}` });
    } catch (error) {
      throw new GenServerError(`cluster node "${config.node}" could not connect to NATS at ${String(config.connection.servers)}: ${describeCause(error)}`, { cause: error });
    }
    try {
      // Setting up (buckets, watches) may take seconds on a loaded server; a lease or heartbeat write
      // that takes longer than a renewal period is no use: it fails and is retried (the client's
      // default of 5 s would hold every renewal and claim up through a NATS outage). So two contexts.
      const setup = new Kvm(jetstream(nc, { timeout: Math.max(10_000, config.leaseTtlMs * 2) }));
      const writes = new Kvm(jetstream(nc, { timeout: Math.max(250, Math.floor(config.leaseTtlMs / 3)) }));
      const bucket = (name: string) =>
        setup.create(name, { ttl: config.leaseTtlMs, history: 1 }).catch((error: unknown) => {
          throw new GenServerError(`cluster bucket "${name}" could not be opened (every node must use the same leaseTtlMs and prefix): ${describeCause(error)}`, { cause: error });
        });
      const leases = { watched: await bucket(`${config.prefix}-leases`), written: await writes.open(`${config.prefix}-leases`) };
      const nodes = { watched: await bucket(`${config.prefix}-nodes`), written: await writes.open(`${config.prefix}-nodes`) };
      const specs = await setup.create(`${config.prefix}-specs`, { history: 1 });
      await claimNodeName(nodes.watched, config.node, config.leaseTtlMs);
      const node = new ClusterNode(nc, config, host, leases, nodes, specs, createInbox(`${config.prefix}._INBOX`));
      try {
        await node.open();
      } catch (error) {
        // Whatever it opened (watches, timers, subscriptions) goes with it.
        await node.close();
        throw error;
      }
      return node;
    } catch (error) {
      await nc.close().catch(() => undefined);
      throw error;
    }
  }

  private async open(): Promise<void> {
    await this.directory.open();
    await this.membership.open();
    this.control = this.nc.subscribe(this.controlSubject(this.self), { callback: guarded((msg) => void this.controlled(msg)) });
    this.claimTimer = setInterval(() => this.claimSoon(), Math.max(10, Math.floor(this.config.leaseTtlMs / 3)));
    this.claimTimer.unref();
    // Dynamic processes whose node went while no other node was up to see it: looked for now and then.
    this.sweepTimer = setInterval(() => void this.reactivateOrphans(), Math.max(100, this.config.leaseTtlMs * 3));
    this.sweepTimer.unref();
    void this.reactivateOrphans();
    void this.watchConnection();
    // However the connection ends (closed by someone else too), the watches and timers end with it:
    // a KV watch left running keeps its heartbeat timer, and the process, alive.
    void this.nc.closed().then(() => this.close());
  }

  get self(): string {
    return this.config.node;
  }

  /** The claim of a cluster-wide process's name on this node (one per process cell). */
  activation(name: string, type: string, topology: boolean): NameActivation {
    const activation = new NameActivation(this, name, type, topology);
    this.activations.set(name, activation);
    return activation;
  }

  /** Who runs `name`: this node while it serves it, else what the lease bucket says. */
  whereis(name: string): { node: string; epoch: number; type?: string } | undefined {
    const epoch = this.leases.epochOf(name);
    if (epoch !== undefined) return { node: this.self, epoch };
    const owner = this.directory.ownerOf(name);
    return owner && owner.node !== this.self ? owner : undefined;
  }

  /** The live nodes and the cluster-wide processes each runs, this node first. */
  nodes(): ClusterNodeInfo[] {
    const owned = this.directory.byNode();
    const live = [...this.membership.nodes().keys()];
    if (!live.includes(this.self)) live.unshift(this.self);
    const mine = [...this.activations.keys()].filter((name) => this.leases.epochOf(name) !== undefined);
    return live
      .sort((a, b) => (a === this.self ? -1 : b === this.self ? 1 : a.localeCompare(b)))
      .map((node) => ({ node, processes: node === this.self ? mine : owned.get(node) ?? [] }));
  }

  /** The live node running the fewest cluster-wide processes (placement `node: 'any'`). */
  leastLoaded(): string {
    let best = this.self;
    let fewest = Infinity;
    for (const [node, processes] of this.membership.nodes()) {
      if (processes < fewest || (processes === fewest && node === this.self)) [best, fewest] = [node, processes];
    }
    return best;
  }

  isLive(node: string): boolean {
    return node === this.self || this.membership.isLive(node);
  }

  /** Leaves the cluster: stops claiming and renewing, deletes this node's heartbeat, closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.claimTimer) clearInterval(this.claimTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.control?.unsubscribe();
    this.leases.close();
    this.directory.close();
    await this.membership.close();
    this.router.close();
    // A connection that cannot drain (a server gone for good) is closed after a lease TTL at most.
    const drained = this.nc.drain().catch(() => undefined);
    if (!(await settleWithin(drained, this.config.leaseTtlMs))) await this.nc.close().catch(() => undefined);
  }

  // ---- placement and re-activation ----

  /**
   * Starts a process on another node (`runtime.start(…, { node })`): resolves when its `init` has run
   * there; rejects with the error that node's start gave, or `NoSuchNodeError` when it is not live.
   */
  async startOn(node: string, type: string, options: StartOptions): Promise<void> {
    const found = describeNonPlainDataDeep(options);
    if (found !== undefined) throw new InvalidPayloadError(options.name, 'payload', undefined, `start options that can go to node "${node}" (${found})`);
    await this.ask(node, { op: 'start', type, options }, Math.max(60_000, this.config.leaseTtlMs * 2));
  }

  /** Stops a process that another node runs (`runtime.stop` from any node): resolves once it has stopped there. */
  async stopOn(node: string, name: string, reason: ExitReason): Promise<void> {
    const found = describeNonPlainDataDeep(reason);
    await this.ask(node, { op: 'stop', name, reason: found === undefined ? reason : describeReason(reason) }, 60_000);
  }

  private async ask(node: string, request: ControlRequest, timeoutMs: number): Promise<void> {
    if (!this.isLive(node)) throw new NoSuchNodeError(node, [...this.membership.nodes().keys()]);
    const bytes = serialize(request);
    let reply;
    try {
      reply = await this.nc.request(this.controlSubject(node), bytes, { timeout: timeoutMs });
    } catch (error) {
      throw new NoSuchNodeError(node, [...this.membership.nodes().keys()].filter((live) => live !== node));
    }
    const answer = decodeAnswer(reply.data);
    if (answer === undefined) throw new GenServerError(`node "${node}" gave an answer this node cannot read`);
    if (!answer.ok) throw answer.value;
  }

  /** A dynamic cluster-wide process was started here: remember how, so another node can bring it back. */
  async remember(name: string, spec: StartSpec): Promise<void> {
    try {
      await this.specs.put(name, spec);
    } catch (error) {
      Logger.warn(`"${name}" will not be started again on another node: its start options cannot be stored (${describeCause(error)})`, 'GenServerCluster');
    }
  }

  private controlSubject(node: string): string {
    return `${this.config.prefix}.n.${kvKey(node)}`;
  }

  /** A request from another node: start a process here (placement), or stop one this node runs. */
  private async controlled(msg: Msg): Promise<void> {
    let ok = true;
    let value: unknown;
    try {
      const request = deserialize(msg.data) as ControlRequest;
      if (request.op === 'stop') await this.host.stopLocal(request.name, request.reason);
      else await this.host.startLocal(request.type, request.options);
    } catch (error) {
      ok = false;
      value = error;
    }
    try {
      msg.respond(encodeAnswer(ok, value));
    } catch {
      // the asking node has gone: nothing to answer
    }
  }

  /** A lease ended (its owner stopped it, left, or was lost): a standby may claim it; a dynamic one may come back. */
  private released(name: string, owner: Owner): void {
    this.claimSoon();
    if (owner.node !== this.self) void this.reactivate(name);
  }

  /** Starts `name` here from its spec, if it has one and no node runs it; losing the claim to another node is fine. */
  private async reactivate(name: string): Promise<void> {
    if (this.closed || this.directory.ownerOf(name) !== undefined || this.activations.has(name)) return;
    const spec = await this.specs.get(name).catch(() => undefined);
    if (spec === undefined || this.closed) return;
    try {
      await this.host.startLocal(spec.type, spec.options);
      Logger.log(`"${name}" started again on node "${this.self}" (the node that ran it is gone)`, 'GenServerCluster');
    } catch (error) {
      if (!(error instanceof AlreadyStartedError)) Logger.warn(`"${name}" could not be started again here: ${describeCause(error)}`, 'GenServerCluster');
    }
  }

  private async reactivateOrphans(): Promise<void> {
    const names = await this.specs.names().catch(() => [] as string[]);
    for (const name of names) await this.reactivate(name);
  }

  // ---- monitors across nodes ----

  /** A process here monitors `name`, run by another node: its DOWN comes over NATS, or `noconnection`. */
  watchRemote(name: string): void {
    const known = this.watched.get(name);
    const node = this.whereis(name)?.node;
    if (known) {
      known.node ??= node;
      return;
    }
    const subscription = this.nc.subscribe(this.downSubject(name), {
      callback: guarded((msg) => {
        this.unwatch(name);
        this.host.remoteDown(name, msg.string());
      }),
    });
    this.watched.set(name, { node, subscription });
  }

  /** A cluster-wide process of this node went down: monitors on other nodes are told. */
  publishDown(name: string, reason: ExitReason): void {
    try {
      this.nc.publish(this.downSubject(name), describeReason(reason));
    } catch {
      // closed: the watchers' nodes see this node go down instead (noconnection)
    }
  }

  private downSubject(name: string): string {
    return `${this.config.prefix}.down.${kvKey(name)}`;
  }

  /** No monitor here watches `name` any more. */
  unwatch(name: string): void {
    this.watched.get(name)?.subscription.unsubscribe();
    this.watched.delete(name);
  }

  // ---- ActivationHost ----

  claim(name: string, type: string): Promise<number | undefined> {
    return this.leases.claim(name, type);
  }

  leaseOf(name: string): HeldLease | undefined {
    return this.leases.leaseOf(name);
  }

  async release(name: string, final: boolean, topology: boolean): Promise<void> {
    // Stopped for good (not because this node leaves): it must not come back elsewhere.
    if (final && this.leases.epochOf(name) !== undefined && !this.host.leaving) {
      await (topology ? this.specs.markStopped(name) : this.specs.delete(name)).catch(() => undefined);
    }
    await this.leases.release(name);
  }

  async serve(name: string): Promise<Subscription> {
    const subscription = this.router.serve(name);
    // Reachable from every node once the server has the subscription.
    await this.nc.flush();
    return subscription;
  }

  ownerOf(name: string): string | undefined {
    return this.directory.ownerOf(name)?.node;
  }

  async startedAfresh(name: string): Promise<void> {
    await this.specs.clearStopped(name).catch(() => undefined);
  }

  standby(activation: NameActivation): void {
    this.standbys.add(activation);
  }

  forget(activation: NameActivation): void {
    this.standbys.delete(activation);
  }

  drop(activation: NameActivation): void {
    this.standbys.delete(activation);
    if (this.activations.get(activation.name) === activation) this.activations.delete(activation.name);
  }

  // ---- LeaseListener, MembershipListener ----

  fenced(name: string, epoch: number): void {
    Logger.warn(`lease of "${name}" (epoch ${epoch}) was not renewed in time: no longer handled on node "${this.self}"`, 'GenServerCluster');
    this.host.emit({ type: 'fenced', name, at: Date.now(), epoch });
    this.activations.get(name)?.cell?.fenced();
  }

  nodeUp(node: string): void {
    if (node !== this.self) this.host.emit({ type: 'node-up', name: node, node, at: Date.now() });
  }

  nodeDown(node: string): void {
    if (node === this.self) return;
    this.router.nodeDown(node);
    this.host.emit({ type: 'node-down', name: node, node, at: Date.now() });
    for (const [name, watch] of this.watched) {
      if (watch.node !== node) continue;
      this.unwatch(name);
      this.host.remoteDown(name, 'noconnection');
    }
    this.claimSoon();
  }

  // ---- standbys ----

  /** One round of claims for the standby processes (one at a time: rounds never overlap). */
  private claimSoon(): void {
    if (this.closed || this.standbys.size === 0 || this.claiming) return;
    this.claiming = this.claimRound().finally(() => (this.claiming = null));
  }

  private async claimRound(): Promise<void> {
    for (const activation of [...this.standbys]) {
      if (this.closed || !this.standbys.has(activation)) continue;
      let epoch: number | undefined;
      try {
        epoch = await activation.claim();
      } catch (error) {
        Logger.warn(`claim of "${activation.name}" failed: ${describeCause(error)}`, 'GenServerCluster');
        continue;
      }
      if (epoch === undefined) continue;
      // Stopped for good where it ran: the standbys stand down rather than take it over.
      if (await this.specs.isStopped(activation.name).catch(() => false)) activation.cell?.standDown();
      else activation.cell?.activated(epoch);
    }
  }

  /** Connection trouble is logged once per change; the client reconnects on its own. */
  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') Logger.warn(`NATS ${status.type} (node "${this.self}")`, 'GenServerCluster');
    }
  }
}

/**
 * Takes this node's name in the nodes bucket: a name another live node uses is refused. An entry
 * left by an earlier run of this node (killed before it could leave) ends within one TTL: wait for it.
 */
async function claimNodeName(nodes: KV, node: string, ttlMs: number): Promise<void> {
  const until = performance.now() + ttlMs * 2;
  for (;;) {
    try {
      await nodes.create(kvKey(node), JSON.stringify({ processes: 0 }));
      return;
    } catch (error) {
      if (!isCasConflict(error)) throw error;
    }
    if (performance.now() > until) throw new GenServerError(`another live node is named "${node}": every node of a cluster needs its own name (cluster.node)`);
    await new Promise((resolve) => setTimeout(resolve, Math.max(50, Math.floor(ttlMs / 6))));
  }
}
