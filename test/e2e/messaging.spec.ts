import {
  CallCycleError,
  CallTimeoutError,
  GenServer,
  GenServerProcess,
  HandleCall,
  HandleCast,
  HandleInfo,
  InvalidPayloadError,
  MailboxFullError,
  NoSuchProcessError,
  UnhandledMessageError,
  type DeadLetterEvent,
} from 'nestjs-genserver';
import { bootApp, gate, nextEvent, sleep, type TestApp } from '../support/app.js';

const release = { current: gate() };

@GenServer('recorder')
class Recorder extends GenServerProcess<{ log: string[]; running: number; maxRunning: number }> {
  override init() {
    this.state = { log: [], running: 0, maxRunning: 0 };
  }
  @HandleCast('work') async work(msg: { type: 'work'; id: string; ms: number }) {
    this.state.running++;
    this.state.maxRunning = Math.max(this.state.maxRunning, this.state.running);
    this.state.log.push(`start ${msg.id}`);
    await sleep(msg.ms);
    this.state.log.push(`end ${msg.id}`);
    this.state.running--;
  }
  @HandleCast('held') async held() {
    this.state.log.push('held start');
    await release.current.promise;
    this.state.log.push('held end');
  }
  @HandleCast('note') note(msg: { type: 'note'; id: string }) {
    this.state.log.push(msg.id);
  }
  @HandleCall('log') log() {
    return { log: this.state.log, maxRunning: this.state.maxRunning };
  }
  @HandleCall('sleep') async sleep(msg: { type: 'sleep'; ms: number; answer: string }) {
    await sleep(msg.ms);
    return msg.answer;
  }
}

function describeError(error: unknown) {
  return { error: (error as Error).name, chain: (error as CallCycleError).chain };
}

@GenServer('counter')
class Counter extends GenServerProcess<{ n: number }> {
  override init() {
    this.state = { n: 0 };
  }
  @HandleCast('inc') inc() {
    this.state.n++;
  }
  @HandleCall('get') get() {
    return this.state.n;
  }
  @HandleCall('self') callSelf() {
    return this.call(this.name, { type: 'get' }).catch(describeError);
  }
  @HandleCall('via') via(msg: { type: 'via'; target: string }) {
    return this.call(msg.target, { type: 'back', target: this.name });
  }
  @HandleCall('back') back(msg: { type: 'back'; target: string }) {
    return this.call(msg.target, { type: 'get' }).catch(describeError);
  }
  @HandleCall('whoami') whoami(_msg: unknown, from: { caller: string | null }) {
    return from.caller;
  }
  @HandleCall('ask') ask(msg: { type: 'ask'; target: string }) {
    return this.call(msg.target, { type: 'whoami' });
  }
  @HandleCall('class-instance') classInstance() {
    return new Map([['a', 1]]);
  }
  @HandleInfo('ping') ping() {}
}

@GenServer('partner')
class Partner extends Counter {}

@GenServer({ name: 'bounded', maxMailbox: 2 })
class Bounded extends GenServerProcess {
  @HandleCast('hold') async hold() {
    await release.current.promise;
  }
  @HandleCall('hold') async holdCall() {
    await release.current.promise;
    return 'done';
  }
}

