import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { GenServerRuntime } from '../runtime/genserver.runtime.js';

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
 * is not running, or when a mailbox is longer than `maxMailbox`.
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
    const notRunning = (options.processes ?? []).filter((name) => this.runtime.whereis(name) === undefined || this.runtime.status(name).status !== 'running');
    if (notRunning.length > 0) return check.down({ reason: 'processes not running', processes: notRunning });
    if (options.maxMailbox !== undefined) {
      const limit = options.maxMailbox;
      const backlog = Object.fromEntries(
        this.runtime.list().map((name) => [name, this.runtime.status(name).mailbox] as const).filter(([, length]) => length > limit),
      );
      if (Object.keys(backlog).length > 0) return check.down({ reason: `mailboxes over ${limit}`, mailboxes: backlog });
    }
    return check.up({ processes: this.runtime.list().length });
  }
}
