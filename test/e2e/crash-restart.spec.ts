import { Injectable } from '@nestjs/common';
import {
  GenServer,
  GenServerProcess,
  HandleCall,
  HandleCast,
  NoSuchProcessError,
  ProcessCrashedError,
  ProcessStoppedError,
  type DeadLetterEvent,
} from 'nestjs-genserver';
import { bootApp, gate, nextEvent, sleep, type TestApp } from '../support/app.js';

/** A dependency to show each incarnation is built by Nest with its constructor injection. */
@Injectable()
class Births {
  readonly instances: object[] = [];
}

const hold = { current: gate() };

@GenServer('fragile')
class Fragile extends GenServerProcess<{ n: number; initCount: number }> {
  constructor(private readonly births: Births) {
    super();
    births.instances.push(this);
  }
  override init() {
    this.state = { n: 0, initCount: this.births.instances.length };
  }
  @HandleCast('inc') inc() {
    this.state.n++;
  }
  @HandleCall('get') get() {
    return this.state;
  }
  @HandleCall('corrupt-then-throw') corrupt() {
    this.state.n = 999;
    throw new Error('boom');
  }
  @HandleCast('crash') crash() {
    throw new Error('cast boom');
  }
  @HandleCast('crash-later') async crashLater() {
    await hold.current.promise;
    throw new Error('async boom');
  }
}

describe('3. a throwing handler crashes its process, which restarts', () => {
  let t: TestApp;
  let births: Births;
  beforeEach(async () => {
    hold.current = gate();
    t = await bootApp([Births, Fragile]);
    births = t.app.get(Births);
  });
  afterEach(() => t.close());

  it('gives the caller ProcessCrashedError with the cause', async () => {
    const error = await t.runtime.call('fragile', { type: 'corrupt-then-throw' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessCrashedError);
    expect(error).toMatchObject({ process: 'fragile', messageType: 'corrupt-then-throw' });
    expect((error as Error).cause).toEqual(new Error('boom'));
  });

  it('restarts from a fresh Nest-built instance and init: the failed handler\'s changes are gone', async () => {
    await t.runtime.cast('fragile', { type: 'inc' });
    expect(await t.runtime.call('fragile', { type: 'get' })).toEqual({ n: 1, initCount: 2 });
    const before = t.runtime.whereis('fragile');
    await t.runtime.call('fragile', { type: 'corrupt-then-throw' }).catch(() => undefined);
    expect(await t.runtime.call('fragile', { type: 'get' })).toEqual({ n: 0, initCount: 3 });
    expect(births.instances).toHaveLength(3); // the provider singleton, the first and the second incarnation
    expect(births.instances[2]).not.toBe(births.instances[1]);
    expect(t.runtime.whereis('fragile')?.incarnation).toBe((before?.incarnation ?? 0) + 1);
    expect(t.runtime.status('fragile')).toMatchObject({ status: 'running', restarts: 1, errors: 1 });
    expect(t.events.map((e) => e.type)).toEqual(['started', 'crashed', 'dead-letter', 'restarted']);
  });

  it('keeps the messages queued behind the crash for the new instance, and dead-letters only the crashing one', async () => {
    const dead = nextEvent(t.runtime.events$, (e): e is DeadLetterEvent => e.type === 'dead-letter');
    await t.runtime.cast('fragile', { type: 'crash-later' });
    await sleep(5);
    for (let i = 0; i < 3; i++) await t.runtime.cast('fragile', { type: 'inc' });
    const reply = t.runtime.call('fragile', { type: 'get' });
    hold.current.open();
    expect(await reply).toEqual({ n: 3, initCount: 3 });
    expect(await dead).toMatchObject({ reason: 'crashed', envelope: { kind: 'cast', type: 'crash-later' } });
    expect(t.events.filter((e) => e.type === 'dead-letter')).toHaveLength(1);
  });

  it('restarts at most 3 times in 5 s; then the root supervisor gives up, stops the process and answers what waited', async () => {
    for (let i = 0; i < 3; i++) {
      await t.runtime.cast('fragile', { type: 'crash' });
      await nextEvent(t.runtime.events$, (e) => e.type === 'restarted');
    }
    await t.runtime.cast('fragile', { type: 'crash' });
    const queued = t.runtime.call('fragile', { type: 'get' });
    await nextEvent(t.runtime.events$, (e) => e.type === 'stopped');
    await expect(queued).rejects.toBeInstanceOf(ProcessStoppedError);
    await expect(t.runtime.call('fragile', { type: 'get' })).rejects.toBeInstanceOf(NoSuchProcessError);
    expect(t.runtime.whereis('fragile')).toBeUndefined();
    expect(t.events.filter((e) => e.type === 'restarted')).toHaveLength(3);
    expect(t.events.filter((e) => e.type === 'escalated' || e.type === 'fatal').map((e) => [e.type, e.name])).toEqual([
      ['escalated', 'root'],
      ['fatal', 'root'],
    ]);
    expect(t.logger.at('error').some((l) => /reached its restart intensity \(3 in 5000 ms\)/.test(l.message))).toBe(true);
  });
});