describe('messaging', () => {
  let t: TestApp;
  beforeEach(async () => {
    release.current = gate();
    t = await bootApp([Recorder, Counter, Partner, Bounded], { callTimeout: 1000 });
  });
  afterEach(async () => {
    release.current.open();
    await t.close();
  });

  describe('1. one message at a time, FIFO per sender', () => {
    it('never runs two handlers of a process at once, and keeps each sender\'s order', async () => {
      for (let i = 0; i < 5; i++) await t.runtime.cast('recorder', { type: 'work', id: `a${i}`, ms: 5 - i });
      const { log, maxRunning } = await t.runtime.call<{ log: string[]; maxRunning: number }>('recorder', { type: 'log' });
      expect(maxRunning).toBe(1);
      expect(log).toEqual(['a0', 'a1', 'a2', 'a3', 'a4'].flatMap((id) => [`start ${id}`, `end ${id}`]));
    });

    it('holds the mailbox while an async handler\'s promise is pending', async () => {
      await t.runtime.cast('recorder', { type: 'held' });
      await t.runtime.cast('recorder', { type: 'note', id: 'after' });
      await sleep(20);
      expect(t.runtime.status('recorder').mailbox).toBe(1);
      const reply = t.runtime.call<{ log: string[] }>('recorder', { type: 'log' });
      release.current.open();
      expect((await reply).log).toEqual(['held start', 'held end', 'after']);
    });

    it('drains a burst of 1 000 000 casts, in order, in linear time', async () => {
      const n = 1_000_000;
      for (let i = 0; i < n; i++) void t.runtime.cast('counter', { type: 'inc' });
      expect(await t.runtime.call('counter', { type: 'get' }, { timeout: 60_000 })).toBe(n);
    }, 60_000);
  });

  describe('2. call timeouts and unknown names', () => {
    it('rejects with CallTimeoutError naming the process and timeout, and discards the late reply', async () => {
      const late = t.runtime.call('recorder', { type: 'sleep', ms: 60, answer: 'late' }, { timeout: 20 });
      await expect(late).rejects.toBeInstanceOf(CallTimeoutError);
      await expect(late).rejects.toMatchObject({ process: 'recorder', timeoutMs: 20 });
      // The next call gets its own answer, not the discarded late one.
      await expect(t.runtime.call('recorder', { type: 'sleep', ms: 0, answer: 'fresh' })).resolves.toBe('fresh');
    });

    it('uses the module-wide callTimeout by default', async () => {
      const started = Date.now();
      await expect(t.runtime.call('recorder', { type: 'sleep', ms: 1200, answer: 'x' })).rejects.toMatchObject({
        timeoutMs: 1000,
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    });

    it('rejects call and cast to an unknown name with NoSuchProcessError at once', async () => {
      await expect(t.runtime.call('nobody', { type: 'x' }, { timeout: 60_000 })).rejects.toBeInstanceOf(NoSuchProcessError);
      await expect(t.runtime.cast('nobody', { type: 'x' })).rejects.toMatchObject({ process: 'nobody' });
    });
  });

  describe('4. call cycles', () => {
    it('rejects a call to itself with CallCycleError instead of waiting for the timeout', async () => {
      const started = Date.now();
      expect(await t.runtime.call('counter', { type: 'self' })).toEqual({ error: 'CallCycleError', chain: ['counter', 'counter'] });
      expect(Date.now() - started).toBeLessThan(500);
    });

    it('rejects A -> B -> A with CallCycleError', async () => {
      const started = Date.now();
      expect(await t.runtime.call('counter', { type: 'via', target: 'partner' })).toEqual({
        error: 'CallCycleError',
        chain: ['counter', 'partner', 'counter'],
      });
      expect(Date.now() - started).toBeLessThan(500);
    });

    it('lets A call B while A handles a cast: only waiting callers form a chain', async () => {
      await t.runtime.cast('counter', { type: 'inc' });
      expect(await t.runtime.call('partner', { type: 'ask', target: 'counter' })).toBe('partner');
      expect(t.events.filter((e) => e.type === 'crashed')).toEqual([]);
    });
  });

  describe('5. unhandled messages', () => {
    it('answers an unhandled call with UnhandledMessageError and keeps running', async () => {
      const error = await t.runtime.call('counter', { type: 'nope' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnhandledMessageError);
      expect(error).toMatchObject({ process: 'counter', kind: 'call', messageType: 'nope' });
      await t.runtime.cast('counter', { type: 'inc' });
      expect(await t.runtime.call('counter', { type: 'get' })).toBe(1);
      expect(t.runtime.status('counter').restarts).toBe(0);
    });

    it('logs an unhandled cast as a warning and publishes it as a dead letter', async () => {
      const dead = nextEvent(t.runtime.events$, (e): e is DeadLetterEvent => e.type === 'dead-letter');
      await t.runtime.cast('counter', { type: 'nope', detail: 1 });
      const event = await dead;
      expect(event).toMatchObject({ name: 'counter', reason: 'unhandled', envelope: { kind: 'cast', type: 'nope', payload: { type: 'nope', detail: 1 } } });
      expect(t.logger.at('warn').some((l) => l.context === 'counter' && /no @HandleCast handler for message "nope"/.test(l.message))).toBe(true);
      expect(await t.runtime.call('counter', { type: 'get' })).toBe(0);
    });
  });

  describe('10. mailbox bound', () => {
    it('rejects casts and calls with MailboxFullError when maxMailbox messages wait', async () => {
      await t.runtime.cast('bounded', { type: 'hold' }); // taken by the handler
      await sleep(5);
      await t.runtime.cast('bounded', { type: 'hold' });
      const queuedCall = t.runtime.call('bounded', { type: 'hold' });
      await expect(t.runtime.cast('bounded', { type: 'hold' })).rejects.toBeInstanceOf(MailboxFullError);
      await expect(t.runtime.call('bounded', { type: 'hold' })).rejects.toMatchObject({ process: 'bounded', maxMailbox: 2 });
      release.current.open();
      await expect(queuedCall).resolves.toBe('done');
    });
  });

  describe('11. plain-data envelopes through one router', () => {
    it('carries serializable envelopes: a dead letter survives a JSON round trip', async () => {
      const dead = nextEvent(t.runtime.events$, (e): e is DeadLetterEvent => e.type === 'dead-letter');
      await t.runtime.cast('counter', { type: 'unknown', nested: { list: [1, 2] } });
      const { envelope } = await dead;
      const copy = JSON.parse(JSON.stringify(envelope));
      expect(copy).toEqual({ ...envelope, from: null, deadline: undefined, incarnation: undefined, trace: undefined });
      expect(Object.keys(envelope).sort()).toEqual(['deadline', 'from', 'id', 'incarnation', 'kind', 'payload', 'queuedAt', 'to', 'trace', 'type']);
    });

    it('tells the handler who called, through a serializable From', async () => {
      expect(await t.runtime.call('counter', { type: 'whoami' })).toBeNull();
      expect(await t.runtime.call('partner', { type: 'ask', target: 'counter' })).toBe('partner');
    });

    it('rejects payloads and replies that are not plain data', async () => {
      await expect(t.runtime.cast('counter', () => 1)).rejects.toBeInstanceOf(InvalidPayloadError);
      await expect(t.runtime.call('counter', new (class Message { type = 'get'; })())).rejects.toMatchObject({ what: 'payload' });
      const error = await t.runtime.call('counter', { type: 'class-instance' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidPayloadError);
      expect(error).toMatchObject({ what: 'reply', process: 'counter', messageType: 'class-instance' });
      expect(t.runtime.status('counter').status).toBe('running');
    });
  });
});
