import { MAX_DURATION_MS } from '../common/duration.js';
import type { BackoffSpec } from '../interfaces/supervision.interface.js';

/**
 * Delay before restart attempt `attempt` (1-based), in ms. It never exceeds `MAX_DURATION_MS`,
 * the longest wait a timer honours: an exponential backoff after many restarts (or a `baseMs` of
 * `Infinity`) waits that long rather than overflowing into a 1 ms timer.
 */
export function backoffDelay(spec: BackoffSpec | undefined, attempt: number, random: () => number = Math.random): number {
  if (!spec || spec.type === 'none') return 0;
  const base = spec.baseMs ?? 100;
  const raw =
    base === 0 ? 0 // 0 × 2^1024 would be NaN
    : spec.type === 'constant' ? base
    : spec.type === 'linear' ? base * attempt
    : base * 2 ** (attempt - 1);
  const delay = Math.min(spec.maxMs ?? Infinity, raw, MAX_DURATION_MS);
  const jitter = spec.jitter ?? 0;
  return Math.min(MAX_DURATION_MS, Math.max(0, Math.round(delay * (1 + jitter * (2 * random() - 1)))));
}
