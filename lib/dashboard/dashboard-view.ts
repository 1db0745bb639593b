import type { TreeNode } from '../interfaces/supervision.interface.js';
import type { DashboardProcess, DashboardTreeNode } from './dashboard-options.interface.js';

/** A supervisor's children shown in the tree beyond which only those that need a look are (not running, or restarted). */
export const TREE_CHILDREN = 100;
/** What the top-N views are sorted by; the page's sort menu offers the same keys. */
export const TOP_KEYS = ['mailbox', 'growth', 'rate', 'restarts', 'oldestMs'] as const;

/** A process's figures at the last update (its rate and growth are the change since), kept in place between updates. */
interface Previous {
  processed: number;
  mailbox: number;
  /** The update that last saw it: entries of processes gone are dropped. */
  update: number;
}

/** The processes of one update: their tree nodes, and for each of `TOP_KEYS` a column of values. */
export interface ProcessTable {
  readonly nodes: readonly TreeNode[];
  readonly columns: Readonly<Record<(typeof TOP_KEYS)[number], Float64Array>>;
}

/**
 * Reads `runtime.tree()` once a second into what pages are sent. Everything here is linear in the
 * number of processes and allocates per process only what must: at 10 000 processes an update must
 * stay a few ms, since it runs once a second for as long as a page is open.
 */
export class DashboardView {
  private readonly previous = new Map<string, Previous>();
  private updates = 0;
  private lastAt = 0;

  /** The tree's shape (figures left out, long child lists cut to those worth a look) and every process's figures. */
  read(root: TreeNode | undefined, at: number): { tree: DashboardTreeNode | undefined; table: ProcessTable } {
    const update = ++this.updates;
    const seconds = this.lastAt === 0 ? 0 : (at - this.lastAt) / 1000;
    this.lastAt = at;
    const nodes: TreeNode[] = [];
    const collect = (node: TreeNode): void => {
      if (node.kind === 'process') nodes.push(node);
      else for (const child of node.children ?? []) collect(child);
    };
    const shape = (node: TreeNode): DashboardTreeNode => {
      if (node.kind === 'process') {
        nodes.push(node);
        return { name: node.name, kind: node.kind, type: node.type, status: node.status, restarts: node.restarts, node: node.node, epoch: node.epoch };
      }
      const shown: DashboardTreeNode[] = [];
      let omitted = 0;
      const children = node.children ?? [];
      for (let i = 0; i < children.length; i++) {
        const child = children[i]!;
        if (i < TREE_CHILDREN || child.kind !== 'process' || child.status !== 'running' || child.restarts > 0) shown.push(shape(child));
        else {
          omitted++;
          collect(child); // cut from the tree, its figures still count
        }
      }
      return { name: node.name, kind: node.kind, strategy: node.strategy, status: node.status, restarts: node.restarts, intensity: node.intensity, children: shown, omitted: omitted > 0 ? omitted : undefined };
    };
    const tree = root === undefined ? undefined : shape(root);
    const count = nodes.length;
    const columns = { mailbox: new Float64Array(count), growth: new Float64Array(count), rate: new Float64Array(count), restarts: new Float64Array(count), oldestMs: new Float64Array(count) };
    for (let i = 0; i < count; i++) {
      const node = nodes[i]!;
      const processed = node.processed ?? 0;
      const mailbox = node.mailbox ?? 0;
      const before = this.previous.get(node.name);
      if (before === undefined) this.previous.set(node.name, { processed, mailbox, update });
      else {
        columns.rate[i] = seconds > 0 ? Math.round(Math.max(0, processed - before.processed) / seconds) : 0;
        columns.growth[i] = mailbox - before.mailbox;
        before.processed = processed;
        before.mailbox = mailbox;
        before.update = update;
      }
      columns.mailbox[i] = mailbox;
      columns.restarts[i] = node.restarts;
      columns.oldestMs[i] = node.oldestMs ?? 0;
    }
    if (this.previous.size > count) for (const [name, entry] of this.previous) if (entry.update !== update) this.previous.delete(name);
    return { tree, table: { nodes, columns } };
  }
}

/**
 * The processes a page is sent: all of them when there are at most `top`, else the union of the
 * `top` first by each of `TOP_KEYS` (largest first; among equals, the first in the tree), in name order.
 */
export function topProcesses({ nodes, columns }: ProcessTable, top: number): DashboardProcess[] {
  let chosen: number[];
  if (nodes.length <= top) chosen = nodes.map((_, i) => i);
  else {
    const union = new Set<number>();
    for (const key of TOP_KEYS) for (const i of topOf(columns[key], top)) union.add(i);
    chosen = [...union];
  }
  return chosen.map((i) => processOf(nodes[i]!, columns.rate[i]!, columns.growth[i]!)).sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Indices of the `top` largest values: one pass keeping a short sorted list (ties keep the earlier index). */
function topOf(values: Float64Array, top: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (best.length === top && value <= values[best[top - 1]!]!) continue;
    let low = 0;
    let high = best.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (values[best[mid]!]! >= value) low = mid + 1;
      else high = mid;
    }
    best.splice(low, 0, i);
    if (best.length > top) best.pop();
  }
  return best;
}

function processOf(node: TreeNode, rate: number, growth: number): DashboardProcess {
  const agent = node.agent;
  return {
    name: node.name,
    type: node.type ?? 'unknown',
    status: node.status,
    mailbox: node.mailbox ?? 0,
    processed: node.processed ?? 0,
    errors: node.errors ?? 0,
    restarts: node.restarts,
    uptimeMs: node.uptimeMs ?? 0,
    rate,
    growth,
    oldestMs: node.oldestMs,
    handlerMs: node.handlerMs,
    lastError: node.lastError,
    node: node.node,
    epoch: node.epoch,
    agent: agent === undefined ? undefined : { queued: agent.queued, inFlightTools: agent.inFlightTools, tokens: agent.tokens, cost: agent.cost },
  };
}
