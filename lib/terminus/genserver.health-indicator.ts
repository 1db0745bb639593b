import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { GenServerRuntime } from '../runtime/genserver.runtime.js';
import type { TreeNode } from '../interfaces/supervision.interface.js';

/** What `GenServerHealthIndicator.isHealthy` checks beyond the root supervisor. */
export interface GenServerHealthOptions {
  /** Processes that must be running. */
  processes?: string[];
  /** A mailbox longer than this makes the check fail (none by default). */
  maxMailbox?: number;
}

/**
 * A `@nestjs/terminus` health indicator (terminus is an optional dependency: import this from
 * `nestjs-genserver/terminus`). Down when the root supervisor has given up, when a listed process
 * is not running, or when a mailbox is longer than `maxMailbox`. It reads `runtime.tree()` only:
 * a health check never shows (or pays for showing) any process's state.
 */
@Injectable()
export class GenServerHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly runtime: GenServerRuntime,
  ) {}

  isHealthy<const Key extends string>(key: Key, options: GenServerHealthOptions = {}): HealthIndicatorResult<Key> {
    const check = this.health.check(key);
    const root = this.runtime.tree();
    if (!root || root.status !== 'running') return check.down({ reason: 'the root supervisor is not running', root: root?.status ?? 'none' });
    const processes = processNodes(root);
    const notRunning = (options.processes ?? []).filter((name) => processes.get(name)?.status !== 'running');
    if (notRunning.length > 0) return check.down({ reason: 'processes not running', processes: notRunning });
    if (options.maxMailbox !== undefined) {
      const limit = options.maxMailbox;
      const backlog = Object.fromEntries(
        [...processes].map(([name, node]) => [name, node.mailbox ?? 0] as const).filter(([, length]) => length > limit),
      );
      if (Object.keys(backlog).length > 0) return check.down({ reason: `mailboxes over ${limit}`, mailboxes: backlog });
    }
    return check.up({ processes: this.runtime.list().length });
  }
}

/** The processes of the tree by name, in the order the tree lists them. */
function processNodes(root: TreeNode): Map<string, TreeNode> {
  const found = new Map<string, TreeNode>();
  const visit = (node: TreeNode): void => {
    if (node.kind === 'process') found.set(node.name, node);
    for (const child of node.children ?? []) visit(child);
  };
  visit(root);
  return found;
}
