import { GenServer, GenServerProcess, HandleCall, HandleCast, ProcessCrashedError, type StuckEvent } from 'nestjs-genserver';
import { bootApp, gate, nextEvent, sleep } from '../../support/app.js';

const hold = { current: gate() };
const lateWrites: string[] = [];

@GenServer({ type: 'slow' })
class Slow extends GenServerProcess<{ value: string }> {
  override init() {
    this.state = { value: 'initial' };
  }
  @HandleCall('slow') async slow(msg: { type: 'slow'; ms: number }) {
    await sleep(msg.ms);
    this.state.value = 'written by the overrunning handler';
    lateWrites.push(this.name);
    return 'too late';
  }
  @HandleCall('spin') spin(msg: { type: 'spin'; ms: number }) {
    const until = Date.now() + msg.ms;
    while (Date.now() < until) {
      // CPU-bound work: nothing can interrupt it (see README, "Limits").
    }
    return 'done';
  }
  @HandleCast('hold') async hold() {
    await hold.current.promise;
  }
  @HandleCall('get') get() {
    return this.state.value;
  }
}

@GenServer({ type: 'stubborn' })
class Stubborn extends GenServerProcess {
  override async terminate() {
    await new Promise(() => undefined); // never finishes
  }
}

describe('watchdog, heartbeats and shutdown limits', () => {
  beforeEach(() => (hold.current = gate()));

  it('treats a handler that overruns handlerTimeoutMs as a crash: the caller gets ProcessCrashedError, the result is ignored', async () => {
    const t = await bootApp([Slow], { supervision: { name: 'root', children: [{ name: 's', type: Slow, handlerTimeoutMs: 30 }] } });
    const started = Date.now();
    const error = await t.runtime.call('s', { type: 'slow', ms: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessCrashedError);
    expect((error as Error).cause).toBe('handler_timeout');
    expect(Date.now() - started).toBeLessThan(150);
    await nextEvent(t.runtime.events$, (e) => e.type === 'restarted');
    await sleep(250); // the abandoned handler finishes now, on the old instance
    expect(lateWrites).toEqual(['s']);
    expect(await t.runtime.call('s', { type: 'get' })).toBe('initial');
    await t.close();
  });

  it('judges a synchronous handler when it returns: it cannot be pre-empted', async () => {
    const t = await bootApp([Slow], { supervision: { name: 'root', children: [{ name: 's', type: Slow, handlerTimeoutMs: 10 }] } });
    await expect(t.runtime.call('s', { type: 'spin', ms: 40 })).rejects.toMatchObject({ cause: 'handler_timeout' });
    await expect(t.runtime.call('s', { type: 'spin', ms: 0 })).resolves.toBe('done');
    await t.close();
  });

  it('reports a process whose mailbox does not move for a heartbeat as stuck, in events and status', async () => {
    const t = await bootApp([Slow], { supervision: { name: 'root', heartbeatMs: 20, children: [{ name: 's', type: Slow }] } });
    const stuck = nextEvent(t.runtime.events$, (e): e is StuckEvent => e.type === 'stuck');
    await t.runtime.cast('s', { type: 'hold' });
    await t.runtime.cast('s', { type: 'hold' });
    expect(await stuck).toMatchObject({ name: 's', mailbox: 1, handling: 'hold' });
    expect(t.runtime.status('s').stuck).toBe(true);
    expect(t.runtime.tree()?.children?.[0]).toMatchObject({ name: 's', stuck: true });
    hold.current.open();
    await sleep(60);
    expect(t.runtime.status('s').stuck).toBe(false);
    await t.close();
  });

  it('abandons a terminate that overruns shutdownMs, reports it, and goes on', async () => {
    const t = await bootApp([Stubborn], { supervision: { name: 'root', children: [{ name: 'x', type: Stubborn, shutdownMs: 30 }] } });
    const started = Date.now();
    await t.runtime.stop('x');
    expect(Date.now() - started).toBeLessThan(500);
    expect(t.runtime.whereis('x')).toBeUndefined();
    expect(t.logger.at('error').map((l) => l.message)).toContain(
      'process "x": terminate() did not finish within shutdownMs (30 ms); the instance is abandoned',
    );
    await t.close();
  });
});
