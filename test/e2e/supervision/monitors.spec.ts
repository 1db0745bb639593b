import { GenServer, GenServerProcess, HandleCall, HandleInfo, type DownMessage, type MonitorRef } from 'nestjs-genserver';
import { bootApp, nextEvent, sleep } from '../../support/app.js';
import { Journal, Worker } from '../../support/workers.js';

@GenServer('watcher')
class Watcher extends GenServerProcess<{ downs: DownMessage[]; refs: MonitorRef[] }> {
  override init() {
    this.state = { downs: [], refs: [] };
  }
  @HandleCall('watch') watch(msg: { type: 'watch'; name: string }) {
    const ref = this.monitor(msg.name);
    this.state.refs.push(ref);
    return ref.id;
  }
  @HandleCall('unwatch') unwatch() {
    return this.state.refs.map((ref) => this.demonitor(ref));
  }
  @HandleInfo('DOWN') down(msg: DownMessage) {
    this.state.downs.push(msg);
  }
  @HandleCall('downs') downs() {
    return this.state.downs;
  }
}

describe('monitors', () => {
  const boot = () =>
    bootApp([Journal, Worker, Watcher], {
      supervision: { name: 'root', children: [{ name: 'target', type: Worker, restart: 'transient' }] },
    });

  it('deliver DOWN once when the watched process crashes, with the reason', async () => {
    const t = await boot();
    const ref = await t.runtime.call<number>('watcher', { type: 'watch', name: 'target' });
    const restarted = nextEvent(t.runtime.events$, (e) => e.type === 'restarted' && e.name === 'target');
    await t.runtime.cast('target', { type: 'exit', reason: 'crash' });
    await restarted;
    const stopped = nextEvent(t.runtime.events$, (e) => e.type === 'stopped' && e.name === 'target');
    await t.runtime.cast('target', { type: 'exit', reason: 'normal' });
    await stopped;
    await sleep(5);
    // The monitor fired for the crash and was gone by the time of the stop.
    expect(await t.runtime.call('watcher', { type: 'downs' })).toEqual([{ type: 'DOWN', name: 'target', reason: 'boom', ref }]);
    await t.close();
  });

  it('deliver DOWN with reason "noproc" at once for a name nobody holds', async () => {
    const t = await boot();
    const ref = await t.runtime.call<number>('watcher', { type: 'watch', name: 'ghost' });
    expect(await t.runtime.call('watcher', { type: 'downs' })).toEqual([{ type: 'DOWN', name: 'ghost', reason: 'noproc', ref }]);
    await t.close();
  });

  it('deliver nothing after demonitor', async () => {
    const t = await boot();
    await t.runtime.call('watcher', { type: 'watch', name: 'target' });
    expect(await t.runtime.call('watcher', { type: 'unwatch' })).toEqual([true]);
    await t.runtime.stop('target');
    expect(await t.runtime.call('watcher', { type: 'downs' })).toEqual([]);
    expect(await t.runtime.call('watcher', { type: 'unwatch' })).toEqual([false]);
    await t.close();
  });

  it('deliver DOWN with the stop reason when the watched process is stopped', async () => {
    const t = await boot();
    const ref = await t.runtime.call<number>('watcher', { type: 'watch', name: 'target' });
    await t.runtime.stop('target', { shutdown: 'maintenance' });
    expect(await t.runtime.call('watcher', { type: 'downs' })).toEqual([{ type: 'DOWN', name: 'target', reason: 'shutdown: maintenance', ref }]);
    await t.close();
  });
});
