import type { BackoffSpec } from './supervision.interfaces.js';

/** Delay before restart attempt `attempt` (1-based), in ms. */
export function backoffDelay(spec: BackoffSpec | undefined, attempt: number, random: () => number = Math.random): number {
  if (!spec || spec.type === 'none') return 0;
  const base = spec.baseMs ?? 100;
  const max = spec.maxMs ?? Infinity;
  const raw =
    spec.type === 'constant' ? base
    : spec.type === 'linear' ? base * attempt
    : base * 2 ** (attempt - 1);
  const delay = Math.min(max, raw);
  const jitter = spec.jitter ?? 0;
  return Math.max(0, Math.round(delay * (1 + jitter * (2 * random() - 1))));
}
