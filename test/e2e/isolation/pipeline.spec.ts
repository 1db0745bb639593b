import { ProcessCrashedError, type DeadLetterEvent, type GenServerEvent } from 'nestjs-genserver';
import { bootApp, nextEvent, type TestApp } from '../../support/app.js';
// @ts-expect-error a plain JavaScript fixture (a worker imports it as it is)
import { Ledger } from '../../fixtures/isolation/pipeline-processes.mjs';

// #12: casts to an isolated process are handed to its worker ahead of their turn (the mailbox does
// not wait a thread round trip per cast). From the outside it must not show: a cast that throws
// crashes the process as in process, and the casts behind it are handled by the next incarnation,
// or dead-lettered when there is none. Nothing accepted is lost or handled twice.

type Ledgered = { thread: number; seen: number[] };

const adds = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ type: 'add', n: from + i }));

describe('casts handed to an isolated process ahead of their turn', () => {
  let app: TestApp;
  afterEach(async () => {
    await app?.close();
  });

  async function burst(name: string, messages: object[]): Promise<void> {
    // One turn: every cast is in the mailbox before the first is handled.
    await Promise.all(messages.map((message) => app.runtime.cast(name, message)));
  }

  it('run in order before a later call, on the one worker', async () => {
    app = await bootApp([Ledger]);
    await app.runtime.start(Ledger, { name: 'ledger' });
    await burst('ledger', [{ type: 'slow', ms: 100 }, ...adds(1, 500)]);
    const state = await app.runtime.call<Ledgered>('ledger', { type: 'seen' });
    expect(state.seen).toEqual(adds(1, 500).map((m) => m.n));
  });

  it('a cast that throws crashes the process; the casts behind it go to the next incarnation', async () => {
    app = await bootApp([Ledger]);
    await app.runtime.start(Ledger, { name: 'ledger' });
    const first = await app.runtime.call<Ledgered>('ledger', { type: 'seen' });
    const crashed = nextEvent(app.runtime.events$, (e) => e.type === 'crashed' && e.name === 'ledger');
    const restarted = nextEvent(app.runtime.events$, (e) => e.type === 'restarted' && e.name === 'ledger');
    // The spin keeps the worker busy while the rest are handed over behind it.
    await burst('ledger', [{ type: 'slow', ms: 100 }, ...adds(1, 5), { type: 'fail' }, ...adds(6, 300)]);
    expect(await crashed).toMatchObject({ messageType: 'fail', reason: expect.objectContaining({ message: 'bad cast' }) });
    await restarted;
    const after = await app.runtime.call<Ledgered>('ledger', { type: 'seen' });
    expect(after.thread).not.toBe(first.thread);
    expect(after.seen).toEqual(adds(6, 300).map((m) => m.n));
    const dead = app.events.filter((e): e is DeadLetterEvent => e.type === 'dead-letter');
    expect(dead.map((e) => [e.reason, e.envelope.type])).toEqual([['crashed', 'fail']]);
  });

  it('a cast that stops the process: the casts behind it are not run by it, and are dead-lettered when it is gone', async () => {
    app = await bootApp([Ledger]);
    await app.runtime.start(Ledger, { name: 'ledger', restart: 'transient' });
    const stopped = nextEvent(app.runtime.events$, (e) => e.type === 'stopped' && e.name === 'ledger');
    await burst('ledger', [{ type: 'slow', ms: 100 }, ...adds(1, 3), { type: 'halt' }, ...adds(4, 50)]);
    await stopped;
    const dead = app.events.filter((e): e is DeadLetterEvent => e.type === 'dead-letter');
    expect(dead.map((e) => [e.reason, (e.envelope.payload as { n: number }).n])).toEqual(adds(4, 50).map((m) => ['stopped', m.n]));
  });

  it('a cast that stops a permanent process: the casts behind it go to the next incarnation', async () => {
    app = await bootApp([Ledger]);
    await app.runtime.start(Ledger, { name: 'ledger' });
    const restarted = nextEvent(app.runtime.events$, (e) => e.type === 'restarted' && e.name === 'ledger');
    await burst('ledger', [{ type: 'slow', ms: 100 }, ...adds(1, 3), { type: 'halt' }, ...adds(4, 50)]);
    await restarted;
    expect((await app.runtime.call<Ledgered>('ledger', { type: 'seen' })).seen).toEqual(adds(4, 50).map((m) => m.n));
    expect(app.events.filter((e) => e.type === 'dead-letter')).toEqual([]);
  });

  it('a worker that runs out of memory in a cast: the crash names that cast, and the casts behind it go to the next incarnation', async () => {
    app = await bootApp([Ledger]);
    await app.runtime.start(Ledger, { name: 'ledger', worker: { maxOldGenerationMb: 32 } });
    const crashed = nextEvent(app.runtime.events$, (e: GenServerEvent) => e.type === 'crashed' && e.name === 'ledger');
    const restarted = nextEvent(app.runtime.events$, (e) => e.type === 'restarted' && e.name === 'ledger');
    await burst('ledger', [...adds(1, 3), { type: 'hog' }, ...adds(4, 20)]);
    expect(await crashed).toMatchObject({ messageType: 'hog', reason: 'out_of_memory' });
    await restarted;
    expect((await app.runtime.call<Ledgered>('ledger', { type: 'seen' })).seen).toEqual(adds(4, 20).map((m) => m.n));
  }, 60_000);

  it('a call behind casts that crash fails as a call to a crashed process would, or is answered by the next incarnation', async () => {
    app = await bootApp([Ledger]);
    await app.runtime.start(Ledger, { name: 'ledger' });
    const restarted = nextEvent(app.runtime.events$, (e) => e.type === 'restarted' && e.name === 'ledger');
    void burst('ledger', [{ type: 'slow', ms: 100 }, { type: 'fail' }, ...adds(1, 2)]);
    const answer = await app.runtime.call<Ledgered>('ledger', { type: 'seen' }).catch((e: unknown) => e);
    await restarted;
    // It waited behind the casts; the crash left it queued, so the restarted process answers it.
    expect(answer).not.toBeInstanceOf(ProcessCrashedError);
    expect((answer as Ledgered).seen).toEqual([1, 2]);
  });
});
