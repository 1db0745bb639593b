import { GenServer, GenServerProcess, HandleCall, HandleCast, type ExitReason } from 'nestjs-genserver';
import { bootApp, sleep } from '../../support/app.js';

// `this.stop()` called from `init` takes effect once `init` returns, whether `init` is sync or async,
// on a first start or a restart (found by a review of the merged start path).

type Mode = 'sync' | 'async';
let mode: Mode = 'sync';
let stopOn = 1;
let inits = 0;

@GenServer({ type: 'stops_in_init', restart: 'transient' })
class StopsInInit extends GenServerProcess<number> {
  override init(): void | Promise<void> {
    this.state = ++inits;
    if (inits !== stopOn) return;
    this.stop('normal');
    if (mode === 'async') return sleep(5);
  }
  @HandleCall('n') n() {
    return this.state;
  }
  @HandleCast('crash') crash() {
    throw new Error('boom');
  }
}

@GenServer({ type: 'permanent_stopper' })
class PermanentStopper extends GenServerProcess<number> {
  override init() {
    this.state = ++inits;
    if (inits === 2) this.stop({ shutdown: 'bye' }); // restarted again: permanent
  }
  @HandleCall('n') n() {
    return this.state;
  }
  @HandleCast('crash') crash() {
    throw new Error('boom');
  }
}

const names = (events: { type: string; name: string }[]) => events.filter((e) => e.name === 'p').map((e) => e.type);

describe('this.stop() inside init', () => {
  beforeEach(() => (inits = 0));

  it.each(['sync', 'async'] as Mode[])('on a first start (%s init): start resolves, then the process stops normally', async (m) => {
    mode = m;
    stopOn = 1;
    const t = await bootApp([StopsInInit]);
    await expect(t.runtime.start(StopsInInit, { name: 'p' })).resolves.toBeUndefined();
    await sleep(30);
    expect(names(t.events)).toEqual(['started', 'stopped']);
    expect(t.runtime.whereis('p')).toBeUndefined();
    await t.close();
  });

  it.each(['sync', 'async'] as Mode[])('on a restart (%s init): restarted, then stopped normally, no crash loop', async (m) => {
    mode = m;
    stopOn = 2;
    const t = await bootApp([StopsInInit]);
    await t.runtime.start(StopsInInit, { name: 'p' });
    await t.runtime.cast('p', { type: 'crash' });
    await sleep(50);
    expect(names(t.events)).toEqual(['started', 'crashed', 'dead-letter', 'restarted', 'stopped']);
    expect(t.events.some((e) => e.type === 'fatal')).toBe(false);
    await t.close();
  });

  it('a permanent process that stops in init during a backoff restarts again; messages wait, none fails', async () => {
    const reasons: ExitReason[] = [];
    const t = await bootApp([PermanentStopper], {
      supervision: { name: 'root', maxRestarts: 10, backoff: { type: 'constant', baseMs: 100 }, children: [{ name: 'p', type: PermanentStopper }] },
    });
    t.runtime.events$.subscribe((e) => e.type === 'stopped' && reasons.push(e.reason));
    await t.runtime.cast('p', { type: 'crash' });
    await sleep(150); // restarted once (init stops it), now waiting out the next backoff
    expect(t.runtime.status('p').status).toBe('restarting');
    await expect(t.runtime.call('p', { type: 'n' }, { timeout: 1000 })).resolves.toBe(3);
    expect(t.logger.at('error').map((l) => l.message).join('\n')).not.toMatch('internal failure');
    await t.close();
  });
});
