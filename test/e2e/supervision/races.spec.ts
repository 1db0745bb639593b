import {
  DynamicSupervisor,
  GenServer,
  GenServerProcess,
  HandleCall,
  HandleCast,
  HandleInfo,
  NoSuchSupervisorError,
  ProcessStoppedError,
  type DownMessage,
} from 'nestjs-genserver';
import { bootApp, nextEvent, sleep } from '../../support/app.js';
import { Journal, Worker } from '../../support/workers.js';

// Orderings found in review: each test pins one of them down.

@GenServer({ type: 'slow_init' })
class SlowInit extends GenServerProcess {
  override async init() {
    await sleep(60);
  }
}

let earlyInits = 0;

/** Crashes right after its first start, while its siblings are still starting. */
@GenServer({ type: 'early_crasher' })
class EarlyCrasher extends GenServerProcess {
  override init() {
    if (++earlyInits === 1) this.sendAfter(0, { type: 'boom' });
  }
  @HandleInfo('boom') boom() {
    throw new Error('crashed during boot');
  }
  @HandleCall('ping') ping() {
    return 'pong';
  }
}

@GenServer({ type: 'lingerer' })
class Lingerer extends GenServerProcess {
  @HandleCast('linger_then_fail') async lingerThenFail() {
    await sleep(150);
    throw new Error('failed long after being given up on');
  }
  @HandleCall('linger') async linger() {
    await sleep(500); // far beyond shutdownMs, short enough not to hold the test runner
    return 'too late';
  }
  @HandleCall('ping') ping() {
    return 'pong';
  }
}

@GenServer('watcher')
class Watcher extends GenServerProcess<{ downs: DownMessage[] }> {
  override init() {
    this.state = { downs: [] };
  }
  @HandleCall('watch') watch(msg: { type: 'watch'; name: string }) {
    this.monitor(msg.name);
    return true;
  }
  @HandleInfo('DOWN') down(msg: DownMessage) {
    this.state.downs.push(msg);
  }
  @HandleCall('downs') downs() {
    return this.state.downs.map((d) => `${d.name}:${d.reason}`);
  }
}

