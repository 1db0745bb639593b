import { ProcessCrashedError } from 'nestjs-genserver';
import { bootApp, sleep, type TestApp } from '../../support/app.js';
// @ts-expect-error a plain JavaScript fixture (a worker imports it as it is)
import { Isolated } from '../../fixtures/isolation/isolated-processes.mjs';
// @ts-expect-error a plain JavaScript fixture (a worker imports it as it is)
import { Misuser } from '../../fixtures/isolation/review-processes.mjs';

// #12 review: hostile callers of an isolated process, each a typed error or a documented meaning,
// never an exception thrown on the app thread, an unhandled rejection, a hang or a leaked worker.


describe('isolation: review', () => {
  let app: TestApp;
  const stray: unknown[] = [];
  const record = (reason: unknown) => stray.push(reason);
  beforeEach(() => {
    stray.length = 0;
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
  });
  afterEach(async () => {
    await app?.close();
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
    expect(stray).toEqual([]);
  });

  it.each([
    ['longTimer', /sendAfter delay/],
    ['badTarget', /sendAfter to/],
    ['badMonitor', /monitor name/],
  ])('a worker handler that calls %s crashes with InvalidOptionError, as on the app thread', async (type, text) => {
    app = await bootApp([Misuser]);
    await app.runtime.start(Misuser, { name: 'm' });
    const error = await app.runtime.call('m', { type }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessCrashedError);
    expect((error as ProcessCrashedError).message).toMatch(text);
    await sleep(20);
    expect(await app.runtime.call('m', { type: 'ping' })).toBe('pong');
  });

  it('a call from a worker with a payload that is not plain data rejects there with InvalidPayloadError', async () => {
    app = await bootApp([Misuser, Isolated]);
    await app.runtime.start(Isolated, { name: 'other' });
    await app.runtime.start(Misuser, { name: 'm' });
    expect(await app.runtime.call('m', { type: 'callFn', to: 'other' })).toBe('InvalidPayloadError');
  });
});
