import type { TreeNode } from '../interfaces/supervision.interface.js';
import type { DashboardProcess, DashboardTreeNode } from './dashboard-options.interface.js';

/** A supervisor's children shown in the tree beyond which only those that need a look are (not running, or restarted). */
export const TREE_CHILDREN = 100;
/** What the top-N views are sorted by; the page's sort menu offers the same keys. */
export const TOP_KEYS = ['mailbox', 'growth', 'rate', 'restarts', 'oldestMs'] as const;

/** The figures a process had at the last update: its rate and growth are the change since. */
export interface Previous {
  readonly processed: number;
  readonly mailbox: number;
}

/**
 * Reads one `runtime.tree()` into what a page is sent: the tree's shape (figures left out, long
 * child lists cut to those worth a look) and every process's figures. One walk of the tree rather
 * than a `status()` per process: no state is presented, nothing is read twice.
 */
export function readTree(root: TreeNode | undefined, previous: ReadonlyMap<string, Previous>, seconds: number): { tree: DashboardTreeNode | undefined; processes: DashboardProcess[] } {
  const processes: DashboardProcess[] = [];
  const shape = (node: TreeNode): DashboardTreeNode => {
    if (node.kind === 'process') {
      processes.push(processOf(node, previous.get(node.name), seconds));
      return pick(node, ['name', 'kind', 'type', 'status', 'restarts', 'node', 'epoch']);
    }
    const shown: DashboardTreeNode[] = [];
    let omitted = 0;
    (node.children ?? []).forEach((child, index) => {
      const shaped = shape(child); // a process cut from the tree still counts: its figures are read all the same
      if (index < TREE_CHILDREN || child.kind !== 'process' || child.status !== 'running' || child.restarts > 0) shown.push(shaped);
      else omitted++;
    });
    return { ...pick(node, ['name', 'kind', 'strategy', 'status', 'restarts', 'intensity']), children: shown, ...(omitted > 0 ? { omitted } : {}) };
  };
  return { tree: root === undefined ? undefined : shape(root), processes };
}

function processOf(node: TreeNode, before: Previous | undefined, seconds: number): DashboardProcess {
  const processed = node.processed ?? 0;
  const mailbox = node.mailbox ?? 0;
  const agent = node.agent;
  return {
    name: node.name,
    type: node.type ?? 'unknown',
    status: node.status,
    mailbox,
    processed,
    errors: node.errors ?? 0,
    restarts: node.restarts,
    uptimeMs: node.uptimeMs ?? 0,
    rate: before === undefined || seconds <= 0 ? 0 : Math.round(Math.max(0, processed - before.processed) / seconds),
    growth: before === undefined ? 0 : mailbox - before.mailbox,
    ...(node.oldestMs === undefined ? {} : { oldestMs: node.oldestMs }),
    ...(node.handlerMs === undefined ? {} : { handlerMs: node.handlerMs }),
    ...(node.lastError === undefined ? {} : { lastError: node.lastError }),
    ...(node.node === undefined ? {} : { node: node.node }),
    ...(node.epoch === undefined ? {} : { epoch: node.epoch }),
    ...(agent === undefined ? {} : { agent: { queued: agent.queued, inFlightTools: agent.inFlightTools, tokens: agent.tokens, cost: agent.cost } }),
  };
}

/**
 * The processes a page is sent: all of them when there are at most `top`, else the union of the
 * `top` first by each of `TOP_KEYS` (largest first, names breaking ties), in name order.
 */
export function topProcesses(processes: DashboardProcess[], top: number): DashboardProcess[] {
  if (processes.length <= top) return processes;
  const chosen = new Set<DashboardProcess>();
  for (const key of TOP_KEYS) for (const process of topBy(processes, key, top)) chosen.add(process);
  return [...chosen].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** The `top` first by `key`: one pass keeping a short sorted list, not a sort of every process. */
function topBy(processes: readonly DashboardProcess[], key: (typeof TOP_KEYS)[number], top: number): DashboardProcess[] {
  const before = (a: DashboardProcess, b: DashboardProcess) => (a[key] ?? 0) > (b[key] ?? 0) || ((a[key] ?? 0) === (b[key] ?? 0) && a.name < b.name);
  const best: DashboardProcess[] = [];
  for (const process of processes) {
    if (best.length === top && !before(process, best[top - 1]!)) continue;
    let low = 0;
    let high = best.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (before(best[mid]!, process)) low = mid + 1;
      else high = mid;
    }
    best.splice(low, 0, process);
    if (best.length > top) best.pop();
  }
  return best;
}

function pick<K extends keyof TreeNode>(node: TreeNode, keys: readonly K[]): DashboardTreeNode {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (node[key] !== undefined) out[key] = node[key];
  return out as unknown as DashboardTreeNode;
}
