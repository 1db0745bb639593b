import * as main from 'nestjs-genserver';
import * as light from 'nestjs-genserver/process';
import { bootApp, type TestApp } from '../../support/app.js';
// @ts-expect-error a plain JavaScript fixture (a worker imports it as it is)
import { Light } from '../../fixtures/isolation/light-processes.mjs';

// #12: `nestjs-genserver/process` is what a process's class file needs, so that an isolated
// process's worker need not load Nest's core or the runtime to import it (start time: BENCHMARKS.md).

describe('the nestjs-genserver/process entry', () => {
  let app: TestApp;
  afterEach(async () => {
    await app?.close();
  });

  it('exports the same bindings as the main entry: a class built from either is the same to the runtime', () => {
    const names = Object.keys(light);
    expect(names).toEqual(expect.arrayContaining(['GenServer', 'HandleCall', 'HandleCast', 'HandleInfo', 'GenServerProcess', 'noReply', 'From', 'TimerRef', 'MonitorRef', 'ProcessCrashedError', 'InvalidPayloadError']));
    for (const name of names) expect([name, (light as Record<string, unknown>)[name]]).toEqual([name, (main as Record<string, unknown>)[name]]);
    expect(light.GenServerProcess).toBe(main.GenServerProcess);
  });

  it('runs a class whose file imports only it, isolated', async () => {
    app = await bootApp([Light]);
    await app.runtime.start(Light, { name: 'light' });
    await app.runtime.cast('light', { type: 'add', n: 2 });
    await app.runtime.cast('light', { type: 'add', n: 3 });
    const got = await app.runtime.call<{ n: number; threadId: number }>('light', { type: 'get' });
    expect(got.n).toBe(5);
    expect(got.threadId).toBeGreaterThan(0);
  });
});
