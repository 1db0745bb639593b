import type { Subscription } from '@nats-io/transport-node';
import type { Activation, ActivatedCell } from '../process/activation.js';
import type { HeldLease } from './lease-table.js';

/** What an activation needs from its node. */
export interface ActivationHost {
  readonly self: string;
  claim(name: string, type: string): Promise<number | undefined>;
  leaseOf(name: string): HeldLease | undefined;
  /** Gives the claim up; `final`: the process stopped for good (its spec goes; a topology child's standbys stand down). */
  release(name: string, final: boolean, topology: boolean): Promise<void>;
  /** Subscribes the name's subject; resolves once the server has the subscription. */
  serve(name: string): Promise<Subscription>;
  ownerOf(name: string): string | undefined;
  /** Who runs `name` and under which epoch: this node while it serves it, else what the lease bucket says. */
  whereis(name: string): { node: string; epoch: number } | undefined;
  /** A topology child started afresh (not a standby taking over): a stop recorded earlier no longer holds. */
  startedAfresh(name: string): Promise<void>;
  /** Retries the claim of a standby until it wins. */
  standby(activation: NameActivation): void;
  /** No longer a standby (its claim was won). */
  forget(activation: NameActivation): void;
  /** Gone for good: its process was removed. */
  drop(activation: NameActivation): void;
}

/** One cluster-wide process's claim on its name on this node, and its subscription while it serves. */
export class NameActivation implements Activation {
  cell: ActivatedCell | null = null;
  private subscription: Subscription | null = null;
  private waiting = false;
  private retired = false;
  /** The lease this node claimed the name with, while it serves it. */
  private lease: HeldLease | null = null;

  constructor(
    private readonly host: ActivationHost,
    readonly name: string,
    private readonly type: string,
    /** A topology child: every node has it, and standbys wait to take it over. */
    private readonly topology: boolean,
  ) {}

  get valid(): boolean {
    return !this.waiting && this.lease !== null && this.lease.live;
  }

  async claim(fresh = false): Promise<number | undefined> {
    const epoch = await this.host.claim(this.name, this.type);
    if (epoch === undefined) return undefined;
    // Retired (its process stopped) while the claim was on its way: give it back at once.
    if (this.retired) {
      await this.host.release(this.name, false, this.topology);
      return undefined;
    }
    this.lease = this.host.leaseOf(this.name) ?? null;
    this.waiting = false;
    this.host.forget(this);
    if (fresh) await this.host.startedAfresh(this.name);
    this.subscription ??= await this.host.serve(this.name);
    return epoch;
  }

  standby(): void {
    this.waiting = true;
    this.lease = null;
    this.unsubscribe();
    this.host.standby(this);
  }

  async retire(release: boolean): Promise<void> {
    this.retired = true;
    this.waiting = true;
    this.lease = null;
    this.unsubscribe();
    this.host.drop(this);
    if (release) await this.host.release(this.name, true, this.topology);
  }

  owner(): string | undefined {
    return this.valid ? this.host.self : this.host.ownerOf(this.name);
  }

  epoch(): number | undefined {
    return this.host.whereis(this.name)?.epoch;
  }

  private unsubscribe(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }
}
