import { threadId } from 'node:worker_threads';
import { GenServer, GenServerProcess, HandleCall, ProcessCrashedError, ProcessInitError } from 'nestjs-genserver';
import { bootApp, settledTo, sleep, type TestApp } from '../../support/app.js';
// @ts-expect-error a plain JavaScript fixture (a worker imports it as it is)
import { Isolated, hiddenType } from '../../fixtures/isolation/isolated-processes.mjs';

// #12: a process with `isolation: 'worker'` runs its handlers on a worker of its own; from the
// outside it is a process like any other.

@GenServer('local')
class Local extends GenServerProcess<{ n: number }> {
  override init() {
    this.state = { n: 0 };
  }
  @HandleCall('inc') inc() {
    return ++this.state.n;
  }
}

describe('isolated processes', () => {
  let app: TestApp;
  afterEach(async () => {
    await app?.close();
  });

  it('handle calls and casts on a thread of their own, keep state there, and show it in status', async () => {
    app = await bootApp([Isolated, Local]);
    await app.runtime.start(Isolated, { name: 'iso', args: { hello: 1 } });
    const thread = await app.runtime.call<number>('iso', { type: 'thread' });
    expect(thread).not.toBe(threadId);
    expect(await app.runtime.call('iso', { type: 'inc' })).toBe(1);
    expect(await app.runtime.call('iso', { type: 'inc' })).toBe(2);
    await app.runtime.cast('iso', { type: 'note', text: 'a' });
    expect(await app.runtime.call('iso', { type: 'get' })).toEqual({ n: 2, ticks: 0, args: { hello: 1 }, notes: ['a'] });
    // Without a store, the state comes back at the end of a burst: status is at most 100 ms behind.
    await sleep(150);
    expect(app.runtime.status('iso')).toMatchObject({ status: 'running', state: { n: 2, notes: ['a'] } });
  });

  it('calls other processes, defers replies, and runs timers from the worker', async () => {
    app = await bootApp([Isolated, Local]);
    await app.runtime.start(Isolated, { name: 'iso' });
    expect(await app.runtime.call('iso', { type: 'ask', to: 'local' })).toBe(1);
    expect(await app.runtime.call('iso', { type: 'defer', text: 'hi' })).toBe('late hi');
    expect(await app.runtime.call('iso', { type: 'arm', ms: 10 })).toBe('armed');
    await sleep(60);
    expect(await app.runtime.call('iso', { type: 'get' })).toMatchObject({ ticks: 1 });
  });

  it('crashes with what the handler threw and restarts on a fresh worker', async () => {
    app = await bootApp([Isolated, Local]);
    await app.runtime.start(Isolated, { name: 'iso' });
    const first = await app.runtime.call<number>('iso', { type: 'thread' });
    await app.runtime.call('iso', { type: 'inc' });
    const crashed = await app.runtime.call('iso', { type: 'boom' }).catch((e: unknown) => e);
    expect(crashed).toBeInstanceOf(ProcessCrashedError);
    expect(String((crashed as Error).message)).toMatch(/kaput/);
    await sleep(50);
    expect(await app.runtime.call('iso', { type: 'inc' })).toBe(1);
    expect(await app.runtime.call<number>('iso', { type: 'thread' })).not.toBe(first);
  });

  it('pre-empts a handler that never yields at handlerTimeoutMs, while the other processes keep answering', async () => {
    app = await bootApp([Isolated, Local]);
    await app.runtime.start(Isolated, { name: 'iso', handlerTimeoutMs: 200 });
    const started = performance.now();
    const spin = app.runtime.call('iso', { type: 'spin', ms: 2000 }, { timeout: 10_000 }).catch((e: unknown) => e);
    let answered = 0;
    let spinning = true;
    void spin.then(() => (spinning = false));
    while (spinning) {
      await app.runtime.call('local', { type: 'inc' });
      answered++;
      await sleep(5);
    }
    const error = await spin;
    expect(error).toBeInstanceOf(ProcessCrashedError);
    expect((error as ProcessCrashedError).message).toMatch(/handler_timeout/);
    expect(performance.now() - started).toBeLessThan(1500); // ended at its deadline, not after 2 s
    expect(answered).toBeGreaterThan(5); // the app thread was free while it spun
    // Restarted on a fresh worker: the next message waits in the mailbox for it.
    expect(await app.runtime.call('iso', { type: 'inc' })).toBe(1);
    expect(app.events.some((e) => e.type === 'restarted' && e.name === 'iso')).toBe(true);
  });

  it('crashes with out_of_memory when it outgrows its heap, and the app lives on', async () => {
    app = await bootApp([Isolated, Local]);
    await app.runtime.start(Isolated, { name: 'iso', worker: { maxOldGenerationMb: 32 } });
    const error = await app.runtime.call('iso', { type: 'leak' }, { timeout: 30_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessCrashedError);
    expect((error as Error).message).toMatch(/out_of_memory/);
    await sleep(100);
    expect(await app.runtime.call('iso', { type: 'inc' })).toBe(1);
    expect(await app.runtime.call('local', { type: 'inc' })).toBe(1);
  }, 60_000);

  it('fails the start with ProcessInitError naming the class when its file does not export it', async () => {
    app = await bootApp([hiddenType]);
    const error = await app.runtime.start(hiddenType, { name: 'hidden' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessInitError);
    expect(String((error as ProcessInitError).cause ?? (error as Error).message)).toMatch(/Hidden is not exported/);
  });

  it('ends every worker when the app closes: no active handle is left', async () => {
    const before = process.getActiveResourcesInfo().length;
    app = await bootApp([Isolated, Local]);
    await app.runtime.start(Isolated, { name: 'a' });
    await app.runtime.start(Isolated, { name: 'b' });
    await app.runtime.call('a', { type: 'inc' });
    expect(process.getActiveResourcesInfo().length).toBeGreaterThan(before);
    await app.close();
    expect(await settledTo(() => process.getActiveResourcesInfo().length, before)).toBeLessThanOrEqual(before);
  });
});
