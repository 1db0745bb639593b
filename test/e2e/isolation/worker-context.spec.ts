import { threadId } from 'node:worker_threads';
import { bootApp, nextEvent, sleep, type TestApp } from '../../support/app.js';
// @ts-expect-error a plain JavaScript fixture (a worker imports it as it is)
import { Greeter, Greeting, Isolated } from '../../fixtures/isolation/isolated-processes.mjs';
// @ts-expect-error a plain JavaScript fixture (a worker imports it as it is)
import { Unprovided } from '../../fixtures/isolation/unprovided.mjs';

// #12: Nest DI inside the worker, durable state across a worker crash, supervision of isolated
// children from the topology, and shutdownMs ending a worker that will not stop.

describe('isolated processes in an app', () => {
  let app: TestApp;
  afterEach(async () => {
    await app?.close();
  });

  it('are built by Nest inside their worker from worker.module (constructor injection)', async () => {
    app = await bootApp([Greeter, Greeting]);
    await app.runtime.start(Greeter, { name: 'greeter' });
    const text = await app.runtime.call<string>('greeter', { type: 'greet' });
    expect(text).toMatch(/^hello from thread \d+$/);
    expect(text).not.toBe(`hello from thread ${threadId}`);
  });

  it('need not be providers of the app: a class whose dependencies only the worker provides starts by class', async () => {
    app = await bootApp([]);
    await app.runtime.start(Unprovided, { name: 'unprovided' });
    expect(await app.runtime.call<number>('unprovided', { type: 'where' })).not.toBe(threadId);
    expect(app.runtime.whereis('unprovided')).toMatchObject({ type: 'Unprovided' });
  });

  it('keep their checkpointed state across a worker crash', async () => {
    app = await bootApp([Isolated]);
    await app.runtime.start(Isolated, { name: 'durable', stateStore: { type: 'memory' } });
    await app.runtime.call('durable', { type: 'inc' });
    await app.runtime.call('durable', { type: 'inc' });
    await app.runtime.call('durable', { type: 'boom' }).catch(() => undefined);
    expect(await app.runtime.call('durable', { type: 'inc' })).toBe(3);
  });

  it('are supervised from the topology: one_for_all restarts the isolated sibling on a fresh worker', async () => {
    app = await bootApp([Isolated], {
      // As YAML would give it (snake_case keys): isolation and worker limits on a topology child.
      topology: {
        supervision: {
          name: 'root',
          strategy: 'one_for_all',
          children: [
            { name: 'iso-a', type: 'Isolated', isolation: 'worker', worker: { max_old_generation_mb: 64 } },
            { name: 'iso-b', type: 'Isolated' },
          ],
        },
      },
    });
    const before = await app.runtime.call<number>('iso-a', { type: 'thread' });
    await app.runtime.call('iso-a', { type: 'inc' });
    const restarted = nextEvent(app.runtime.events$, (e) => e.type === 'restarted' && e.name === 'iso-a');
    await app.runtime.call('iso-b', { type: 'boom' }).catch(() => undefined);
    await restarted;
    expect(await app.runtime.call('iso-a', { type: 'inc' })).toBe(1);
    expect(await app.runtime.call<number>('iso-a', { type: 'thread' })).not.toBe(before);
  });

  it('end a worker that will not stop once shutdownMs has passed', async () => {
    app = await bootApp([Isolated]);
    await app.runtime.start(Isolated, { name: 'stuck', shutdownMs: 200 });
    const spinning = app.runtime.call('stuck', { type: 'spin', ms: 5000 }, { timeout: 10_000 }).catch((e: unknown) => e);
    await sleep(50);
    const started = performance.now();
    await app.runtime.stop('stuck');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await spinning).toMatchObject({ name: 'ProcessStoppedError' });
    expect(app.runtime.whereis('stuck')).toBeUndefined();
  });
});
