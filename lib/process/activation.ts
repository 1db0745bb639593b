/**
 * A cluster-wide process's claim on its name, as its cell sees it. Only one node at a time holds
 * the claim (a lease whose revision is the **epoch**); only that node runs `init` and handles messages.
 */
export interface Activation {
  /**
   * Claims the name for this node and serves it (reachable from every node once this resolves):
   * its epoch, or `undefined` when another node holds it. A claim already held answers its epoch.
   * `fresh`: a topology child's first start, which also clears a stop recorded for the name.
   */
  claim(fresh?: boolean): Promise<number | undefined>;
  /** Whether this node may handle the name's messages now: its lease is live (not fenced). */
  readonly valid: boolean;
  /**
   * The process waits on this node for the name to be free (a topology child whose claim another
   * node holds): the cluster retries the claim and calls `activated(epoch)` when it wins.
   */
  standby(): void;
  /** Stops serving the name here; with `release`, gives the claim up so another node may take it at once. */
  retire(release: boolean): Promise<void>;
  /** The node that runs the name, as far as this node knows (this node while it serves it). */
  owner(): string | undefined;
  /** The fencing epoch of the claim that runs it, as far as this node knows. */
  epoch(): number | undefined;
}

/** What the cluster calls back on the cell of a cluster-wide process. */
export interface ActivatedCell {
  readonly name: string;
  /** The claim a standby waited for was won: start a fresh incarnation under `epoch`. */
  activated(epoch: number): void;
  /** The lease could not be renewed in time: stop handling messages now (another node may claim). */
  fenced(): void;
  /** A standby won the claim of a name that was stopped for good where it ran: leave too. */
  standDown(): void;
}
