import type { Subscription } from 'rxjs';
import type { GenServerRuntime } from '../runtime/genserver.runtime.js';
import type { RestartedEvent } from '../runtime/genserver-events.js';
import type { DownMessage } from '../runtime/monitor-table.js';
import { describeValue } from '../errors/describe-value.js';
import type { ProbeMessage, ProbeProcess } from './probe.process.js';
import { TestProbeError } from './test-probe-error.js';
import { settle, type VirtualClock } from './virtual-clock.js';

/** Event-loop turns an expectation waits for its message before it fails (the clock does not move meanwhile). */
const EXPECT_TURNS = 50;

/** A call a probe received: its payload, and the way to answer it. */
export interface ProbeCall<P = unknown> {
  readonly payload: P;
  /** Answers the caller (once; later answers are ignored, as with `this.reply`). */
  reply(value: unknown): void;
}

/**
 * A stand-in process for tests (Akka's TestProbe, OTP's test process): started under a name, it
 * records every call, cast and info message sent to that name, answers calls only when told, and
 * watches other processes' ends and restarts. Expectations take messages in arrival order and fail
 * with `TestProbeError` when the next message is not the expected one, or when none arrives within
 * a few event-loop turns: the virtual clock never moves by itself, so nothing that depends on time
 * can arrive unless the test moves it (`expectNoMessage(ms)` does).
 */
export class TestProbe {
  private readonly inbox: { message: ProbeMessage; process: ProbeProcess }[] = [];
  private readonly restarts: RestartedEvent[] = [];
  private readonly downs = new Map<string, { down?: DownMessage; subscription?: Subscription }>();
  private readonly events: Subscription;
  private closed: Promise<void> | undefined;

  /** @internal Made by `GenServerTesting.probe`. */
  constructor(
    /** The name the probe process answers to; `undefined` for a probe that only watches. */
    readonly name: string | undefined,
    private readonly runtime: GenServerRuntime,
    private readonly clock: VirtualClock,
    private readonly detach: () => Promise<void>,
  ) {
    this.events = runtime.events$.subscribe((event) => {
      if (event.type === 'restarted') this.restarts.push(event);
    });
  }

  /** @internal Where its process hands each message. */
  receive(message: ProbeMessage, process: ProbeProcess): void {
    this.inbox.push({ message, process });
  }

  /**
   * The next message must be a call (of `type`, when given); resolves with it. With `reply`, the
   * call is answered at once (a function gets the payload); otherwise answer it with `call.reply`.
   * A `reply` function that throws crashes the probe's process with what it threw, as a throwing
   * handler would (the caller gets `ProcessCrashedError`), and `expectCall` rejects with it.
   */
  async expectCall<P = unknown>(type?: string, options: { reply?: unknown } = {}): Promise<ProbeCall<P>> {
    const { message, process } = await this.next('call', type);
    const from = message.from!;
    const call: ProbeCall<P> = { payload: message.payload as P, reply: (value) => process.reply(from, value) };
    if ('reply' in options) {
      let value = options.reply;
      if (typeof value === 'function') {
        try {
          value = (value as (payload: P) => unknown)(call.payload);
        } catch (error) {
          // Never a string reason: a thrown 'normal' must not read as a clean stop.
          process.stop(error instanceof Error ? error : new TestProbeError(`the reply function of expectCall threw ${describeValue(error)}`));
          throw error;
        }
      }
      call.reply(value);
    }
    return call;
  }

  /** The next message must be a cast (of `type`, when given); resolves with its payload. */
  async expectCast<P = unknown>(type?: string): Promise<P> {
    return (await this.next('cast', type)).message.payload as P;
  }

  /** The next message must be an info message (a timer, a DOWN) of `type`, when given; resolves with its payload. */
  async expectInfo<P = unknown>(type?: string): Promise<P> {
    return (await this.next('info', type)).message.payload as P;
  }

