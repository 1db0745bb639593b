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