describe('supervision races', () => {
  it('handles an exit that comes while the supervisor is still starting its children', async () => {
    const t = await bootApp([EarlyCrasher, SlowInit], {
      supervision: { name: 'root', children: [{ name: 'early', type: EarlyCrasher }, { name: 'later', type: SlowInit }] },
    });
    // 'early' crashed while 'later' was still in init; once the start finished, it was restarted.
    await sleep(20);
    expect(t.runtime.status('early')).toMatchObject({ status: 'running', restarts: 1, errors: 1 });
    expect(await t.runtime.call('early', { type: 'ping' })).toBe('pong');
    await t.close();
  });

  it('does not restart a temporary sibling that one_for_all shut down', async () => {
    const t = await bootApp([Journal, Worker], {
      supervision: { name: 'root', strategy: 'one_for_all', children: [{ name: 'tmp', type: Worker, restart: 'temporary' }, { name: 'p', type: Worker }] },
    });
    const restarted = nextEvent(t.runtime.events$, (e) => e.type === 'restarted' && e.name === 'p');
    await t.runtime.cast('p', { type: 'exit', reason: 'crash' });
    await restarted;
    expect(t.runtime.whereis('tmp')).toBeUndefined();
    expect(t.app.get(Journal).lines).toEqual(['init tmp', 'init p', 'terminate p error(boom)', 'terminate tmp shutdown', 'init p']);
    await t.close();
  });

  it('does not count a handler that throws while its process is being stopped as a crash to restart', async () => {
    const t = await bootApp([Journal, Worker, Lingerer], {
      supervision: { name: 'root', strategy: 'one_for_all', maxRestarts: 0, children: [{ name: 'y', type: Worker }, { name: 'x', type: Lingerer }] },
    });
    await t.runtime.cast('x', { type: 'linger_then_fail' });
    await sleep(10);
    await t.runtime.stop('x');
    expect(t.events.filter((e) => e.type === 'restarted' || e.type === 'escalated' || e.type === 'fatal')).toEqual([]);
    expect(t.runtime.whereis('y')?.incarnation).toBe(1);
    await t.close();
  });

  it('answers or dead-letters the message of a handler abandoned at shutdownMs, and ignores what that handler does later', async () => {
    const t = await bootApp([Journal, Worker, Lingerer], {
      supervision: { name: 'root', strategy: 'one_for_all', children: [{ name: 'a', type: Lingerer, shutdownMs: 30 }, { name: 'b', type: Worker }] },
    });
    const crashB = async () => {
      const restarted = nextEvent(t.runtime.events$, (e) => e.type === 'restarted' && e.name === 'b');
      await t.runtime.cast('b', { type: 'exit', reason: 'crash' });
      await restarted;
    };
    await t.runtime.cast('a', { type: 'linger_then_fail' });
    await sleep(10);
    await crashB();
    expect(t.events.find((e) => e.type === 'dead-letter' && e.name === 'a')).toMatchObject({ reason: 'abandoned' });
    await sleep(200); // the abandoned handler fails now: it must not touch the new incarnation
    expect(t.runtime.whereis('a')?.incarnation).toBe(2);
    expect(t.events.filter((e) => e.type === 'crashed').map((e) => e.name)).toEqual(['b']);

    const waiting = t.runtime.call('a', { type: 'linger' }, { timeout: Infinity });
    await sleep(10);
    await crashB();
    await expect(waiting).rejects.toBeInstanceOf(ProcessStoppedError);
    expect(await t.runtime.call('a', { type: 'ping' })).toBe('pong');
    await t.close();
  });

  it('delivers DOWN for a process stopped while it waits in backoff', async () => {
    const t = await bootApp([Journal, Worker, Watcher], {
      supervision: { name: 'root', backoff: { type: 'constant', baseMs: 100 }, children: [{ name: 'x', type: Worker }, { name: 'watcher', type: Watcher }] },
    });
    await t.runtime.cast('x', { type: 'exit', reason: 'crash' });
    await sleep(20); // x is down, waiting for its restart
    await t.runtime.call('watcher', { type: 'watch', name: 'x' });
    await t.runtime.stop('x');
    await sleep(10);
    expect(await t.runtime.call('watcher', { type: 'downs' })).toEqual(['x:normal']);
    await t.close();
  });

  it('takes no new child under a dynamic supervisor that is stopping, and leaves none behind', async () => {
    const t = await bootApp([Journal, SlowInit], { supervision: { name: 'root', children: [DynamicSupervisor({ name: 'sessions' })] } });
    await t.runtime.start(SlowInit, { name: 's1', supervisor: 'sessions' });
    const stopping = t.runtime.stop('sessions');
    await expect(t.runtime.start(SlowInit, { name: 's2', supervisor: 'sessions' })).rejects.toBeInstanceOf(NoSuchSupervisorError);
    await stopping;
    expect(t.runtime.list()).toEqual([]);
    await t.close();
  });

  it('does not restart the children of a dynamic supervisor that gave up', async () => {
    const t = await bootApp([Journal, Worker], {
      supervision: { name: 'root', children: [DynamicSupervisor({ name: 'sessions', maxRestarts: 0 })] },
    });
    await t.runtime.start(Worker, { name: 's1', supervisor: 'sessions' });
    await t.runtime.start(Worker, { name: 's2', supervisor: 'sessions' });
    const escalated = nextEvent(t.runtime.events$, (e) => e.type === 'escalated');
    await t.runtime.cast('s1', { type: 'exit', reason: 'crash' });
    await escalated;
    await sleep(20);
    expect(t.runtime.list()).toEqual([]);
    expect(t.runtime.tree()?.children?.[0]).toMatchObject({ name: 'sessions', restarts: 1, children: [] });
    await t.close();
  });
});
