import { bootApp, settledTo, sleep, type TestApp } from '../../support/app.js';
// @ts-expect-error a plain JavaScript fixture (a worker imports it as it is)
import { Isolated } from '../../fixtures/isolation/isolated-processes.mjs';

// #12: a dynamic supervisor with `warm: N` keeps N workers booted for its isolated children.

describe('warm workers', () => {
  let app: TestApp;
  afterEach(async () => {
    await app?.close();
  });

  it('start isolated children on workers booted ahead, replace each one taken, and end with the app', async () => {
    const before = process.getActiveResourcesInfo().length;
    app = await bootApp([Isolated], {
      supervision: { name: 'root', strategy: 'one_for_one', children: [{ name: 'agents', type: 'dynamic_supervisor', warm: 2 }] },
    });
    await sleep(1500); // the pool boots its workers meanwhile
    await app.runtime.start(Isolated, { name: 'warm-1', supervisor: 'agents' });
    await app.runtime.start(Isolated, { name: 'cold', isolation: 'worker' });
    const warm = await app.runtime.call<number>('warm-1', { type: 'thread' });
    const cold = await app.runtime.call<number>('cold', { type: 'thread' });
    // Thread ids grow: the warm one's worker was started at boot, before the cold one's.
    expect(warm).toBeLessThan(cold);
    expect(await app.runtime.call('warm-1', { type: 'inc' })).toBe(1);
    // A second and third start: the pool refills itself (or a start boots cold when it is empty).
    await app.runtime.start(Isolated, { name: 'warm-2', supervisor: 'agents' });
    await app.runtime.start(Isolated, { name: 'warm-3', supervisor: 'agents' });
    expect(await app.runtime.call('warm-3', { type: 'inc' })).toBe(1);
    await app.close();
    expect(await settledTo(() => process.getActiveResourcesInfo().length, before)).toBeLessThanOrEqual(before);
  });

  it('follows the heap limits its children ask for: the first such start is cold, the next ones warm', async () => {
    app = await bootApp([Isolated], {
      supervision: { name: 'root', strategy: 'one_for_one', children: [{ name: 'agents', type: 'dynamic_supervisor', warm: 1 }] },
    });
    await sleep(1500);
    const worker = { maxOldGenerationMb: 64 };
    await app.runtime.start(Isolated, { name: 'first', supervisor: 'agents', worker });
    expect(await app.runtime.call('first', { type: 'limits' })).toMatchObject({ maxOldGenerationMb: 64 });
    await sleep(3000); // the pool replaces its worker with one of these limits meanwhile (a boot loads Nest: ~0.5 s, more on a busy machine)
    await app.runtime.start(Isolated, { name: 'cold', isolation: 'worker', worker });
    await app.runtime.start(Isolated, { name: 'second', supervisor: 'agents', worker });
    const second = await app.runtime.call<{ threadId: number; maxOldGenerationMb: number }>('second', { type: 'limits' });
    const cold = await app.runtime.call<{ threadId: number }>('cold', { type: 'limits' });
    expect(second.maxOldGenerationMb).toBe(64);
    expect(second.threadId).toBeLessThan(cold.threadId); // booted ahead, before the cold one
  });

  it('refuses a warm count that is not a small whole number, naming the path', async () => {
    await expect(
      bootApp([Isolated], { supervision: { name: 'root', strategy: 'one_for_one', children: [{ name: 'agents', type: 'dynamic_supervisor', warm: 1000 }] } }),
    ).rejects.toThrow(/agents.*warm.*at most 64|warm: must be at most 64/);
    await expect(
      bootApp([Isolated], { supervision: { name: 'root', strategy: 'one_for_one', children: [{ name: 'agents', type: 'dynamic_supervisor', warm: -1 as number }] } }),
    ).rejects.toThrow(/warm/);
  });
});
