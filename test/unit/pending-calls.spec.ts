import { CallTimeoutError, type From } from 'nestjs-genserver';
import { PendingCalls } from '../../lib/runtime/pending-calls.js';

const activeTimeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('PendingCalls', () => {
  let calls: PendingCalls;
  beforeEach(() => (calls = new PendingCalls()));
  afterEach(() => calls.close(() => new Error('closed')));

  function open(timeout: number, to = 'p') {
    const call = calls.create(to, timeout, null, null, null);
    calls.track(call);
    return { ref: call, promise: call.promise };
  }

  it('settles a call once: a second answer is dropped', async () => {
    const { ref, promise } = open(1000);
    expect(calls.resolve(ref, 'first')).toBe(true);
    expect(calls.resolve(ref, 'second')).toBe(false);
    expect(calls.resolve({ ref: ref.ref, caller: null, toJSON: ref.toJSON } as unknown as From, 'forged')).toBe(false);
    await expect(promise).resolves.toBe('first');
    expect(calls.size).toBe(0);
  });

  it('times calls out in deadline order, each with its own timeout', async () => {
    const order: string[] = [];
    const long = open(40, 'long').promise.catch((e: CallTimeoutError) => order.push(`${e.process} ${e.timeoutMs}`));
    const short = open(10, 'short').promise.catch((e: CallTimeoutError) => order.push(`${e.process} ${e.timeoutMs}`));
    const answered = open(10, 'answered');
    calls.resolve(answered.ref, 'ok');
    await Promise.all([long, short]);
    expect(order).toEqual(['short 10', 'long 40']);
    await expect(answered.promise).resolves.toBe('ok');
  });

  it('uses one timer per timeout value, not one per call', () => {
    const before = activeTimeouts();
    for (let i = 0; i < 1000; i++) open(5000).promise.catch(() => undefined);
    for (let i = 0; i < 1000; i++) open(7000).promise.catch(() => undefined);
    expect(activeTimeouts() - before).toBe(2);
  });

  it('waits for ever with an Infinity timeout', async () => {
    const before = activeTimeouts();
    const { ref, promise } = open(Infinity);
    expect(activeTimeouts()).toBe(before);
    await new Promise((r) => setTimeout(r, 10));
    calls.resolve(ref, 'eventually');
    await expect(promise).resolves.toBe('eventually');
  });

  it('keeps a deferred call in the set its incarnation owes until the call is settled', async () => {
    const a = open(1000, 'a');
    const b = open(1000, 'b');
    const owed = new Set<From>();
    calls.defer(a.ref, owed);
    calls.defer(b.ref, owed);
    expect(owed.size).toBe(2);
    calls.resolve(b.ref, 'answered');
    expect([...owed]).toEqual([a.ref]);
    calls.reject(a.ref, new Error('crashed'));
    await expect(a.promise).rejects.toThrow('crashed');
    expect(owed.size).toBe(0);
  });
});

describe('PendingCalls with timeouts computed per call', () => {
  it('forgets a timeout value once its calls are gone, so lists do not pile up', async () => {
    const calls = new PendingCalls();
    for (let ms = 1; ms <= 20; ms++) {
      const call = calls.create('p', ms, null, null, null);
      calls.track(call);
      calls.resolve(call, 'ok');
    }
    await new Promise((r) => setTimeout(r, 60));
    expect((calls as unknown as { lists: Map<number, unknown> }).lists.size).toBe(0);
    const late = calls.create('p', 5, null, null, null);
    calls.track(late);
    await expect(late.promise).rejects.toMatchObject({ name: 'CallTimeoutError', timeoutMs: 5 });
    calls.close(() => new Error('closed'));
  });
});
