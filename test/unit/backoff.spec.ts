import { backoffDelay } from '../../lib/supervisor/backoff.js';

describe('backoffDelay', () => {
  const mid = () => 0.5; // no jitter effect
  it.each([
    [{ type: 'none' as const, baseMs: 100 }, [0, 0, 0]],
    [{ type: 'constant' as const, baseMs: 100 }, [100, 100, 100]],
    [{ type: 'linear' as const, baseMs: 100 }, [100, 200, 300]],
    [{ type: 'exponential' as const, baseMs: 100 }, [100, 200, 400]],
    [{ type: 'exponential' as const, baseMs: 100, maxMs: 250 }, [100, 200, 250]],
  ])('%o gives %o for attempts 1..3', (spec, delays) => {
    expect([1, 2, 3].map((attempt) => backoffDelay(spec, attempt, mid))).toEqual(delays);
  });

  it('varies by at most the jitter fraction either way', () => {
    const spec = { type: 'constant' as const, baseMs: 1000, jitter: 0.2 };
    expect(backoffDelay(spec, 1, () => 0)).toBe(800);
    expect(backoffDelay(spec, 1, () => 1)).toBe(1200);
    expect(backoffDelay(undefined, 5)).toBe(0);
  });
});

describe('backoffDelay stays within what a timer can wait', () => {
  const longest = 2 ** 31 - 1;

  it.each([
    ['exponential after 41 restarts', { type: 'exponential' as const, baseMs: 100 }, 41],
    ['exponential after 2000 restarts', { type: 'exponential' as const, baseMs: 100 }, 2000],
    ['linear with a huge base', { type: 'linear' as const, baseMs: longest }, 3],
    ['constant of Infinity', { type: 'constant' as const, baseMs: Infinity }, 1],
    ['exponential with jitter', { type: 'exponential' as const, baseMs: 100, jitter: 1 }, 60],
  ])('%s: capped at 2^31 - 1 ms', (_title, spec, attempt) => {
    expect(backoffDelay(spec, attempt, () => 1)).toBe(longest);
    expect(backoffDelay(spec, attempt, () => 0.5)).toBe(longest);
  });

  it('keeps a maxMs below the cap, and a zero base at 0 however many restarts', () => {
    expect(backoffDelay({ type: 'exponential', baseMs: 100, maxMs: 30_000 }, 2000, () => 0.5)).toBe(30_000);
    expect(backoffDelay({ type: 'exponential', baseMs: 0 }, 2000, () => 0.5)).toBe(0);
  });
});
