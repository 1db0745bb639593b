import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  GenServer,
  GenServerModule,
  GenServerProcess,
  HandleCall,
  HandleCast,
  ProcessInitError,
  ProcessStoppedError,
  type DeadLetterEvent,
  type ExitReason,
} from 'nestjs-genserver';
import { bootApp, gate, nextEvents, sleep, type TestApp } from '../support/app.js';

@Injectable()
class Journal {
  readonly lines: string[] = [];
}

const initGate = { current: gate() };
const handlerGate = { current: gate() };

@GenServer()
class SlowStarter extends GenServerProcess<{ seen: string[] }> {
  constructor(private readonly journal: Journal) {
    super();
  }
  override async init(args: { fail?: boolean }) {
    this.state = { seen: [] };
    await initGate.current.promise;
    if (args?.fail) throw new Error('no config');
    this.journal.lines.push(`init ${this.name}`);
  }
  @HandleCast('note') note(msg: { type: 'note'; v: string }) {
    this.state.seen.push(msg.v);
  }
  @HandleCall('seen') seen() {
    return this.state.seen;
  }
}

@Injectable()
abstract class Recorded extends GenServerProcess {
  constructor(protected readonly journal: Journal) {
    super();
  }
  override terminate(reason: ExitReason) {
    this.journal.lines.push(`terminate ${this.name} ${String(reason)}`);
  }
  @HandleCall('hold') async hold() {
    await handlerGate.current.promise;
    return 'finished';
  }
  @HandleCall('ping') ping() {
    return 'pong';
  }
  @HandleCast('note') note() {}
}

@GenServer('first') class First extends Recorded {}
@GenServer('second') class Second extends Recorded {}
@GenServer('third') class Third extends Recorded {}

describe('8. init', () => {
  let t: TestApp;
  beforeEach(async () => {
    initGate.current = gate();
    t = await bootApp([Journal, SlowStarter]);
  });
  afterEach(() => t.close());

  it('may be async: messages sent meanwhile wait and none is lost', async () => {
    const started = t.runtime.start(SlowStarter, { name: 'slow' });
    await sleep(5);
    expect(t.runtime.status('slow').status).toBe('starting');
    for (const v of ['a', 'b', 'c']) await t.runtime.cast('slow', { type: 'note', v });
    const seen = t.runtime.call('slow', { type: 'seen' });
    initGate.current.open();
    await started;
    expect(await seen).toEqual(['a', 'b', 'c']);
  });

  it('fails the start with ProcessInitError naming the process, and frees the name', async () => {
    const started = t.runtime.start('SlowStarter', { name: 'broken', args: { fail: true } });
    const waiting = t.runtime.call('broken', { type: 'seen' });
    initGate.current.open();
    const error = await started.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessInitError);
    expect((error as Error).message).toBe('process "broken" failed in init(): no config');
    await expect(waiting).rejects.toBeInstanceOf(ProcessStoppedError);
    expect(t.runtime.list()).not.toContain('broken');
    initGate.current = gate();
    const again = t.runtime.start(SlowStarter, { name: 'broken' });
    initGate.current.open();
    await expect(again).resolves.toBeUndefined();
  });

  it('lets init finish when stopped while starting, then terminates: start rejects, no timer leaks', async () => {
    const started = t.runtime.start(SlowStarter, { name: 'short-lived' });
    const waiting = t.runtime.call('short-lived', { type: 'seen' });
    await sleep(5);
    const stopped = t.runtime.stop('short-lived', 'shutdown');
    initGate.current.open();
    await expect(started).rejects.toMatchObject({ name: 'ProcessStoppedError', process: 'short-lived', reason: 'shutdown' });
    await stopped;
    await expect(waiting).rejects.toBeInstanceOf(ProcessStoppedError);
    expect(t.app.get(Journal).lines).toEqual(['init short-lived']);
    expect(t.runtime.whereis('short-lived')).toBeUndefined();
  });

  it('makes the app fail to boot, clearly, when a named process\'s init throws', async () => {
    @GenServer('boot_fail')
    class BootFail extends GenServerProcess {
      override init() {
        throw new Error('missing API key');
      }
    }
    @Module({ imports: [GenServerModule.forRoot({})], providers: [First, BootFail, Journal] })
    class FailingModule {}
    const moduleRef = await Test.createTestingModule({ imports: [FailingModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow('process "boot_fail" failed in init(): missing API key');
    // What had started before it was stopped again.
    expect(app.get(Journal).lines).toEqual(['terminate first shutdown']);
  });
});

describe('9. graceful stop', () => {
  let t: TestApp;
  beforeEach(async () => {
    handlerGate.current = gate();
    t = await bootApp([Journal, First, Second, Third]);
  });
  afterEach(() => t.close());

  it('lets the handler in flight finish, runs terminate, and answers or dead-letters every queued message', async () => {
    const inFlight = t.runtime.call('second', { type: 'hold' });
    await sleep(5);
    const queuedCall = t.runtime.call('second', { type: 'ping' });
    await t.runtime.cast('second', { type: 'note' });
    const deadLetters = nextEvents(t.runtime.events$, 1, (e) => e.type === 'dead-letter');
    const stopped = t.runtime.stop('second', 'normal');
    expect(t.runtime.status('second').status).toBe('stopping');
    await expect(t.runtime.call('second', { type: 'ping' })).rejects.toBeInstanceOf(ProcessStoppedError);
    await expect(t.runtime.cast('second', { type: 'note' })).rejects.toBeInstanceOf(ProcessStoppedError);
    expect(t.app.get(Journal).lines).toEqual([]);
    handlerGate.current.open();
    await stopped;
    await expect(inFlight).resolves.toBe('finished');
    await expect(queuedCall).rejects.toMatchObject({ name: 'ProcessStoppedError', process: 'second', reason: 'normal' });
    expect(((await deadLetters)[0] as DeadLetterEvent)).toMatchObject({ reason: 'stopped', envelope: { kind: 'cast' } });
    expect(t.app.get(Journal).lines).toEqual(['terminate second normal']);
    expect(t.runtime.list()).toEqual(['first', 'third']);
  });

  it('stops every process when the app closes, in reverse start order, with reason "shutdown"', async () => {
    const journal = t.app.get(Journal);
    let completed = false;
    t.runtime.events$.subscribe({ complete: () => (completed = true) });
    expect(t.runtime.list()).toEqual(['first', 'second', 'third']);
    await t.close();
    expect(journal.lines).toEqual(['terminate third shutdown', 'terminate second shutdown', 'terminate first shutdown']);
    expect(t.events.filter((e) => e.type === 'stopped').map((e) => e.name)).toEqual(['third', 'second', 'first']);
    expect(completed).toBe(true);
  });

  it('lets a process stop itself from a handler once that handler returns; a transient one stays stopped', async () => {
    @GenServer({ name: 'quitter', restart: 'transient' })
    class Quitter extends GenServerProcess {
      @HandleCall('quit') quit() {
        this.stop('normal');
        return 'bye';
      }
    }
    const app = await bootApp([Quitter]);
    const stopped = nextEvents(app.runtime.events$, 1, (e) => e.type === 'stopped');
    await expect(app.runtime.call('quitter', { type: 'quit' })).resolves.toBe('bye');
    await stopped;
    expect(app.runtime.whereis('quitter')).toBeUndefined();
    await app.close();
  });
});
