import type { Observer } from 'rxjs';
import { RingQueue } from './ring-queue.js';

/** Who handles what a mailbox hands out: one message at a time. */
export interface MailboxOwner<T> {
  /** Runs one message; a returned promise holds the mailbox until it settles. */
  receive(item: T): void | PromiseLike<unknown>;
  /**
   * The last-resort guard: `receive` threw or its promise rejected, which only a defect can
   * cause. The owner answers the message and recovers; the mailbox goes on either way.
   */
  receiveFailed(item: T, error: unknown): void;
}

const RESOLVED = Promise.resolve();

/** Bits of a mailbox's `state` (one small integer rather than two fields: 8 bytes per process). */
const enum State {
  /** No messages are handed out (`pause`, and until the first `resume`). */
  Paused = 1,
  /** The loop is scheduled, running, or waiting for an async handler to settle. */
  Busy = 2,
}

/**
 * A process's mailbox: an RxJS `Observer` (so any stream can be piped into a process) that
 * hands messages to its owner strictly one at a time, in arrival order.
 *
 * Why not `Subject` + `concatMap`: concatMap buffers with `Array.shift`, which made a 1 M backlog
 * take minutes. Here the backlog is a ring queue, synchronous handlers run in a tight loop with no
 * inner subscription per message, and after `budget` messages the loop yields to the event loop so
 * one busy process cannot starve timers, I/O or other processes.
 */
export class Mailbox<T> implements Observer<T> {
  // Made on first use, like the closure: an idle process (there may be 100 000) carries neither.
  private queue: RingQueue<T> | null = null;
  private state: number = State.Paused;
  /**
   * The outcome of the handler in flight. Only the handler whose promise is still this one drives
   * the loop when it settles: `abandon` clears it, so a handler given up on cannot restart the loop.
   */
  private inFlight: Promise<unknown> | null = null;
  private drainFn: (() => void) | null = null;

  constructor(
    private readonly owner: MailboxOwner<T>,
    private readonly budget: number,
  ) {}

  /** Messages waiting (not counting the one being handled). */
  get length(): number {
    return this.queue === null ? 0 : this.queue.length;
  }

  /** The oldest waiting message, left in place. */
  peek(): T | undefined {
    return this.queue === null ? undefined : this.queue.peek();
  }

  next(item: T): void {
    (this.queue ??= new RingQueue<T>()).push(item);
    if (this.state === 0) this.schedule();
  }

  error(): void {
    // A source's failure is the source's business; the mailbox keeps what it accepted.
  }

  complete(): void {
    // Completion of one source says nothing about other senders.
  }

  /** Stops handing out messages after the one in flight (see `settled`). */
  pause(): void {
    this.state |= State.Paused;
  }

  /** No handler is waited for: `settled()` would resolve at once. */
  get quiet(): boolean {
    return this.inFlight === null;
  }

  /** Resolves once no handler is running (at once when idle). */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  resume(): void {
    this.state &= ~State.Paused;
    if (this.state === 0 && this.length > 0) this.schedule();
  }

  /**
   * Gives up waiting for the handler in flight (it overran a shutdown limit): the mailbox is idle
   * again, and that handler's eventual outcome no longer drives it.
   */
  abandon(): void {
    this.inFlight = null;
    this.state &= ~State.Busy;
  }

  /**
   * Puts messages taken out earlier back at the head of the queue, in their order: an isolated
   * process's worker handed back casts it was given ahead but never ran.
   */
  putBack(items: readonly T[]): void {
    if (items.length === 0) return;
    const queue = (this.queue ??= new RingQueue<T>());
    const rest = queue.takeAll();
    for (const item of items) queue.push(item);
    for (const item of rest) queue.push(item);
    if (this.state === 0) this.schedule();
  }

  /** Empties the queue, oldest first, so the owner can answer or dead-letter each message. */
  takeAll(): T[] {
    return this.queue === null ? [] : this.queue.takeAll();
  }

  private schedule(): void {
    this.state |= State.Busy;
    // A bare promise reaction: Node's queueMicrotask allocates an AsyncResource per call.
    void RESOLVED.then((this.drainFn ??= () => this.drain()));
  }

  private drain(): void {
    // Only ever scheduled with something queued.
    const queue = this.queue as RingQueue<T>;
    let handled = 0;
    while ((this.state & State.Paused) === 0 && queue.length > 0) {
      if (handled++ === this.budget) {
        setImmediate(this.drainFn!);
        return;
      }
      const item = queue.shift() as T;
      let result: void | PromiseLike<unknown>;
      try {
        result = this.owner.receive(item);
      } catch (error) {
        this.owner.receiveFailed(item, error);
        continue;
      }
      if (result !== undefined) {
        const inFlight: Promise<void> = Promise.resolve(result).then(
          () => {
            if (this.inFlight === inFlight) this.afterAsync();
          },
          (error: unknown) => {
            // A handler given up on (`abandon`) is no longer this mailbox's business.
            if (this.inFlight !== inFlight) return;
            this.owner.receiveFailed(item, error);
            this.afterAsync();
          },
        );
        this.inFlight = inFlight;
        return;
      }
    }
    this.state &= ~State.Busy;
  }

  private afterAsync(): void {
    this.inFlight = null;
    this.drain();
  }
}
