import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { GenServer, GenServerProcess, HandleCall, HandleCast, HandleInfo, ProcessCrashedError, noReply, type From, type GenServerModuleOptions, type NoReply } from 'nestjs-genserver';
import { ClockNotIdleError, GenServerTesting, GenServerTestingModule, VirtualClock } from 'nestjs-genserver/testing';

// Hostile input to the testing kit: timers that throw or clear each other, clocks that never go idle,
// probes closed twice or whose reply function throws. No test may leave an unhandled rejection.

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

@GenServer()
class Deferred extends GenServerProcess<{ n: number }> {
  override init(_args: unknown, restored?: { n: number }) {
    this.state = restored ?? { n: 0 };
  }
  @HandleCall('inc') inc(_msg: unknown, from: From): NoReply {
    this.state.n++;
    this.sendAfter(10, { type: 'answer', from });
    return noReply();
  }
  @HandleCall('get') get() {
    return this.state.n;
  }
  @HandleInfo('answer') answer(msg: { from: From }) {
    this.reply(msg.from, this.state.n);
  }
}

@GenServer('ticker')
class Ticker extends GenServerProcess<{ n: number }> {
  override init() {
    this.state = { n: 0 };
  }
  @HandleCall('get') get() {
    return this.state.n;
  }
  @HandleCast('later') later(msg: { ms: number }) {
    this.sendAfter(msg.ms, { type: 'bump' });
  }
  @HandleInfo('bump') bump() {
    this.state.n++;
  }
}

/** What `settled` resolves with, or 'hung' when it has not within `ms` of real time. */
async function within<T>(settled: Promise<T>, ms = 2000): Promise<T | 'hung'> {
  let guard: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (guard = setTimeout(() => resolve('hung'), ms)));
  try {
    return await Promise.race([settled, hung]);
  } finally {
    clearTimeout(guard);
  }
}

