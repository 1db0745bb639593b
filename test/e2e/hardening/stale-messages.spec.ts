import { Injectable } from '@nestjs/common';
import { GenServer, GenServerProcess, HandleCall, HandleCast, HandleInfo, type DeadLetterEvent, type DownMessage } from 'nestjs-genserver';
import { bootApp, sleep } from '../../support/app.js';

// #9 defect 3: messages of an earlier incarnation must not reach the next one.

@Injectable()
class Ticks {
  readonly byIncarnation = new Map<number, number>();
  readonly downs = new Map<number, DownMessage[]>();
}

let ticker = 0;

/** Arms one timer per incarnation; a crash waits until that timer's message is queued behind it. */
@GenServer('ticker')
class Ticker extends GenServerProcess<{ incarnation: number }> {
  constructor(private readonly ticks: Ticks) {
    super();
  }
  override init() {
    this.state = { incarnation: ++ticker };
    this.sendAfter(5, { type: 'tick' });
  }
  @HandleInfo('tick') tick() {
    const n = this.state.incarnation;
    this.ticks.byIncarnation.set(n, (this.ticks.byIncarnation.get(n) ?? 0) + 1);
  }
  @HandleCast('crash_later') async crashLater() {
    await sleep(40); // the timer fires meanwhile: its message waits in the mailbox
    throw new Error('crash with a timer message queued');
  }
}

let watcher = 0;

@GenServer('target')
class Target extends GenServerProcess {
  @HandleCall('ping') ping() {
    return 'pong';
  }
}

/** Monitors the target, then crashes once the target's DOWN is queued behind the running handler. */
@GenServer('watcher')
class Watcher extends GenServerProcess<{ incarnation: number }> {
  constructor(private readonly ticks: Ticks) {
    super();
  }
  override init() {
    this.state = { incarnation: ++watcher };
  }
  @HandleCall('watch') watch() {
    this.monitor('target');
    return 'watching';
  }
  @HandleCast('crash_later') async crashLater() {
    await sleep(40);
    throw new Error('crash with a DOWN queued');
  }
  @HandleInfo('DOWN') down(msg: DownMessage) {
    const list = this.ticks.downs.get(this.state.incarnation) ?? [];
    list.push(msg);
    this.ticks.downs.set(this.state.incarnation, list);
  }
  @HandleCall('downs') list() {
    return this.ticks.downs.get(this.state.incarnation) ?? [];
  }
}

describe('messages of an earlier incarnation (#9, defect 3)', () => {
  it('drops a timer message queued for a crashed incarnation as a stale dead letter', async () => {
    const t = await bootApp([Ticks, Ticker]);
    const ticks = t.app.get(Ticks);
    // The crash handler starts at once; the timer init armed fires while it runs, and waits behind it.
    await t.runtime.cast('ticker', { type: 'crash_later' });
    await sleep(120);
    expect(t.runtime.whereis('ticker')?.incarnation).toBe(2);
    expect(ticks.byIncarnation.get(1)).toBeUndefined();
    expect(ticks.byIncarnation.get(2)).toBe(1); // its own timer, not also the one of incarnation 1
    const stale = t.events.filter((e): e is DeadLetterEvent => e.type === 'dead-letter' && e.reason === 'stale');
    expect(stale.map((e) => [e.envelope.type, e.envelope.incarnation])).toEqual([['tick', 1]]);
    await t.close();
  });

  it('gives the next incarnation neither the queued timer nor a second timer chain', async () => {
    @GenServer('refill')
    class Refill extends GenServerProcess<{ incarnation: number; ticks: number }> {
      static incarnations = 0;
      override init() {
        this.state = { incarnation: ++Refill.incarnations, ticks: 0 };
        this.sendAfter(10, { type: 'refill' });
      }
      @HandleInfo('refill') refill() {
        this.state.ticks++;
        this.sendAfter(10, { type: 'refill' }); // the README's refill pattern
      }
      @HandleCast('crash_later') async crashLater() {
        await sleep(35);
        throw new Error('crash');
      }
      @HandleCall('ticks') count() {
        return this.state;
      }
    }
    const t = await bootApp([Refill]);
    await sleep(30);
    await t.runtime.cast('refill', { type: 'crash_later' });
    await sleep(60); // crash, restart
    const stale = t.events.filter((e): e is DeadLetterEvent => e.type === 'dead-letter' && e.reason === 'stale');
    expect(stale.length).toBeGreaterThanOrEqual(1);
    expect(stale[0]!.envelope.type).toBe('refill');
    // One chain at 10 ms: over 200 ms about 20 ticks; two chains would give about 40.
    const before = await t.runtime.call<{ incarnation: number; ticks: number }>('refill', { type: 'ticks' });
    await sleep(200);
    const after = await t.runtime.call<{ incarnation: number; ticks: number }>('refill', { type: 'ticks' });
    expect(after.incarnation).toBe(2);
    expect(after.ticks - before.ticks).toBeLessThanOrEqual(24);
    await t.close();
  });

  it('never hands a DOWN of a monitor made by a crashed incarnation to the next one', async () => {
    const t = await bootApp([Ticks, Target, Watcher]);
    await t.runtime.call('watcher', { type: 'watch' });
    await t.runtime.cast('watcher', { type: 'crash_later' });
    await t.runtime.stop('target'); // DOWN queued behind the crashing handler of incarnation 1
    await sleep(80);
    expect(t.runtime.whereis('watcher')?.incarnation).toBe(2);
    await expect(t.runtime.call('watcher', { type: 'downs' })).resolves.toEqual([]);
    const stale = t.events.filter((e): e is DeadLetterEvent => e.type === 'dead-letter' && e.reason === 'stale');
    expect(stale.map((e) => e.envelope.type)).toContain('DOWN');
    await t.close();
  });
});
