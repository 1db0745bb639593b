import 'reflect-metadata';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  CallTimeoutError,
  GenServer,
  GenServerProcess,
  GenServerRuntime,
  HandleCall,
  HandleInfo,
  ProcessInitError,
  noReply,
  type GenServerEvent,
  type GenServerModuleOptions,
} from 'nestjs-genserver';
import { ClockNotIdleError, GenServerTesting, GenServerTestingModule, VirtualClock } from 'nestjs-genserver/testing';
import { settledTo } from '../../support/app.js';

// #11: every timer of the runtime runs on the testing module's VirtualClock, so a test moves time
// instead of waiting for it; Node's own timers are left alone.

@GenServer('ticker')
class Ticker extends GenServerProcess<{ ticks: number }> {
  override init() {
    this.state = { ticks: 0 };
    this.sendAfter(1000, { type: 'tick' });
  }
  @HandleInfo('tick') tick() {
    this.state.ticks++;
    if (this.state.ticks < 3) this.sendAfter(1000, { type: 'tick' });
  }
  @HandleCall('ticks') ticks() {
    return this.state.ticks;
  }
  @HandleCall('forever') forever() {
    this.sendAfter(10, { type: 'loop' });
    return 'ok';
  }
  @HandleInfo('loop') loop() {
    this.sendAfter(10, { type: 'loop' });
  }
}

@GenServer()
class Silent extends GenServerProcess<null> {
  @HandleCall('wait') wait() {
    return noReply();
  }
  @HandleCall('slow') async slow() {
    await new Promise(() => undefined); // never settles: only the watchdog ends it
  }
}

@GenServer()
class SlowInit extends GenServerProcess<null> {
  override async init() {
    await new Promise(() => undefined);
  }
}

@GenServer()
class Fragile extends GenServerProcess<null> {
  @HandleCall('boom') boom() {
    throw new Error('boom');
  }
}

