import { InvalidOptionError, InvalidPayloadError, ProcessCrashedError, ProcessInitError } from 'nestjs-genserver';
import { bootApp, nextEvent, type TestApp } from '../../support/app.js';
// @ts-expect-error a plain JavaScript fixture (a worker imports it as it is)
import { Isolated } from '../../fixtures/isolation/isolated-processes.mjs';

// #12: what an isolated process refuses, and how: typed errors naming the option, and a state that
// cannot cross threads is a crash, never a silently stale state.

describe('isolation: hostile input', () => {
  let app: TestApp;
  afterEach(async () => {
    await app?.close();
  });

  it.each([
    [{ isolation: 'thread' }, /start options\.isolation/],
    [{ isolation: 42 }, /start options\.isolation/],
    [{ worker: 'big' }, /start options\.worker/],
    [{ worker: { maxOldGenerationMb: '64' } }, /start options\.worker\.maxOldGenerationMb/],
    [{ worker: { maxOldGenerationMb: 0 } }, /start options\.worker\.maxOldGenerationMb/],
    [{ worker: { maxOldGenrationMb: 64 } }, /start options\.worker\.maxOldGenrationMb/],
    [{ worker: { module: '' } }, /start options\.worker\.module/],
    [{ workerFile: 5 }, /start options\.workerFile/],
  ])('refuses start options %p with an error naming the path', async (options, path) => {
    app = await bootApp([Isolated]);
    const error = await app.runtime.start(Isolated, { name: 'x', ...(options as object) }).catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(path);
    expect(error instanceof InvalidOptionError || (error as Error).name === 'GenServerError').toBe(true);
    expect(app.runtime.whereis('x')).toBeUndefined();
  });

  it('fails the start with ProcessInitError when workerFile names a file that does not exist', async () => {
    app = await bootApp([Isolated]);
    const error = await app.runtime.start(Isolated, { name: 'x', workerFile: '/nowhere/at/all.mjs' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessInitError);
    expect(String((error as ProcessInitError).cause)).toMatch(/nowhere/);
  });

  it('crashes a checkpointed process whose handler leaves a state that cannot cross threads', async () => {
    app = await bootApp([Isolated]);
    await app.runtime.start(Isolated, { name: 'durable', stateStore: { type: 'memory' } });
    await app.runtime.call('durable', { type: 'inc' });
    const error = await app.runtime.call('durable', { type: 'poison' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessCrashedError);
    expect((error as Error).message).toMatch(/cannot cross to the app thread/);
    expect(await app.runtime.call('durable', { type: 'inc' })).toBe(2); // restored from the last good checkpoint
  });

  it('crashes a process without a store too, once its state is next sent', async () => {
    app = await bootApp([Isolated]);
    await app.runtime.start(Isolated, { name: 'plain' });
    const crashed = nextEvent(app.runtime.events$, (e) => e.type === 'crashed' && e.name === 'plain');
    await app.runtime.call('plain', { type: 'poison' }).catch(() => undefined);
    expect(String((await crashed as { reason: unknown }).reason)).toMatch(/cannot cross/);
    expect(await app.runtime.call('plain', { type: 'inc' })).toBe(1);
  });

  it('answers a reply that is not plain data with InvalidPayloadError to its caller only, as in process', async () => {
    app = await bootApp([Isolated]);
    await app.runtime.start(Isolated, { name: 'iso' });
    const thread = await app.runtime.call('iso', { type: 'thread' });
    expect(await app.runtime.call('iso', { type: 'inc' })).toBe(1);
    const returned = await app.runtime.call('iso', { type: 'give-function' }).catch((e: unknown) => e);
    expect(returned).toBeInstanceOf(InvalidPayloadError);
    expect((returned as Error).message).toMatch(/reply for process "iso" \(message "give-function"\).*\$\.deep\[0\]\.fn: a function/);
    const deferred = await app.runtime.call('iso', { type: 'defer-function' }).catch((e: unknown) => e);
    expect(deferred).toBeInstanceOf(InvalidPayloadError);
    expect((deferred as Error).message).toMatch(/function/);
    // The same incarnation on the same worker goes on.
    expect(await app.runtime.call('iso', { type: 'inc' })).toBe(2);
    expect(await app.runtime.call('iso', { type: 'thread' })).toBe(thread);
    expect(app.events.filter((e) => e.type === 'crashed')).toEqual([]);
  });
});
