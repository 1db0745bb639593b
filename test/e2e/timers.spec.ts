import { GenServer, GenServerProcess, HandleCall, HandleCast, HandleInfo, type DeadLetterEvent, type TimerRef } from 'nestjs-genserver';
import { bootApp, gate, nextEvent, sleep, type TestApp } from '../support/app.js';

const hold = { current: gate() };

@GenServer({ name: 'busy', maxMailbox: 1 })
class Busy extends GenServerProcess {
  @HandleCall('arm') arm(msg: { type: 'arm'; ms: number }) {
    this.sendAfter(msg.ms, { type: 'tick' });
    return true;
  }
  @HandleCast('hold') async hold() {
    await hold.current.promise;
  }
  @HandleInfo('tick') tick() {}
}

@GenServer('ticker')
class Ticker extends GenServerProcess<{ ticks: number; pending?: TimerRef; cancelled?: boolean }> {
  override init() {
    this.state = { ticks: 0 };
  }
  @HandleCall('schedule') schedule(msg: { type: 'schedule'; ms: number }) {
    this.state.pending = this.sendAfter(msg.ms, { type: 'tick' });
    return true;
  }
  @HandleCall('cancel') cancel() {
    return this.cancelTimer(this.state.pending!);
  }
  @HandleCall('many') many(msg: { type: 'many'; count: number }) {
    for (let i = 0; i < msg.count; i++) this.sendAfter(60_000, { type: 'tick' });
    return msg.count;
  }
  @HandleInfo('tick') tick() {
    this.state.ticks++;
  }
  @HandleCall('ticks') ticks() {
    return this.state.ticks;
  }
  @HandleCast('crash') crash() {
    throw new Error('boom');
  }
}

const activeTimeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('6. sendAfter timers', () => {
  let t: TestApp;
  beforeEach(async () => {
    hold.current = gate();
    t = await bootApp([Ticker, Busy]);
  });
  afterEach(async () => {
    hold.current.open();
    await t.close();
  });

  it('delivers the payload to @HandleInfo after the delay', async () => {
    await t.runtime.call('ticker', { type: 'schedule', ms: 20 });
    expect(await t.runtime.call('ticker', { type: 'ticks' })).toBe(0);
    await sleep(60);
    expect(await t.runtime.call('ticker', { type: 'ticks' })).toBe(1);
  });

  it('cancelTimer stops a pending timer and says false once it has fired or been cancelled', async () => {
    await t.runtime.call('ticker', { type: 'schedule', ms: 20 });
    expect(await t.runtime.call('ticker', { type: 'cancel' })).toBe(true);
    expect(await t.runtime.call('ticker', { type: 'cancel' })).toBe(false);
    await sleep(50);
    expect(await t.runtime.call('ticker', { type: 'ticks' })).toBe(0);
    await t.runtime.call('ticker', { type: 'schedule', ms: 5 });
    await sleep(30);
    expect(await t.runtime.call('ticker', { type: 'cancel' })).toBe(false);
  });

  it('clears every timer of a process when it restarts and when it stops: no handle leaks', async () => {
    await t.runtime.call('ticker', { type: 'ticks' }); // arms the shared call-deadline timer first
    const baseline = activeTimeouts();
    await t.runtime.call('ticker', { type: 'many', count: 50 });
    expect(activeTimeouts()).toBeGreaterThanOrEqual(baseline + 50);
    await t.runtime.cast('ticker', { type: 'crash' });
    await nextEvent(t.runtime.events$, (e) => e.type === 'restarted');
    expect(activeTimeouts()).toBeLessThanOrEqual(baseline);
    await t.runtime.call('ticker', { type: 'many', count: 50 });
    await t.runtime.stop('ticker');
    expect(activeTimeouts()).toBeLessThanOrEqual(baseline);
  });

  it('publishes a timer message that its full mailbox refused as a dead letter, never dropping it silently', async () => {
    await t.runtime.call('busy', { type: 'arm', ms: 20 });
    await t.runtime.cast('busy', { type: 'hold' });
    await sleep(5);
    await t.runtime.cast('busy', { type: 'hold' }); // fills the mailbox (max 1)
    const dead = await nextEvent(t.runtime.events$, (e): e is DeadLetterEvent => e.type === 'dead-letter');
    expect(dead).toMatchObject({ name: 'busy', reason: 'MailboxFullError', envelope: { kind: 'info', type: 'tick' } });
  });
});
