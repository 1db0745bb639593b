/**
 * The baseline every figure is compared with: the smallest honest actor — an array queue with a
 * moving head, a drain loop started on a microtask, sync or async handlers, promise replies for
 * calls. No timeouts, no crash handling, no restarts, no Nest.
 */
const RESOLVED = Promise.resolve();

type Handler<S> = (state: S, msg: { type: string }) => unknown;

interface Queued {
  msg: { type: string };
  resolve: ((value: unknown) => void) | undefined;
}

export class BaselineActor<S> {
  private queue: Queued[] = [];
  private head = 0;
  private draining = false;

  constructor(public state: S, private readonly handler: Handler<S>) {}

  cast(msg: { type: string }): void {
    this.queue.push({ msg, resolve: undefined });
    this.kick();
  }

  call<R>(msg: { type: string }): Promise<R> {
    return new Promise<R>((resolve) => {
      this.queue.push({ msg, resolve: resolve as (value: unknown) => void });
      this.kick();
    });
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = true;
    // The same microtask primitive the library uses, so the ratio measures the library, not this.
    void RESOLVED.then(() => this.drain());
  }

  private async drain(): Promise<void> {
    while (this.head < this.queue.length) {
      const { msg, resolve } = this.queue[this.head++]!;
      let result = this.handler(this.state, msg);
      if (result instanceof Promise) result = await result;
      resolve?.(result);
    }
    this.queue = [];
    this.head = 0;
    this.draining = false;
  }
}
