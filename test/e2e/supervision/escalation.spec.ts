import { ProcessStoppedError, type Clock, type GenServerEvent } from 'nestjs-genserver';
import { bootApp, nextEvent, sleep } from '../../support/app.js';
import { Journal, Worker } from '../../support/workers.js';

/** The clock restart windows read: the tests move it by hand. */
class ManualClock implements Clock {
  at = 1_000_000;
  now() {
    return this.at;
  }
}

const lifecycle = (events: GenServerEvent[]) =>
  events.filter((e) => e.type === 'escalated' || e.type === 'fatal').map((e) => `${e.type} ${e.name}`);

async function crashAndWait(t: Awaited<ReturnType<typeof bootApp>>, name: string, waitFor: (e: GenServerEvent) => boolean) {
  const done = nextEvent(t.runtime.events$, waitFor);
  await t.runtime.cast(name, { type: 'exit', reason: 'crash' });
  return done;
}

describe('restart intensity', () => {
  it('counts restarts in a sliding window read from the injected clock', async () => {
    const clock = new ManualClock();
    const t = await bootApp([Journal, Worker], {
      clock,
      supervision: {
        name: 'root',
        children: [{ supervisor: { name: 'sup', maxRestarts: 2, withinMs: 1000, children: [{ name: 'w', type: Worker }] } }],
      },
    });
    const restarted = (e: GenServerEvent) => e.type === 'restarted' && e.name === 'w';
    await crashAndWait(t, 'w', restarted);
    clock.at += 600;
    await crashAndWait(t, 'w', restarted);
    clock.at += 600; // the first restart has left the window: one slot is free again
    await crashAndWait(t, 'w', restarted);
    expect(lifecycle(t.events)).toEqual([]);
    // Two restarts inside the window now; one more is one too many.
    await crashAndWait(t, 'w', (e) => e.type === 'escalated');
    expect(lifecycle(t.events)).toEqual(['escalated sup']);
    // The root (permanent child 'sup') restarts the subtree: w is back with a fresh window.
    await nextEvent(t.runtime.events$, (e) => e.type === 'restarted' && e.name === 'w');
    expect(await t.runtime.call('w', { type: 'ping' })).toMatchObject({ name: 'w' });
    expect(t.runtime.tree()?.children?.[0]).toMatchObject({ name: 'sup', restarts: 1, status: 'running' });
    await t.close();
  });

  it('escalates three levels up to a fatal root failure, answering every queued message', async () => {
    const t = await bootApp([Journal, Worker], {
      supervision: {
        name: 'root',
        maxRestarts: 0,
        children: [
          {
            supervisor: {
              name: 'mid',
              maxRestarts: 0,
              children: [{ supervisor: { name: 'leaf', maxRestarts: 0, children: [{ name: 'w', type: Worker }, { name: 'v', type: Worker }] } }],
            },
          },
        ],
      },
    });
    const fatal = nextEvent(t.runtime.events$, (e) => e.type === 'fatal');
    await t.runtime.cast('w', { type: 'exit', reason: 'crash' });
    const queued = t.runtime.call('w', { type: 'ping' });
    await fatal;
    expect(lifecycle(t.events)).toEqual(['escalated leaf', 'escalated mid', 'escalated root', 'fatal root']);
    await expect(queued).rejects.toBeInstanceOf(ProcessStoppedError);
    expect(t.runtime.list()).toEqual([]);
    // Siblings were shut down newest first at each level.
    expect(t.app.get(Journal).lines).toEqual(['init w', 'init v', 'terminate w error(boom)', 'terminate v shutdown']);
    await t.close();
  });

  it('lets the parent restart an escalated subtree when it still can', async () => {
    const t = await bootApp([Journal, Worker], {
      supervision: {
        name: 'root',
        maxRestarts: 5,
        children: [
          { name: 'bystander', type: Worker },
          { supervisor: { name: 'mid', maxRestarts: 0, children: [{ supervisor: { name: 'leaf', maxRestarts: 0, children: [{ name: 'w', type: Worker }] } }] } },
        ],
      },
    });
    await t.runtime.cast('bystander', { type: 'note' });
    await crashAndWait(t, 'w', (e) => e.type === 'restarted' && e.name === 'w');
    expect(lifecycle(t.events)).toEqual(['escalated leaf', 'escalated mid']);
    // one_for_one at the root: the bystander kept its incarnation and state.
    expect(await t.runtime.call('bystander', { type: 'ping' })).toEqual({ name: 'bystander', seen: 1 });
    expect(t.runtime.whereis('bystander')?.incarnation).toBe(1);
    expect(t.runtime.tree()).toMatchObject({
      name: 'root',
      children: [{ name: 'bystander' }, { name: 'mid', restarts: 1, children: [{ name: 'leaf', children: [{ name: 'w', kind: 'process', status: 'running' }] }] }],
    });
    await t.close();
  });

  it('keeps messages sent while a subtree restarts and delivers them to the new incarnation', async () => {
    const t = await bootApp([Journal, Worker], {
      supervision: {
        name: 'root',
        // A backoff long enough that the 10 ms call below times out before the restart, even on a loaded machine.
        children: [{ supervisor: { name: 'sup', strategy: 'one_for_all', backoff: { type: 'constant', baseMs: 500 }, children: [{ name: 'a', type: Worker }, { name: 'b', type: Worker }] } }],
      },
    });
    const restartedA = nextEvent(t.runtime.events$, (e) => e.type === 'restarted' && e.name === 'a');
    await t.runtime.cast('b', { type: 'exit', reason: 'crash' });
    await sleep(10);
    expect(t.runtime.status('a').status).toBe('restarting');
    for (let i = 0; i < 3; i++) await t.runtime.cast('a', { type: 'note' });
    await expect(t.runtime.call('a', { type: 'ping' }, { timeout: 10 })).rejects.toMatchObject({ name: 'CallTimeoutError' });
    const reply = t.runtime.call('a', { type: 'ping' });
    await restartedA;
    expect(await reply).toEqual({ name: 'a', seen: 3 });
    // The tree tells how much of its restart intensity the supervisor has used in this window.
    const sup = t.runtime.tree()!.children!.find((node) => node.name === 'sup')!;
    expect(sup.intensity).toEqual({ restarts: 1, maxRestarts: 3, withinMs: 5000 });
    await t.close();
  });
});
