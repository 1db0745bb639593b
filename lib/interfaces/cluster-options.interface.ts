/** TLS files of a cluster connection (paths, read when the node boots). */
export interface ClusterTlsOptions {
  /** CA certificate(s) the server's certificate is verified against (PEM file). */
  ca?: string;
  /** Client certificate (PEM file), for servers that verify clients. */
  cert?: string;
  /** The client certificate's private key (PEM file). */
  key?: string;
}

/**
 * Options of `GenServerModule.forRoot({ cluster })`: run named processes once in a cluster of Nest
 * instances connected through NATS (see README, "Cluster"). Without `cluster`, nothing is loaded.
 */
export interface ClusterOptions {
  /** The only transport there is. */
  transport: 'nats';
  /** NATS server URLs (`nats://host:port`, or `tls://…`). */
  servers: string | string[];
  /** This node's name, unique in the cluster (default: `hostname-pid`). */
  node?: string;
  /** How long a node's claim on a name lives without renewal (5000 ms); renewed every third of it. */
  leaseTtlMs?: number;
  /** Prefix of subjects and buckets, so several apps can share one NATS ('genserver'). */
  prefix?: string;
  /** TLS with a verified server certificate (and optionally a client certificate). */
  tls?: ClusterTlsOptions;
  /** User and password authentication. */
  user?: string;
  pass?: string;
  /** Token authentication (instead of user and password). */
  token?: string;
  /** Most remote calls this node has in flight at once; more wait for a slot (10 000). */
  maxInFlight?: number;
}

/**
 * Where a named process runs once the app is clustered: `'cluster'` (default) — one activation in the
 * whole cluster, reachable by name from every node; `'node'` — one copy per node, reached locally.
 */
export type ProcessScope = 'cluster' | 'node';

/** Which node `runtime.start` places a process on: this node (default), the least loaded one, or a named one. */
export type NodePlacement = 'any' | (string & {});
