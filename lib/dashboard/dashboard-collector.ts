import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { GenServerRuntime } from '../runtime/genserver.runtime.js';
import type { GenServerEvent } from '../runtime/genserver-events.js';
import type { TreeNode } from '../interfaces/supervision.interface.js';
import { DASHBOARD_OPTIONS } from '../genserver.constants.js';
import type { ProfilingHandle } from '../interfaces/process-info.interface.js';
import type { DashboardProcess, DashboardSnapshot, DashboardUpdate, GenServerDashboardOptions } from './dashboard-options.interface.js';
import { DashboardView, topProcesses } from './dashboard-view.js';

/** Events kept per process for its page. */
const RECENT_EVENTS = 50;
/** Processes in each top-N view unless `top` says otherwise. */
export const DEFAULT_TOP = 50;
/** Updates are coalesced to at most one per this many ms. */
export const UPDATE_EVERY_MS = 1000;

/**
 * What the dashboard shows, gathered only while a page is open: the tree and each process's figures
 * once a second (rates from the change of its counters; handler times and mailbox ages from the
 * runtime's profiling, on while a page is open), and the recent events of each process. With no page
 * open it holds nothing and subscribes to nothing: the runtime pays one field read per message.
 */
@Injectable()
export class DashboardCollector implements OnModuleDestroy {
  private readonly updates = new Subject<DashboardSnapshot>();
  private clients = 0;
  private timer: NodeJS.Timeout | null = null;
  private eventsSubscription: { unsubscribe(): void } | null = null;
  private readonly recent = new Map<string, GenServerEvent[]>();
  private view = new DashboardView();
  private profiling: ProfilingHandle | null = null;
  private last: DashboardSnapshot | null = null;
  private seq = 0;

  constructor(
    private readonly runtime: GenServerRuntime,
    @Inject(DASHBOARD_OPTIONS) private readonly options: GenServerDashboardOptions,
  ) {}

  /** The current figures (computed now; rates are those of the last update, 0 before the first). */
  snapshot(): DashboardSnapshot {
    return this.last ?? this.compute();
  }

  /** The recent events of one process (kept while a page is open). */
  eventsOf(name: string): readonly GenServerEvent[] {
    return this.recent.get(name) ?? [];
  }

  /**
   * What a page is sent: a full snapshot at once, then at most once a second a delta of what changed
   * since (processes whose figures changed, processes gone, the tree if it changed); nothing when
   * nothing did. Numbered across streams, so a reconnect (a fresh snapshot) continues the ids.
   */
  stream(): Observable<{ id: number; update: DashboardUpdate }> {
    return new Observable((subscriber) => {
      this.connect();
      const first = this.compute();
      let sent = new Map(first.processes.map((p) => [p.name, figures(p)]));
      let tree = JSON.stringify(first.tree);
      let total = first.total;
      subscriber.next({ id: ++this.seq, update: { kind: 'snapshot', snapshot: first } });
      const subscription = this.updates.subscribe((snapshot) => {
        const now = new Map(snapshot.processes.map((p) => [p.name, figures(p)]));
        const changed = snapshot.processes.filter((p) => sent.get(p.name) !== now.get(p.name));
        const removed = [...sent.keys()].filter((name) => !now.has(name));
        const nextTree = JSON.stringify(snapshot.tree);
        const treeChanged = nextTree !== tree;
        sent = now;
        tree = nextTree;
        if (changed.length === 0 && removed.length === 0 && !treeChanged && snapshot.total === total) return;
        total = snapshot.total;
        subscriber.next({ id: ++this.seq, update: { kind: 'delta', delta: { at: snapshot.at, changed, removed, total: snapshot.total, ...(treeChanged ? { tree: snapshot.tree } : {}) } } });
      });
      return () => {
        subscription.unsubscribe();
        this.disconnect();
      };
    });
  }

  onModuleDestroy(): void {
    this.stop();
    this.updates.complete();
  }

  private connect(): void {
    if (this.clients++ > 0) return;
    this.eventsSubscription = this.runtime.events$.subscribe((event) => this.record(event));
    this.profiling = this.runtime.startProfiling();
    this.timer = setInterval(() => this.updates.next(this.compute()), UPDATE_EVERY_MS);
    this.timer.unref();
  }

  private disconnect(): void {
    if (--this.clients > 0) return;
    this.stop();
  }

  private stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.eventsSubscription?.unsubscribe();
    this.eventsSubscription = null;
    this.profiling?.stop();
    this.profiling = null;
    this.recent.clear();
    this.view = new DashboardView();
    this.last = null;
  }

  private record(event: GenServerEvent): void {
    const name = (event as { name?: unknown }).name ?? ((event as { envelope?: { to?: unknown } }).envelope?.to);
    if (typeof name !== 'string') return;
    let list = this.recent.get(name);
    if (list === undefined) this.recent.set(name, (list = []));
    list.push(event);
    if (list.length > RECENT_EVENTS) list.shift();
  }

  private compute(): DashboardSnapshot {
    const at = Date.now();
    // The view keeps each process's last figures for rates: only the timer's updates move it on.
    const view = this.timer === null ? new DashboardView() : this.view;
    const { tree, table } = view.read(this.runtime.tree() as TreeNode | undefined, at);
    const top = this.options.top ?? DEFAULT_TOP;
    const snapshot: DashboardSnapshot = { at, tree, processes: topProcesses(table, top), total: table.nodes.length, top, actions: this.options.actions === true };
    if (this.timer !== null) this.last = snapshot;
    return snapshot;
  }
}

/** What tells whether a process changed: its figures but its uptime (which grows every second; a page extrapolates it). */
function figures(process: DashboardProcess): string {
  const { uptimeMs: _uptime, ...rest } = process;
  return JSON.stringify(rest);
}