  /**
   * Moves the clock `ms` forward (0: not at all), lets the app settle, and fails if any message
   * reached the probe meanwhile (or was waiting unread). Rejects with `InvalidOptionError` for an
   * `ms` that `clock.tick` refuses (negative, NaN, not a number, Infinity).
   */
  async expectNoMessage(ms = 0): Promise<void> {
    await this.clock.tick(ms);
    const first = this.inbox[0];
    if (first) throw new TestProbeError(`probe "${this.name}": expected no message${ms > 0 ? ` for ${ms} ms` : ''}, got ${describe(first.message)}`);
  }

  /**
   * Watches `name` from now on (OTP's monitor): `expectTerminated(name)` then resolves with the
   * reason its current incarnation ends with. Watch before the action that ends it.
   */
  watch(name: string): void {
    if (this.downs.has(name)) return;
    const entry: { down?: DownMessage; subscription?: Subscription } = {};
    // Subscribed first: a name `monitor` refuses throws without leaving a watch that never ends.
    entry.subscription = this.runtime.monitor(name).subscribe((down) => (entry.down = down));
    this.downs.set(name, entry);
  }

  /**
   * Resolves with the exit reason (as DOWN messages carry it: `'normal'`, `'noproc'`, an error's text) of `name`'s incarnation (watched with `watch`, else watched now:
   * a name that runs nothing then ends at once with `'noproc'`). Fails if it is still running.
   */
  async expectTerminated(name: string): Promise<string> {
    this.watch(name);
    const entry = this.downs.get(name)!;
    await until(() => entry.down !== undefined);
    if (entry.down === undefined) throw new TestProbeError(`expected process "${name}" to terminate, but it still runs (clock at ${this.clock.now()} ms)`);
    this.downs.delete(name);
    return entry.down.reason;
  }

  /** Resolves with the next `restarted` event of `name` since the probe was made; fails if none came. */
  async expectRestart(name: string): Promise<RestartedEvent> {
    const index = () => this.restarts.findIndex((event) => event.name === name);
    await until(() => index() >= 0);
    const found = index();
    if (found < 0) throw new TestProbeError(`expected process "${name}" to restart, but it did not (clock at ${this.clock.now()} ms)`);
    return this.restarts.splice(found, 1)[0]!;
  }

  /** Messages received and not yet taken by an expectation. */
  get unread(): readonly ProbeMessage[] {
    return this.inbox.map((entry) => entry.message);
  }

  /**
   * Stops listening and stops the probe's process, which frees its name (a call it has not
   * answered gets `ProcessStoppedError`); resolves once it has stopped. Closing again is a no-op. The testing module closes every probe when it closes.
   */
  close(): Promise<void> {
    this.closed ??= this.shut();
    return this.closed;
  }

  private async shut(): Promise<void> {
    this.events.unsubscribe();
    for (const entry of this.downs.values()) entry.subscription?.unsubscribe();
    this.downs.clear();
    await this.detach();
  }

  private async next(kind: ProbeMessage['kind'], type: string | undefined): Promise<{ message: ProbeMessage; process: ProbeProcess }> {
    if (this.name === undefined) throw new TestProbeError('this probe has no name, so no process sends to it: make it with testing.probe(name)');
    await until(() => this.inbox.length > 0);
    const first = this.inbox.shift();
    const expected = `a ${kind}${type === undefined ? '' : ` of type "${type}"`}`;
    if (first === undefined) throw new TestProbeError(`probe "${this.name}": expected ${expected}, but no message arrived (clock at ${this.clock.now()} ms; move it with clock.tick if the message waits on a timer)`);
    const got = first.message;
    if (got.kind !== kind || (type !== undefined && typeOf(got.payload) !== type)) {
      throw new TestProbeError(`probe "${this.name}": expected ${expected}, got ${describe(got)}`);
    }
    return first;
  }
}

async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < EXPECT_TURNS && !done(); turn++) await settle(1);
}

function typeOf(payload: unknown): unknown {
  return payload !== null && typeof payload === 'object' ? (payload as { type?: unknown }).type : undefined;
}

function describe(message: ProbeMessage): string {
  return `a ${message.kind} ${describeValue(message.payload)}`;
}
