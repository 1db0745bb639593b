const SHRINK_ABOVE = 1024;

/**
 * FIFO queue over a power-of-two ring buffer: O(1) push and shift, so a backlog of any size drains
 * in linear time (an array drained with `shift()` is quadratic). Allocates nothing until the first
 * push, and lets a large buffer go once a burst has drained.
 */
export class RingQueue<T> {
  private buffer: (T | undefined)[] = [];
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size === this.buffer.length) this.grow();
    this.buffer[(this.head + this.size) & (this.buffer.length - 1)] = item;
    this.size++;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.buffer[this.head];
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.buffer[this.head];
    this.buffer[this.head] = undefined;
    this.head = (this.head + 1) & (this.buffer.length - 1);
    if (--this.size === 0 && this.buffer.length > SHRINK_ABOVE) this.reset();
    return item;
  }

  /** Removes and returns every item, oldest first. */
  takeAll(): T[] {
    const items: T[] = new Array(this.size);
    for (let i = 0; i < this.size; i++) {
      items[i] = this.buffer[(this.head + i) & (this.buffer.length - 1)] as T;
    }
    this.reset();
    return items;
  }

  private grow(): void {
    const capacity = this.buffer.length;
    const next: (T | undefined)[] = new Array(capacity === 0 ? 8 : capacity * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.buffer[(this.head + i) & (capacity - 1)];
    this.buffer = next;
    this.head = 0;
  }

  private reset(): void {
    this.buffer = [];
    this.head = 0;
    this.size = 0;
  }
}
