import { join } from 'node:path';
import { ProcessCrashedError, ProcessInitError } from 'nestjs-genserver';
import { bootApp, sleep, type TestApp } from '../../support/app.js';
// @ts-expect-error a plain JavaScript fixture (a worker imports it as it is)
import { Isolated } from '../../fixtures/isolation/isolated-processes.mjs';
// @ts-expect-error a plain JavaScript fixture (a worker imports it as it is)
import { Misuser } from '../../fixtures/isolation/review-processes.mjs';

// #12 review: hostile callers of an isolated process, each a typed error or a documented meaning,
// never an exception thrown on the app thread, an unhandled rejection, a hang or a leaked worker.


const fixture = (file: string) => join(process.cwd(), 'test/fixtures/isolation', file);
const workers = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort' || r === 'Worker').length;

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

  it('an app closed while an isolated start is in progress (its worker still booting) leaves no worker behind', async () => {
    const before = workers();
    app = await bootApp([Isolated]);
    const started = app.runtime.start(Isolated, { name: 'slow', shutdownMs: 50, workerFile: fixture('slow-top.mjs') }).catch((e: unknown) => e);
    await sleep(50);
    await app.close();
    expect(await started).toBeInstanceOf(Error);
    await sleep(900);
    expect(workers()).toBeLessThanOrEqual(before);
  });

  it('a stop while the worker is still booting (past shutdownMs) leaves no worker behind', async () => {
    const before = workers();
    app = await bootApp([Isolated]);
    const started = app.runtime.start(Isolated, { name: 'slow', shutdownMs: 50, workerFile: fixture('slow-top.mjs') }).catch((e: unknown) => e);
    await sleep(50);
    await app.runtime.stop('slow');
    expect(await started).toBeInstanceOf(Error);
    await sleep(900);
    expect(app.runtime.whereis('slow')).toBeUndefined();
    await app.close();
    await sleep(50);
    expect(workers()).toBeLessThanOrEqual(before);
  });

  it('a class file that never finishes loading fails the start at initTimeoutMs and its worker is ended', async () => {
    const before = workers();
    app = await bootApp([Isolated]);
    const at = Date.now();
    const error = await app.runtime.start(Isolated, { name: 'hung', initTimeoutMs: 300, restart: 'temporary', workerFile: fixture('hang-top.mjs') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessInitError);
    expect(Date.now() - at).toBeLessThan(3000);
    await sleep(100);
    expect(workers()).toBeLessThanOrEqual(before);
  });

  it('a second reply to the same call is ignored (the first one answers it)', async () => {
    app = await bootApp([Misuser]);
    await app.runtime.start(Misuser, { name: 'm' });
    expect(await app.runtime.call('m', { type: 'twice' })).toBe('first');
    expect(await app.runtime.call('m', { type: 'ping' })).toBe('pong');
  });

  it.each([
    ['throws-at-top.mjs', /top-level kaput/],
    ['syntax-error.mjs', /SyntaxError|Unexpected/],
  ])('a class file that fails to load (%s) fails the start with ProcessInitError and leaves no worker', async (file, text) => {
    const before = workers();
    app = await bootApp([Isolated]);
    const error = await app.runtime.start(Isolated, { name: 'x', restart: 'temporary', workerFile: fixture(file) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessInitError);
    expect(String((error as ProcessInitError).cause)).toMatch(text);
    await sleep(100);
    expect(workers()).toBeLessThanOrEqual(before);
  });

  it('app.close() ends every worker of running, crashed and restarted isolated processes', async () => {
    const before = workers();
    app = await bootApp([Isolated]);
    await app.runtime.start(Isolated, { name: 'a' });
    await app.runtime.start(Isolated, { name: 'b' });
    await app.runtime.call('b', { type: 'boom' }).catch(() => undefined);
    await app.runtime.call('a', { type: 'spin', ms: 50 });
    await app.close();
    expect(workers()).toBeLessThanOrEqual(before);
  });
});
