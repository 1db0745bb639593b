import { from } from 'rxjs';
import { Mailbox } from '../../lib/process/mailbox.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Mailbox', () => {
  it('runs nothing while paused and everything, in order, once resumed', async () => {
    const seen: number[] = [];
    const mailbox = new Mailbox<number>({ receiveFailed: () => undefined, receive: (n) => void seen.push(n) }, 1024);
    for (let i = 0; i < 5; i++) mailbox.next(i);
    await tick();
    expect(seen).toEqual([]);
    mailbox.resume();
    await tick();
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('is an RxJS observer: a stream piped into it is handled in order', async () => {
    const seen: string[] = [];
    const mailbox = new Mailbox<string>({ receiveFailed: () => undefined, receive: (s) => void seen.push(s) }, 1024);
    mailbox.resume();
    from(['a', 'b', 'c']).subscribe(mailbox);
    await tick();
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('never starts a message before the previous async one settled', async () => {
    const events: string[] = [];
    const mailbox = new Mailbox<number>({
      receiveFailed: () => undefined,
      receive: async (n) => {
        events.push(`start ${n}`);
        await new Promise((r) => setTimeout(r, 3 - n));
        events.push(`end ${n}`);
      },
    }, 1024);
    mailbox.resume();
    [0, 1, 2].forEach((n) => mailbox.next(n));
    await new Promise((r) => setTimeout(r, 30));
    await mailbox.settled();
    expect(events).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('yields to the event loop after its budget, so a long backlog cannot starve other work', async () => {
    let handled = 0;
    const mailbox = new Mailbox<number>({ receiveFailed: () => undefined, receive: () => void handled++ }, 100);
    mailbox.resume();
    for (let i = 0; i < 1000; i++) mailbox.next(i);
    const seenAtImmediate = await new Promise<number>((resolve) => setImmediate(() => resolve(handled)));
    expect(seenAtImmediate).toBeLessThan(1000);
    expect(seenAtImmediate).toBeGreaterThanOrEqual(100);
    await new Promise((r) => setTimeout(r, 20));
    expect(handled).toBe(1000);
  });

  it('pause lets the handler in flight finish, then hands back what waits', async () => {
    let release!: () => void;
    const done: number[] = [];
    const mailbox = new Mailbox<number>({
      receiveFailed: () => undefined,
      receive: async (n) => {
        if (n === 0) await new Promise<void>((r) => (release = r));
        done.push(n);
      },
    }, 1024);
    mailbox.resume();
    [0, 1, 2].forEach((n) => mailbox.next(n));
    await tick();
    mailbox.pause();
    const settled = mailbox.settled();
    release();
    await settled;
    expect(done).toEqual([0]);
    expect(mailbox.takeAll()).toEqual([1, 2]);
  });

  it('never waits for ever: a receive that throws or rejects goes to the guard, and the next message runs', async () => {
    const failed: number[] = [];
    const done: number[] = [];
    const mailbox = new Mailbox<number>({
      receiveFailed: (n) => void failed.push(n),
      receive: (n) => {
        if (n === 0) throw new Error('sync defect');
        if (n === 1) return Promise.reject(Object.create(null));
        done.push(n);
        return undefined;
      },
    }, 1024);
    mailbox.resume();
    [0, 1, 2].forEach((n) => mailbox.next(n));
    await tick();
    await mailbox.settled();
    expect(failed).toEqual([0, 1]);
    expect(done).toEqual([2]);
  });
});
