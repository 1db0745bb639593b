import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStateStore, RedisStateStore, type StateStoreSpec } from 'nestjs-genserver';
import { bootApp, nextEvent } from '../../support/app.js';
import { startRedis, type RedisServer } from '../../support/redis-server.js';
import { DurableCounter } from '../../support/stateful.js';

let redis: RedisServer;
let dir: string;
beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'genserver-state-'));
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
const backends: [string, () => StateStoreSpec][] = [
  ['memory', () => ({ type: 'memory' })],
  ['lmdb', () => ({ type: 'lmdb', path: join(dir, `db${seq++}`) })],
  ['redis', () => ({ type: 'redis', url: redis.url, keyPrefix: `t${seq++}:` })],
];

const boot = (stateStore: StateStoreSpec, checkpoint?: unknown) =>
  bootApp([DurableCounter], {
    stateStore,
    supervision: { name: 'root', maxRestarts: 10, children: [{ name: 'c', type: DurableCounter, ...(checkpoint ? { checkpoint } : {}) } as never] },
  });

describe.each(backends)('%s store', (_name, spec) => {
  it('a crashed process continues from its last checkpoint, never from a half-changed state', async () => {
    const t = await boot(spec());
    for (let i = 0; i < 25; i++) await t.runtime.cast('c', { type: 'inc' });
    const restarted = nextEvent(t.runtime.events$, (e) => e.type === 'restarted');
    await t.runtime.cast('c', { type: 'crash' });
    await restarted;
    expect(await t.runtime.call('c', { type: 'get' })).toEqual({ n: 25, label: 'fresh' });
    await t.runtime.cast('c', { type: 'inc' });
    expect(await t.runtime.call('c', { type: 'get' })).toEqual({ n: 26, label: 'fresh' });
    await t.close();
  });

  it('with { everyN: 10 }, loses at most the messages after the last checkpoint', async () => {
    const t = await boot(spec(), { everyN: 10 });
    for (let i = 0; i < 25; i++) await t.runtime.cast('c', { type: 'inc' });
    const restarted = nextEvent(t.runtime.events$, (e) => e.type === 'restarted');
    await t.runtime.cast('c', { type: 'crash' });
    await restarted;
    expect(await t.runtime.call('c', { type: 'get' })).toMatchObject({ n: 20 });
    await t.close();
  });
});

describe.each(backends.slice(1))('%s store, across app restarts', (_name, spec) => {
  it('a second app instance on the same store restores what the first left', async () => {
    const store = spec();
    const first = await boot(store, 'manual');
    for (let i = 0; i < 7; i++) await first.runtime.cast('c', { type: 'inc' });
    await first.close(); // an orderly stop saves what changed since the last checkpoint
    const second = await boot(store);
    expect(await second.runtime.call('c', { type: 'get' })).toEqual({ n: 7, label: 'fresh' });
    await second.close();
  });
});

describe('corrupt records', () => {
  it.each([
    ['lmdb', async () => LmdbStateStore.open(join(dir, 'corrupt'))],
    ['redis', async () => RedisStateStore.connect(redis.url, 'corrupt:')],
  ] as const)('%s: are reported, moved aside (not deleted), and the process starts from init', async (_name, open) => {
    const direct = await open();
    await direct.putRaw('c', '{"v":1, this is not json');
    const spec: StateStoreSpec = _name === 'lmdb' ? { type: 'lmdb', path: join(dir, 'corrupt') } : { type: 'redis', url: redis.url, keyPrefix: 'corrupt:' };
    if (_name === 'lmdb') await direct.close();
    const t = await boot(spec);
    expect(t.events.find((e) => e.type === 'state-corrupt')).toMatchObject({ name: 'c', reason: expect.stringMatching(/JSON/) });
    expect(await t.runtime.call('c', { type: 'get' })).toEqual({ n: 0, label: 'fresh' });
    expect(t.logger.at('error').some((l) => l.context === 'c' && /unreadable.*moved aside, starting from init/.test(l.message))).toBe(true);
    await t.close();
    if (_name === 'lmdb') {
      const reopened = await LmdbStateStore.open(join(dir, 'corrupt'));
      expect(await reopened.listAside()).toHaveLength(1);
      await reopened.close();
    } else {
      expect(await (direct as RedisStateStore).listAside()).toHaveLength(1);
      await direct.close();
    }
  });
});
