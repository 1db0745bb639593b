import { CallTimeoutError } from '../errors/call-timeout.error.js';

const MAX_TIMER_DELAY = 2_147_483_647;

/** A call waiting for its reply. Also a node of the deadline list of its timeout value. */
export class PendingCall {
  prev: PendingCall | null = null;
  next: PendingCall | null = null;
  /** Name of the process that deferred this call with `noReply()`, if it did. */
  deferredBy: string | null = null;

  constructor(
    readonly ref: number,
    readonly to: string,
    readonly timeoutMs: number,
    readonly deadline: number,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: unknown) => void,
  ) {}
}

/**
 * Calls with the same timeout expire in the order they were made, so each timeout value keeps its
 * calls in a linked list ordered by deadline, with one timer armed for the oldest. Completing a
 * call unlinks it in O(1) and touches no timer; the timer, when it fires, re-arms for whatever is
 * oldest then. Sequential calls thus cost one timer per timeout period instead of one per call.
 */
class DeadlineList {
  private head: PendingCall | null = null;
  private tail: PendingCall | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly expire: (call: PendingCall) => void) {}

  add(call: PendingCall): void {
    call.prev = this.tail;
    if (this.tail) this.tail.next = call;
    else this.head = call;
    this.tail = call;
    // An armed timer is due no later than this call's deadline: same timeout, made earlier.
    if (!this.timer) this.arm(call.deadline);
  }

  remove(call: PendingCall): void {
    if (call.prev) call.prev.next = call.next;
    else if (this.head === call) this.head = call.next;
    if (call.next) call.next.prev = call.prev;
    else if (this.tail === call) this.tail = call.prev;
    call.prev = call.next = null;
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.head = this.tail = null;
  }

  private arm(deadline: number): void {
    // setTimeout fires at once for delays over 2^31-1 ms; longer waits re-arm on the way.
    this.timer = setTimeout(this.fire, Math.min(MAX_TIMER_DELAY, Math.max(0, deadline - Date.now())));
  }

  private readonly fire = (): void => {
    this.timer = null;
    const now = Date.now();
    while (this.head && this.head.deadline <= now) {
      const call = this.head;
      this.remove(call);
      this.expire(call);
    }
    if (this.head) this.arm(this.head.deadline);
  };
}

/** The calls of this runtime that wait for a reply, by reference. */
export class PendingCalls {
  private readonly byRef = new Map<number, PendingCall>();
  private readonly lists = new Map<number, DeadlineList>();
  private nextRef = 1;

  get size(): number {
    return this.byRef.size;
  }

  /** A fresh call reference, for the envelope built before the call is opened. */
  newRef(): number {
    return this.nextRef++;
  }

  /** Registers a call; its promise settles with the reply, an error, or `CallTimeoutError`. */
  open<R>(ref: number, to: string, timeoutMs: number, deadline: number): Promise<R> {
    let call!: PendingCall;
    const promise = new Promise<R>((resolve, reject) => {
      call = new PendingCall(ref, to, timeoutMs, deadline, resolve as (v: unknown) => void, reject);
    });
    this.byRef.set(ref, call);
    // `Infinity` waits for ever, as OTP's `infinity` does: no deadline to watch.
    if (timeoutMs !== Infinity) this.listFor(timeoutMs).add(call);
    return promise;
  }

  get(ref: number): PendingCall | undefined {
    return this.byRef.get(ref);
  }

  /** Records that `owner` will answer the call later (its handler returned `noReply()`). */
  defer(ref: number, owner: string): void {
    const call = this.byRef.get(ref);
    if (call) call.deferredBy = owner;
  }

  /** Fails the calls `owner` deferred and never answered. Rare (a crash or stop), so it scans. */
  failDeferred(owner: string, error: unknown): void {
    for (const call of this.byRef.values()) {
      if (call.deferredBy === owner) this.reject(call.ref, error);
    }
  }

  /** Answers a call; returns false when it is no longer waiting (timed out or answered). */
  resolve(ref: number, value: unknown): boolean {
    const call = this.take(ref);
    if (call) call.resolve(value);
    return call !== undefined;
  }

  reject(ref: number, error: unknown): boolean {
    const call = this.take(ref);
    if (call) call.reject(error);
    return call !== undefined;
  }

  /** Stops every deadline timer (runtime shutdown); calls still open get `error`. */
  close(error: (call: PendingCall) => unknown): void {
    for (const call of [...this.byRef.values()]) this.reject(call.ref, error(call));
    for (const list of this.lists.values()) list.clear();
    this.lists.clear();
  }

  private take(ref: number): PendingCall | undefined {
    const call = this.byRef.get(ref);
    if (!call) return undefined;
    this.byRef.delete(ref);
    this.lists.get(call.timeoutMs)?.remove(call);
    return call;
  }

  private listFor(timeoutMs: number): DeadlineList {
    let list = this.lists.get(timeoutMs);
    if (!list) {
      list = new DeadlineList((call) => {
        this.byRef.delete(call.ref);
        call.reject(new CallTimeoutError(call.to, call.timeoutMs));
      });
      this.lists.set(timeoutMs, list);
    }
    return list;
  }
}
