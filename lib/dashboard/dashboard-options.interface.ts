import type { CanActivate, Type } from '@nestjs/common';

/** `GenServerDashboardModule.forRoot(options)`. */
export interface GenServerDashboardOptions {
  /** Where the page is served; its data and event stream live below it. Default `'/genserver'`. */
  path?: string;
  /** A Nest guard (class or instance) applied to the page, its data endpoints and its event stream. */
  guard?: Type<CanActivate> | CanActivate;
  /** Offer restart, stop and cancel-a-turn buttons and endpoints. Off by default; give a `guard` with it. */
  actions?: boolean;
  /**
   * How many processes each top-N view lists (by mailbox length, mailbox growth, messages/s,
   * restarts, age of the oldest message). A page is sent the union of those lists, so its cost does
   * not grow with the number of processes; with at most `top` processes, all of them. Default 50.
   */
  top?: number;
}

/** One process as the dashboard shows it. */
export interface DashboardProcess {
  readonly name: string;
  readonly type: string;
  readonly status: string;
  readonly mailbox: number;
  readonly processed: number;
  readonly errors: number;
  readonly restarts: number;
  readonly uptimeMs: number;
  /** Messages handled per second over the last second (while a page is open). */
  readonly rate: number;
  /** Change of the mailbox length over the last second. */
  readonly growth: number;
  /** Ms the oldest waiting message has waited (while a page is open). */
  readonly oldestMs?: number;
  /** Handler time in ms over the last few seconds (while a page is open, once one was timed). */
  readonly handlerMs?: { readonly p50: number; readonly p99: number };
  readonly lastError?: string;
  /** In a cluster: the node that runs it, and for a cluster-wide process the epoch of its claim. */
  readonly node?: string;
  readonly epoch?: number;
  readonly agent?: { readonly queued: number; readonly inFlightTools: number; readonly tokens: { input: number; output: number }; readonly cost: number };
}

/**
 * The supervision tree's shape as a page is sent it: names, kinds, strategies, statuses, restarts
 * and restart intensity, without per-process figures (those are in `processes`). A supervisor with
 * more than 100 children lists the first 100 and every other child that is not running or has
 * restarted; `omitted` counts the rest.
 */
export interface DashboardTreeNode {
  readonly name: string;
  readonly kind: 'supervisor' | 'dynamic_supervisor' | 'process';
  readonly type?: string;
  readonly strategy?: string;
  readonly status: string;
  readonly restarts: number;
  readonly node?: string;
  readonly epoch?: number;
  readonly intensity?: { readonly restarts: number; readonly maxRestarts: number; readonly withinMs: number };
  readonly children?: readonly DashboardTreeNode[];
  readonly omitted?: number;
}

/** What the page is sent first (and after a reconnect); `api/snapshot` answers the same. */
export interface DashboardSnapshot {
  readonly at: number;
  readonly tree: DashboardTreeNode | undefined;
  /** Every process when there are at most `top`, else the union of the top-N views (see `GenServerDashboardOptions.top`). */
  readonly processes: readonly DashboardProcess[];
  /** How many processes there are in all. */
  readonly total: number;
  readonly top: number;
  readonly actions: boolean;
}

/** What changed between two updates: processes whose figures changed, processes gone, the tree if it changed. */
export interface DashboardDelta {
  readonly at: number;
  readonly changed: readonly DashboardProcess[];
  /** Processes gone, or no longer among those sent (see `DashboardSnapshot.processes`). */
  readonly removed: readonly string[];
  readonly total: number;
  readonly tree?: DashboardTreeNode;
}

/** One event of the stream: `snapshot` first (and after a reconnect), then `delta`s. */
export type DashboardUpdate = { readonly kind: 'snapshot'; readonly snapshot: DashboardSnapshot } | { readonly kind: 'delta'; readonly delta: DashboardDelta };
