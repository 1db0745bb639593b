import { MAX_DURATION_MS } from '../common/duration.js';
import { isInstance } from '../common/is-instance.js';
import { CallTimeoutError } from '../errors/call-timeout.error.js';
import type { Envelope } from '../process/envelope.js';
import { From } from '../process/from.js';
import { RemoteFrom } from '../process/remote-from.js';
import type { Waiter } from '../process/process-ports.js';
import { systemScheduler, type Scheduler } from '../common/scheduler.js';

/**
 * A call waiting for its reply. It is the `From` its handler receives (so settling it needs no
 * lookup), and a node of the deadline list of its timeout value.
 */
export class PendingCall extends From {
  prev: PendingCall | null = null;
  next: PendingCall | null = null;
  list: DeadlineList | null = null;
  /** The calls an incarnation owes an answer, when one deferred this call with `noReply()`. */
  owedIn: Set<From> | null = null;
  settled = false;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  readonly promise: Promise<unknown>;

  constructor(
    ref: number,
    caller: string | null,
    readonly to: string,
    readonly timeoutMs: number,
    readonly deadline: number,
    /** The calling process's incarnation; `null` when the caller is not a process. */
    private readonly waiter: Waiter | null,
    /** What the calling process was handling when it made the call (`null`: outside any handler). */
    readonly during: Envelope | null,
  ) {
    super(ref, caller);
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /**
   * Whether its caller is blocked on it: not answered, and the calling process still runs the
   * handler it made the call from (a caller that is not a process always waits).
   */
  get waiting(): boolean {
    return !this.settled && (this.waiter === null || (this.during !== null && this.waiter.current() === this.during));
  }

  /** The call whose handler made this one, if that handler was a call's: its caller waits in turn. */
  get parent(): PendingCall | null {
    const during = this.during;
    return during !== null && during.kind === 'call' && isInstance(during.from, PendingCall) ? during.from : null;
  }
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
  private timer: unknown = null;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly expire: (call: PendingCall) => void,
    /** The timer found the list empty: the owner may forget it (timeouts computed per call would pile up). */
    private readonly idle: () => void,
  ) {}

  add(call: PendingCall): void {
    call.list = this;
    call.prev = this.tail;
    if (this.tail) this.tail.next = call;
    else this.head = call;
    this.tail = call;
    // An armed timer is due no later than this call's deadline: same timeout, made earlier.
    if (this.timer === null) this.arm(call.deadline);
  }

  remove(call: PendingCall): void {
    if (call.prev) call.prev.next = call.next;
    else this.head = call.next;
    if (call.next) call.next.prev = call.prev;
    else this.tail = call.prev;
    call.prev = call.next = call.list = null;
  }

  *calls(): Generator<PendingCall> {
    for (let call = this.head; call; call = call.next) yield call;
  }

  stop(): void {
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(deadline: number): void {
    // setTimeout fires at once for delays over 2^31-1 ms; longer waits re-arm on the way.
    this.timer = this.scheduler.setTimeout(this.fire, Math.min(MAX_DURATION_MS, Math.max(0, deadline - this.scheduler.now())));
  }

  private readonly fire = (): void => {
    this.timer = null;
    const now = this.scheduler.now();
    while (this.head && this.head.deadline <= now) this.expire(this.head);
    if (this.head) this.arm(this.head.deadline);
    else this.idle();
  };
}

/** The calls of this runtime that wait for a reply. */
export class PendingCalls {
  private readonly lists = new Map<number, DeadlineList>();
  /** Calls with an `Infinity` timeout: no deadline, but still waiting. */
  private readonly unbounded = new Set<PendingCall>();
  private lastTimeout = NaN;
  private lastList: DeadlineList | null = null;
  private nextRef = 1;
  private waiting = 0;

  constructor(private readonly scheduler: Scheduler = systemScheduler) {}

  get size(): number {
    return this.waiting;
  }

  /**
   * A call to `to`, not yet waiting: `track` it once its message is accepted. A process making it
   * passes its name, its incarnation and what it is handling (for cycle detection).
   */
  create(to: string, timeoutMs: number, caller: string | null, waiter: Waiter | null, during: Envelope | null): PendingCall {
    return new PendingCall(this.nextRef++, caller, to, timeoutMs, this.scheduler.now() + timeoutMs, waiter, during);
  }

  /** Starts the call's clock; its promise then settles with the reply, an error, or `CallTimeoutError`. */
  track(call: PendingCall): void {
    this.waiting++;
    // `Infinity` waits for ever, as OTP's `infinity` does: no deadline to watch.
    if (call.timeoutMs === Infinity) this.unbounded.add(call);
    else this.listFor(call.timeoutMs).add(call);
  }

  /** Answers a call; false when it no longer waits (timed out, answered, or not a local call). */
  resolve(from: From, value: unknown): boolean {
    const call = this.settle(from);
    if (call) call.resolve(value);
    return call !== null;
  }

  reject(from: From, error: unknown): boolean {
    const call = this.settle(from);
    if (call) call.reject(error);
    return call !== null;
  }

  /** Process the call was sent to, for error texts. */
  targetOf(from: From): string | undefined {
    return isInstance(from, PendingCall) ? from.to : undefined;
  }

  /**
   * Records that the call is answered later (its handler returned `noReply()`): it joins `owed`,
   * the calls its incarnation still owes, and leaves it when settled. The incarnation fails what
   * remains there when it ends, in O(calls it owes).
   */
  defer(from: From, owed: Set<From>): void {
    // A call from another node is owed as well: failed when the incarnation ends unanswered.
    if (isInstance(from, RemoteFrom) && !from.settled) {
      from.owedIn = owed;
      owed.add(from);
      return;
    }
    if (!isInstance(from, PendingCall) || from.settled) return;
    from.owedIn = owed;
    owed.add(from);
  }

  /** Stops every deadline timer (runtime shutdown); calls still waiting get `error(call)`. */
  close(error: (call: PendingCall) => unknown): void {
    for (const call of this.all()) this.reject(call, error(call));
    for (const list of this.lists.values()) list.stop();
    this.lists.clear();
    this.lastList = null;
    this.lastTimeout = NaN;
  }

  private settle(from: From): PendingCall | null {
    if (!isInstance(from, PendingCall) || from.settled) return null;
    from.settled = true;
    this.waiting--;
    if (from.owedIn) from.owedIn.delete(from);
    if (from.list) from.list.remove(from);
    else this.unbounded.delete(from);
    return from;
  }

  private all(): PendingCall[] {
    const calls = [...this.unbounded];
    for (const list of this.lists.values()) calls.push(...list.calls());
    return calls;
  }

  private listFor(timeoutMs: number): DeadlineList {
    if (timeoutMs === this.lastTimeout) return this.lastList!;
    let list = this.lists.get(timeoutMs);
    if (!list) {
      const created: DeadlineList = new DeadlineList(
        this.scheduler,
        (call) => this.reject(call, new CallTimeoutError(call.to, call.timeoutMs)),
        () => {
          this.lists.delete(timeoutMs);
          if (this.lastList === created) {
            this.lastList = null;
            this.lastTimeout = NaN;
          }
        },
      );
      list = created;
      this.lists.set(timeoutMs, list);
    }
    this.lastTimeout = timeoutMs;
    this.lastList = list;
    return list;
  }
}
