import 'reflect-metadata';
import { ClockNotIdleError, VirtualClock } from 'nestjs-genserver/testing';

// Hostile input to the testing kit: timers that throw or clear each other, clocks that never go idle,
// probes closed twice or whose reply function throws. No test may leave an unhandled rejection.

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('VirtualClock, hostile', () => {
  it('a timer that throws during tick: the other due timers still fire and time reaches the target', async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(1), 5);
    clock.setTimeout(() => {
      throw new Error('boom');
    }, 10);
    clock.setTimeout(() => fired.push(3), 15);
    await expect(clock.tick(20)).rejects.toThrow('boom');
    expect(fired).toEqual([1, 3]);
    expect(clock.now()).toBe(20);
    expect(clock.pending).toBe(0);
    await clock.tick(5);
    expect(clock.now()).toBe(25);
  });

  it('runUntilIdle with a 1 ms interval and a far one-shot stops at its limit instead of spinning', async () => {
    const clock = new VirtualClock();
    clock.setInterval(() => undefined, 1);
    clock.setTimeout(() => undefined, 1e9);
    await expect(clock.runUntilIdle({ limit: 100 })).rejects.toBeInstanceOf(ClockNotIdleError);
  }, 5000);

  it('runUntilIdle with only intervals returns 0', async () => {
    const clock = new VirtualClock();
    clock.setInterval(() => undefined, 1);
    expect(await clock.runUntilIdle()).toBe(0);
  });

  it('an interval cleared in its own callback, a timer cleared by an earlier one', async () => {
    const clock = new VirtualClock();
    let n = 0;
    const h: unknown = clock.setInterval(() => {
      n++;
      clock.clearInterval(h);
    }, 5);
    let second = 0;
    const t2: unknown = clock.setTimeout(() => second++, 10);
    clock.setTimeout(() => clock.clearTimeout(t2), 7);
    clock.clearTimeout({});
    clock.clearTimeout('1');
    await clock.tick(100);
    expect(n).toBe(1);
    expect(second).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it.each([NaN, -1, '5', null, 2 ** 31, Infinity])('tick(%p) rejects with a typed error', async (ms) => {
    const clock = new VirtualClock();
    await expect(clock.tick(ms as number)).rejects.toThrow(/tick/);
  });
});