async function boot(providers: Function[], options: GenServerModuleOptions = {}) {
  const moduleRef: TestingModule = await Test.createTestingModule({
    imports: [GenServerTestingModule.forRoot(options)],
    providers: providers as never[],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  const testing = app.get(GenServerTesting);
  const events: GenServerEvent[] = [];
  testing.runtime.events$.subscribe((event) => events.push(event));
  return { app, testing, clock: testing.clock, runtime: app.get(GenServerRuntime), events };
}

describe('VirtualClock in GenServerTestingModule', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('fires sendAfter only when the test moves time, each timer at its own instant', async () => {
    const { app, clock, runtime } = await boot([Ticker]);
    close = () => app.close();
    expect(clock.now()).toBe(0);
    await clock.tick(999);
    expect(await runtime.call('ticker', { type: 'ticks' })).toBe(0);
    await clock.tick(1);
    expect(await runtime.call('ticker', { type: 'ticks' })).toBe(1);
    await clock.tick(5000); // the re-armed timers fire on the way, at 2000 and 3000
    expect(await runtime.call('ticker', { type: 'ticks' })).toBe(3);
    expect(clock.now()).toBe(6000);
  });

  it('runUntilIdle fires every one-shot timer in order and says how many; a timer loop is a ClockNotIdleError', async () => {
    const { app, clock, runtime } = await boot([Ticker]);
    close = () => app.close();
    expect(await clock.runUntilIdle()).toBe(3);
    expect(clock.now()).toBe(3000);
    expect(await runtime.call('ticker', { type: 'ticks' })).toBe(3);
    await runtime.call('ticker', { type: 'forever' });
    const error = await clock.runUntilIdle({ limit: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClockNotIdleError);
    expect((error as ClockNotIdleError).fired).toBe(50);
    expect((error as Error).message).toMatch(/clock\.tick/);
  });

  it('times calls out in virtual time: nothing happens in real time, CallTimeoutError exactly at the timeout', async () => {
    const { app, clock, runtime } = await boot([Silent], { callTimeout: 30_000 });
    close = () => app.close();
    await runtime.start(Silent, { name: 'silent' });
    let outcome: unknown = 'pending';
    const call = runtime.call('silent', { type: 'wait' }).then((v) => (outcome = v), (e: unknown) => (outcome = e));
    await new Promise((resolve) => setTimeout(resolve, 50)); // real time: the call keeps waiting
    await clock.tick(29_999);
    expect(outcome).toBe('pending');
    await clock.tick(1);
    await call;
    expect(outcome).toBeInstanceOf(CallTimeoutError);
  });

  it('runs the handler watchdog and the init timeout on the virtual clock', async () => {
    const { app, clock, runtime, events } = await boot([Silent, SlowInit]);
    close = () => app.close();
    await runtime.start(Silent, { name: 'watched', handlerTimeoutMs: 2000, restart: 'temporary' });
    const slow = runtime.call('watched', { type: 'slow' }, { timeout: 10_000 }).catch((e: unknown) => e);
    await clock.tick(1999);
    expect(events.some((e) => e.type === 'crashed' && e.name === 'watched')).toBe(false);
    await clock.tick(1);
    expect(events.find((e) => e.type === 'crashed' && e.name === 'watched')).toMatchObject({ reason: 'handler_timeout' });
    expect(await slow).toMatchObject({ name: 'ProcessCrashedError' });

    let started: unknown = 'pending';
    const start = runtime.start(SlowInit, { name: 'slow-init', initTimeoutMs: 500, restart: 'temporary' }).then(() => (started = 'ok'), (e: unknown) => (started = e));
    await clock.tick(499);
    expect(started).toBe('pending');
    await clock.tick(1);
    await start;
    expect(started).toBeInstanceOf(ProcessInitError);
  });

  it('drives supervisor backoff and restart windows: restarts wait for the clock, and a window that has passed forgets old crashes', async () => {
    const { app, clock, runtime, events } = await boot([Fragile], {
      supervision: {
        name: 'root',
        strategy: 'one_for_one',
        maxRestarts: 2,
        withinMs: 10_000,
        backoff: { type: 'constant', baseMs: 1000 },
        children: [{ name: 'fragile', type: Fragile }],
      },
    });
    close = () => app.close();
    const restarts = () => events.filter((e) => e.type === 'restarted' && e.name === 'fragile').length;
    await runtime.call('fragile', { type: 'boom' }).catch(() => undefined);
    await clock.tick(999);
    expect(restarts()).toBe(0);
    await clock.tick(1);
    expect(restarts()).toBe(1);
    await runtime.call('fragile', { type: 'boom' }).catch(() => undefined);
    await clock.tick(1000);
    expect(restarts()).toBe(2);
    // Two crashes inside 10 s: a third now would exceed maxRestarts. Past the window it is a fresh start.
    await clock.tick(10_000);
    await runtime.call('fragile', { type: 'boom' }).catch(() => undefined);
    await clock.tick(1000);
    expect(restarts()).toBe(3);
    expect(runtime.whereis('fragile')).toBeDefined();
    expect(events.some((e) => e.type === 'escalated')).toBe(false);
  });

  it('runs supervisor heartbeats on the virtual clock: a process busy for a whole heartbeat is reported stuck then, not before', async () => {
    const { app, clock, runtime, events } = await boot([Silent], {
      supervision: { name: 'root', strategy: 'one_for_one', heartbeatMs: 5000, children: [{ name: 'busy', type: Silent, shutdownMs: 50 }] },
    });
    close = () => app.close();
    void runtime.call('busy', { type: 'slow' }, { timeout: Infinity }).catch(() => undefined);
    void runtime.cast('busy', { type: 'queued' }).catch(() => undefined);
    await clock.tick(4999);
    expect(events.some((e) => e.type === 'stuck')).toBe(false);
    await clock.tick(5001);
    expect(events.find((e) => e.type === 'stuck')).toMatchObject({ name: 'busy', handling: 'slow' });
  });

  it('refuses a tick it cannot make, as a typed error, and moves no time for it', async () => {
    const { app, clock } = await boot([Ticker]);
    close = () => app.close();
    for (const bad of [-1, Number.NaN, Infinity, '5', null, 2 ** 31]) {
      await expect(clock.tick(bad as number)).rejects.toMatchObject({ name: 'InvalidOptionError' });
    }
    await expect(clock.runUntilIdle({ limit: -1 })).rejects.toMatchObject({ name: 'InvalidOptionError' });
    expect(clock.now()).toBe(0);
  });

  it('leaves no active handle behind once the app is closed, and touches no global timer', async () => {
    const before = new Set(process.getActiveResourcesInfo());
    const timeoutsBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const { app, clock, runtime } = await boot([Ticker, Silent], { callTimeout: 60_000 });
    await runtime.start(Silent, { name: 'silent' });
    const pending = runtime.call('silent', { type: 'wait' }).catch(() => undefined);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(timeoutsBefore);
    expect(clock.pending).toBeGreaterThan(0);
    await app.close();
    await pending;
    const added = () => process.getActiveResourcesInfo().filter((r) => !before.has(r));
    await settledTo(() => added().length, 0);
    expect(added()).toEqual([]);
    expect(clock).toBeInstanceOf(VirtualClock);
  });
});
