import type { CanActivate, Type } from '@nestjs/common';

/** `GenServerDashboardModule.forRoot(options)`. */
export interface GenServerDashboardOptions {
  /** Where the page is served; its data and event stream live below it. Default `'/genserver'`. */
  path?: string;
  /** A Nest guard (class or instance) applied to the page, its data endpoints and its event stream. */
  guard?: Type<CanActivate> | CanActivate;
  /** Offer restart, stop and cancel-a-turn buttons and endpoints. Off by default; give a `guard` with it. */
  actions?: boolean;
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
  readonly lastError?: string;
  readonly node?: string;
  readonly agent?: { readonly queued: number; readonly inFlightTools: number; readonly tokens: { input: number; output: number }; readonly cost: number };
}

/** What the page is sent first, and again on every update (at most once a second). */
export interface DashboardSnapshot {
  readonly at: number;
  /** The supervision tree (see `runtime.tree()`). */
  readonly tree: unknown;
  readonly processes: readonly DashboardProcess[];
  readonly actions: boolean;
}

/** What changed between two updates: processes whose figures changed, processes gone, the tree if it changed. */
export interface DashboardDelta {
  readonly at: number;
  readonly changed: readonly DashboardProcess[];
  readonly removed: readonly string[];
  readonly tree?: unknown;
}

/** One event of the stream: `snapshot` first (and after a reconnect), then `delta`s. */
export type DashboardUpdate = { readonly kind: 'snapshot'; readonly snapshot: DashboardSnapshot } | { readonly kind: 'delta'; readonly delta: DashboardDelta };
