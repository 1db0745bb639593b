import { RingQueue } from '../../lib/process/ring-queue.js';

describe('RingQueue', () => {
  it('is FIFO across wrap-around and growth', () => {
    const q = new RingQueue<number>();
    const out: number[] = [];
    let next = 0;
    // Interleave pushes and shifts so the head walks around the buffer while it grows.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < round + 3; i++) q.push(next++);
      for (let i = 0; i < round + 1; i++) out.push(q.shift()!);
    }
    while (q.length > 0) out.push(q.shift()!);
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(q.shift()).toBeUndefined();
  });

  it('takeAll returns what waits, oldest first, and empties the queue', () => {
    const q = new RingQueue<string>();
    for (const s of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']) q.push(s);
    q.shift();
    expect(q.takeAll()).toEqual(['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']);
    expect(q.length).toBe(0);
    q.push('z');
    expect(q.shift()).toBe('z');
  });
});
