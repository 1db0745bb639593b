import { firstValueFrom, from, toArray } from 'rxjs';
import { GenServer, GenServerProcess, HandleCall, HandleCast, HandleInfo, InvalidOptionError, type DeadLetterEvent } from 'nestjs-genserver';
import { bootApp, gate, sleep, type TestApp } from '../support/app.js';

// #11: talking to processes from outside a process — watching one as an Observable, and piping any
// stream into one as an Observer.

const release = { current: gate() };

@GenServer()
class Collector extends GenServerProcess<{ seen: unknown[] }> {
  override init() {
    this.state = { seen: [] };
  }
  @HandleCast('point') point(msg: { type: 'point'; v: number }) {
    this.state.seen.push(msg.v);
  }
  @HandleCast('hold') async hold() {
    await release.current.promise;
  }
  @HandleCall('seen') seen() {
    return this.state.seen;
  }
  @HandleCall('crash') crash() {
    throw new Error('broken gauge');
  }
  @HandleCall('remind') remind(msg: { type: 'remind'; to: unknown }) {
    this.sendAfter(5, { type: 'tick', from: this.name }, { to: msg.to as string });
    return true;
  }
  @HandleInfo('tick') tick(msg: { from: string }) {
    this.state.seen.push(`tick from ${msg.from}`);
  }
}

describe('runtime.monitor and runtime.sink', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await bootApp([Collector]);
  });
  afterEach(async () => {
    release.current.open();
    await t.close();
  });

  it('monitor emits the DOWN of the running incarnation once and completes', async () => {
    await t.runtime.start(Collector, { name: 'c', restart: 'permanent' });
    const down = firstValueFrom(t.runtime.monitor('c').pipe(toArray()));
    await t.runtime.call('c', { type: 'crash' }).catch(() => undefined);
    expect(await down).toEqual([{ type: 'DOWN', name: 'c', reason: 'broken gauge', ref: expect.any(Number) }]);
    const stopped = firstValueFrom(t.runtime.monitor('c'));
    await t.runtime.stop('c');
    expect(await stopped).toMatchObject({ name: 'c', reason: 'normal' });
  });

  it('monitor of a name nothing runs under emits noproc at once; unsubscribing stops watching', async () => {
    await expect(firstValueFrom(t.runtime.monitor('nobody'))).resolves.toMatchObject({ name: 'nobody', reason: 'noproc' });
    await t.runtime.start(Collector, { name: 'quiet' });
    const got: unknown[] = [];
    t.runtime.monitor('quiet').subscribe((down) => got.push(down)).unsubscribe();
    await t.runtime.stop('quiet');
    expect(got).toEqual([]);
    expect(() => t.runtime.monitor(42 as unknown as string)).toThrow(InvalidOptionError);
  });

  it('sendAfter with { to } delivers to another process; a name that is no name is an InvalidOptionError', async () => {
    await t.runtime.start(Collector, { name: 'sender' });
    await t.runtime.start(Collector, { name: 'receiver' });
    await t.runtime.call('sender', { type: 'remind', to: 'receiver' });
    await sleep(30);
    await expect(t.runtime.call('receiver', { type: 'seen' })).resolves.toEqual(['tick from sender']);
    await expect(t.runtime.call('sender', { type: 'seen' })).resolves.toEqual([]);
    await expect(t.runtime.call('sender', { type: 'remind', to: 42 })).rejects.toMatchObject({ name: 'ProcessCrashedError' });
  });

  it('sink casts each value of a stream to the process, in order', async () => {
    await t.runtime.start(Collector, { name: 'metrics' });
    from([1, 2, 3, 4, 5].map((v) => ({ type: 'point', v }))).subscribe(t.runtime.sink('metrics'));
    await sleep(10);
    await expect(t.runtime.call('metrics', { type: 'seen' })).resolves.toEqual([1, 2, 3, 4, 5]);
  });

  it('sink reports refused casts as dead letters, never loses them silently', async () => {
    release.current = gate();
    await t.runtime.start(Collector, { name: 'small', maxMailbox: 2 });
    const sink = t.runtime.sink('small');
    sink.next({ type: 'hold' });
    sink.next({ type: 'hold' }); // the mailbox is full (nothing is handled within this turn)
    sink.next({ type: 'point', v: 1 }); // refused
    t.runtime.sink('nobody').next({ type: 'point', v: 2 });
    await sleep(10);
    const letters = t.events.filter((e): e is DeadLetterEvent => e.type === 'dead-letter');
    expect(letters.map((e) => [e.name, e.reason, e.envelope.type])).toEqual([
      ['small', 'MailboxFullError', 'point'],
      ['nobody', 'NoSuchProcessError', 'point'],
    ]);
  });
});
