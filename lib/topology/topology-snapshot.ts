import { messages } from '../errors/messages.js';
import type { TopologyPath } from './topology-path.js';
import { formatPath } from './topology-path.js';

/** Objects nested deeper than this are refused (a supervisor level takes three: map, children, child). */
export const MAX_TOPOLOGY_DEPTH = 100;
/** Values read from one topology at most. */
export const MAX_TOPOLOGY_VALUES = 100_000;

export interface SnapshotProblem {
  readonly path: TopologyPath;
  readonly message: string;
}

/**
 * A plain copy of a topology value (a parsed document, or an object handed to `forRoot`), safe to
 * validate: cycles, nesting deeper than `MAX_TOPOLOGY_DEPTH`, more than `MAX_TOPOLOGY_VALUES`
 * values, and getters or Proxy traps that throw each become a problem at their path, and the value
 * there is left out. `args` are passed on as they are, unread: they belong to the process.
 */
export function snapshotTopology(value: unknown, base: TopologyPath): { value: unknown; problems: SnapshotProblem[] } {
  const copier = new Copier(base);
  return { value: copier.copy(value, base, []), problems: copier.problems };
}

class Copier {
  readonly problems: SnapshotProblem[] = [];
  private budget = MAX_TOPOLOGY_VALUES;

  constructor(private readonly base: TopologyPath) {}

  copy(value: unknown, path: TopologyPath, ancestors: readonly { value: object; path: TopologyPath }[]): unknown {
    if (value === null || typeof value !== 'object') return value;
    const cycle = ancestors.find((ancestor) => ancestor.value === value);
    if (cycle) return this.cut(path, messages.topologyCycle(formatPath(cycle.path)));
    if (ancestors.length >= MAX_TOPOLOGY_DEPTH) return this.cut(path, messages.topologyTooDeep(MAX_TOPOLOGY_DEPTH));
    let keys: (string | number)[];
    let list: boolean;
    try {
      list = Array.isArray(value);
      keys = list ? Array.from({ length: Math.min((value as unknown[]).length, this.budget + 1) }, (_, i) => i) : Object.keys(value);
    } catch (error) {
      return this.cut(path, messages.topologyValueUnreadable(error));
    }
    const copy = (list ? [] : {}) as Record<string | number, unknown>;
    const within = [...ancestors, { value, path }];
    for (const key of keys) {
      // Reported once, at the top: what was read of an oversized topology is not worth checking.
      if (--this.budget < 0) return this.budget === -1 ? this.cut(this.base, messages.topologyTooLarge(MAX_TOPOLOGY_VALUES)) : undefined;
      let item: unknown;
      try {
        item = (value as Record<string | number, unknown>)[key];
      } catch (error) {
        this.cut([...path, key], messages.topologyValueUnreadable(error));
        continue;
      }
      const copied = key === 'args' && !list ? item : this.copy(item, [...path, key], within);
      // defineProperty: a key named __proto__ stays a key (and is reported as unknown), not a prototype
      Object.defineProperty(copy, key, { value: copied, enumerable: true, writable: true, configurable: true });
    }
    return copy;
  }

  private cut(path: TopologyPath, message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }
}