async function boot(providers: Function[], options: GenServerModuleOptions = {}) {
  const moduleRef = await Test.createTestingModule({ imports: [GenServerTestingModule.forRoot(options)], providers: providers as never[] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { app, testing: app.get(GenServerTesting) };
}

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

  it('runUntilIdle with only intervals returns 0; hostile options are typed errors', async () => {
    const clock = new VirtualClock();
    clock.setInterval(() => undefined, 1);
    expect(await clock.runUntilIdle()).toBe(0);
    expect(await clock.runUntilIdle(null as never)).toBe(0);
    for (const limit of [-1, 1.5, '5', NaN]) await expect(clock.runUntilIdle({ limit: limit as number })).rejects.toThrow(/runUntilIdle limit/);
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

  it.each([NaN, -5, 0, '3', Infinity, undefined])('an interval of %p ms neither wedges the clock nor spins it', async (ms) => {
    const clock = new VirtualClock();
    let beats = 0;
    const seen: number[] = [];
    const interval = clock.setInterval(() => beats++, ms as number);
    clock.setTimeout(() => seen.push(clock.now()), 5);
    clock.setTimeout(() => seen.push(clock.now()), '7' as unknown as number);
    await clock.tick(10);
    expect(seen).toEqual([0, 5]);
    expect(beats).toBe(10);
    clock.clearInterval(interval);
    expect(await clock.runUntilIdle()).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('ticks not awaited in between add up, in order; time never goes back', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    clock.setTimeout(() => seen.push(clock.now()), 3);
    clock.setTimeout(() => seen.push(clock.now()), 12);
    clock.setTimeout(() => seen.push(clock.now()), 40);
    await Promise.all([clock.tick(10), clock.tick(5), clock.runUntilIdle()]);
    expect(clock.now()).toBe(40);
    expect(seen).toEqual([3, 12, 40]);
    await Promise.all([clock.tick(5), expect(clock.tick(-1)).rejects.toThrow(/tick ms/), clock.tick(1)]);
    expect(clock.now()).toBe(46);
  });

  it.each([NaN, -1, '5', null, 2 ** 31, Infinity])('tick(%p) rejects with a typed error', async (ms) => {
    const clock = new VirtualClock();
    await expect(clock.tick(ms as number)).rejects.toThrow(/tick/);
  });
});

describe('testing module, hostile', () => {
  it('closing the app while a call waits on the virtual clock rejects the call and leaves no handles', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const { app, testing } = await boot([]);
    await testing.probe('silent');
    const call = testing.runtime.call('silent', { type: 'x' }, { timeout: 5000 });
    const settled = call.then(
      () => 'resolved',
      () => 'rejected',
    );
    await app.close();
    expect(await within(settled)).toBe('rejected');
    // A leak stays; a timer of the closing (Nest's, a shutdown wait) ends within a few turns.
    for (let turn = 0; turn < 50 && timers() > before; turn++) await new Promise((r) => setTimeout(r, 10));
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('a probe closed twice, and its name free again after close', async () => {
    const { app, testing } = await boot([]);
    try {
      const p = await testing.probe('dup');
      await expect(testing.probe('dup')).rejects.toThrow();
      const waiting = testing.runtime.call('dup', { type: 'q' });
      const answered = waiting.then(
        () => 'resolved',
        (error: unknown) => (error as Error).constructor.name,
      );
      await p.expectCall('q');
      await Promise.all([p.close(), p.close()]);
      await p.close();
      expect(await answered).toBe('ProcessStoppedError');
      const q = await testing.probe('dup');
      expect(q.name).toBe('dup');
      testing.faults.clear();
    } finally {
      await app.close();
    }
  });

  it.each([123, null, '', {}])('probe(%p) rejects with a typed error', async (name) => {
    const { app, testing } = await boot([]);
    try {
      await expect(testing.probe(name as string)).rejects.toThrow();
    } finally {
      await app.close();
    }
  });

  it('expectCall with a reply function that throws: the caller is not left hanging', async () => {
    const { app, testing } = await boot([]);
    try {
      const p = await testing.probe('svc');
      const call = testing.runtime.call('svc', { type: 'q' });
      const settled = call.then(
        () => 'resolved',
        (error: unknown) => (error as Error).constructor.name,
      );
      await expect(
        p.expectCall('q', {
          reply: () => {
            throw new Error('bad reply fn');
          },
        }),
      ).rejects.toThrow('bad reply fn');
      await testing.clock.tick(0);
      expect(await within(settled)).toBe('ProcessCrashedError');
    } finally {
      await app.close();
    }
  });

  it('crashAfter armed before the process starts, then across its restart', async () => {
    const { app, testing } = await boot([Ticker]);
    try {
      testing.faults.crashAfter('ticker', 1);
      expect(await testing.runtime.call('ticker', { type: 'get' })).toBe(0);
      await expect(testing.runtime.call('ticker', { type: 'get' })).rejects.toBeInstanceOf(ProcessCrashedError);
      await testing.clock.runUntilIdle();
      expect(await testing.runtime.call('ticker', { type: 'get' })).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('crashAfter / failStoreWrite with hostile arguments', async () => {
    const { app, testing } = await boot([]);
    try {
      for (const bad of [null, 1, '', {}]) expect(() => testing.faults.crashAfter(bad as string, 0)).toThrow(/crashAfter/);
      for (const bad of ['1', -1, 1.5, NaN, Infinity, null]) expect(() => testing.faults.crashAfter('x', bad as number)).toThrow(/crashAfter/);
      for (const bad of [0, '2', NaN, Infinity]) expect(() => testing.faults.failStoreWrite('x', bad as number)).toThrow(/failStoreWrite/);
      expect(() => testing.faults.failStoreWrite(null as unknown as string)).toThrow(/failStoreWrite/);
    } finally {
      await app.close();
    }
  });

  it('failStoreWrite with deferred durable replies: the waiting caller gets an error, not silence', async () => {
    const { app, testing } = await boot([Deferred]);
    try {
      await testing.runtime.start(Deferred, { name: 'd', stateStore: { type: 'memory' }, durableReplies: true });
      const first = testing.runtime.call('d', { type: 'inc' });
      await testing.clock.tick(10);
      expect(await first).toBe(1);
      testing.faults.failStoreWrite('d');
      const second = testing.runtime.call('d', { type: 'inc' }).then(
        () => 'resolved',
        (error: unknown) => (error as Error).constructor.name,
      );
      await testing.clock.tick(10);
      await testing.clock.runUntilIdle();
      expect(await within(second)).toBe('ProcessCrashedError');
      expect(await testing.runtime.call('d', { type: 'get' })).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('failStoreWrite for ever: restarts give up, callers get typed errors, the clock goes idle', async () => {
    const { app, testing } = await boot([Deferred]);
    try {
      await testing.runtime.start(Deferred, { name: 'd', stateStore: { type: 'memory' }, durableReplies: true });
      testing.faults.failStoreWrite('d', 1_000_000);
      for (let i = 0; i < 5; i++) {
        const call = testing.runtime.call('d', { type: 'inc' }).then(
          () => 'resolved',
          (error: unknown) => (error as Error).constructor.name,
        );
        await testing.clock.tick(10);
        await testing.clock.runUntilIdle();
        expect(await within(call)).not.toMatch(/resolved|hung/);
      }
    } finally {
      await app.close();
    }
  });

  it('expectNoMessage and watch with hostile arguments: typed errors, and no watch left behind', async () => {
    const { app, testing } = await boot([Ticker]);
    try {
      const p = await testing.probe('quiet');
      for (const bad of [-1, NaN, '5', Infinity, 2 ** 31]) await expect(p.expectNoMessage(bad as number)).rejects.toThrow(/tick ms/);
      expect(testing.clock.now()).toBe(0);
      for (const bad of [null, 1, '', {}]) {
        expect(() => p.watch(bad as string)).toThrow(/name/);
        expect(() => p.watch(bad as string)).toThrow(/name/); // not silently "already watched"
      }
      await expect(p.expectTerminated(5 as unknown as string)).rejects.toThrow(/name/);
    } finally {
      await app.close();
    }
  });

  it('after the app closes, no runtime timer is left on the virtual clock', async () => {
    const { app, testing } = await boot([Ticker], { heartbeatMs: 1000 } as GenServerModuleOptions);
    await testing.runtime.cast('ticker', { type: 'later', ms: 60_000 });
    await testing.probe('mute');
    const call = testing.runtime.call('mute', { type: 'x' }, { timeout: 30_000 }).catch(() => undefined);
    await testing.clock.tick(1);
    await app.close();
    await call;
    expect(testing.clock.pending).toBe(0);
    await testing.clock.tick(100_000);
  });

  it.each([null, 5, 'x', []])('GenServerTestingModule.forRoot(%p) is a typed error', (options) => {
    expect(() => GenServerTestingModule.forRoot(options as GenServerModuleOptions)).toThrow(/options|InvalidOption/i);
  });
});
