import { Logger } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import { context, trace } from '@opentelemetry/api';
import { decodeAnswer } from '../cluster/wire-codec.js';
import { encodeReason, reasonOf, safeThreadAnswer, threadAnswer, threadMessage, type ThreadBytes } from './thread-codec.js';
import { describeCause } from '../errors/describe-value.js';
import { GenServerError } from '../errors/genserver.error.js';
import type { ExitReason, MessageKind } from '../interfaces/genserver.types.js';
import type { From } from '../process/from.js';
import { END_INCARNATION, GenServerProcess, PROCESS_BINDING } from '../process/gen-server-process.js';
import { messageTypeOf, type Envelope } from '../process/envelope.js';
import { MonitorRef } from '../process/monitor-ref.js';
import { noReply } from '../process/no-reply.js';
import { TimerRef } from '../process/timer-ref.js';
import { traceCarrier, toW3C } from '../telemetry/trace-carrier.js';
import { UnsendableReply } from '../runtime/plain-data.js';
import type { WarmPool } from './warm-pool.js';
import type { FromWorker, ToWorker, WorkerBoot } from './worker-protocol.js';

/** Heap limits and where the worker program is. */
export interface WorkerLaunch {
  readonly entry: URL;
  readonly boot: WorkerBoot;
  readonly maxOldGenerationMb: number;
  readonly maxYoungGenerationMb: number;
  /** Checkpointed: the state comes back after every callback. */
  readonly everyState: boolean;
  /** Whether casts and infos may be handed over ahead now (see `IsolatedProcess.forward`). */
  readonly pipelining: () => boolean;
}

/** Casts and infos handed to a worker ahead of their handling, at most (back-pressure to the mailbox). */
export const PIPELINE_WINDOW = 256;

/** What an isolated process needs of its incarnation beyond a process's binding (see `Incarnation`). */
interface IsolationHost {
  current(): Envelope | null;
  crashedEarlier(envelope: Envelope, error: unknown, unsent: readonly Envelope[]): void;
  handBack(unsent: readonly Envelope[], abandoned: Envelope | null): void;
}

/** Someone waiting for the casts handed over ahead to drain (below the window, or to none). */
interface Drain {
  readonly until: () => boolean;
  /** A handler's forward: given up (never resolved) when the process crashes meanwhile. */
  readonly forMessage: boolean;
  readonly resolve: () => void;
}

interface InFlight {
  resolve(done: Extract<FromWorker, { op: 'done' }>): void;
  reject(reason: unknown): void;
}

/**
 * The instance an isolated process's cell holds on the app thread: it stands for the real
 * instance, which lives on a worker of its own. `init`, each handler and `terminate` run there;
 * what the handler does to the world (`call`, `cast`, `sendAfter`, `reply`, `monitor`, `stop`,
 * `checkpoint`) comes back here and goes through this incarnation as for any process, so mailbox,
 * supervision, timers, monitors and stores work unchanged. `state` is the worker's, as of the last
 * callback that returned. A worker that dies (out of memory, killed at a deadline) crashes the
 * process; the next incarnation gets a fresh worker.
 */
export class IsolatedProcess extends GenServerProcess<unknown> {
  private seq = 1;
  private readonly inFlight = new Map<number, InFlight>();
  /** The worker's timer and monitor ids, to the refs made here. */
  private readonly timers = new Map<number, TimerRef>();
  private readonly monitorRefs = new Map<number, MonitorRef>();
  /** Calls whose handler deferred its reply, by reference, until the worker answers them. */
  private readonly deferred = new Map<number, From>();
  /** Casts and infos handed over ahead, by seq, in order: the worker has not said it ran them. */
  private readonly pipelined = new Map<number, Envelope>();
  /** Handed over ahead, then skipped by a worker that had stopped (`this.stop()`): they go back. */
  private unsent: Envelope[] = [];
  private drains: Drain[] = [];
  private exited: Promise<void>;
  private gone = false;

  private constructor(
    private readonly worker: Worker,
    private readonly everyState: boolean,
    private readonly pipelining: () => boolean,
  ) {
    super();
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (message: FromWorker) => this.receivedSafely(message));
    worker.on('error', (error: Error & { code?: string }) => this.died(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out_of_memory' : error));
    worker.on('exit', (code) => this.died(`worker_exited (${code})`));
  }

  /**
   * Starts a worker (or takes a warm one from `pool`) and waits until it has built the instance;
   * rejects with why it could not, or when `abandoned` aborts (the worker is ended).
   */
  static boot(launch: WorkerLaunch, pool?: WarmPool, abandoned?: AbortSignal): Promise<IsolatedProcess> {
    const limits = { maxOldGenerationMb: launch.maxOldGenerationMb, maxYoungGenerationMb: launch.maxYoungGenerationMb };
    const warm = pool?.take(limits);
    const worker =
      warm ??
      new Worker(launch.entry, {
        workerData: launch.boot,
        resourceLimits: { maxOldGenerationSizeMb: limits.maxOldGenerationMb, maxYoungGenerationSizeMb: limits.maxYoungGenerationMb },
      });
    if (warm !== undefined) warm.postMessage({ op: 'assign', boot: launch.boot } satisfies ToWorker);
    return new Promise<IsolatedProcess>((resolve, reject) => {
      // Only our own listeners go: Node's Worker keeps listeners of its own (removeAllListeners
      // would take those too, and with them the delivery of later messages).
      const settle = () => {
        worker.off('error', failed);
        worker.off('exit', exited);
        worker.off('message', spoke);
        abandoned?.removeEventListener('abort', given);
      };
      const failed = (reason: unknown) => {
        settle();
        void worker.terminate();
        reject(reason);
      };
      const exited = (code: number) => failed(new GenServerError(`the worker of "${launch.boot.name}" exited (code ${code}) before it was ready`));
      const spoke = (message: FromWorker) => {
        settle();
        if (message.op === 'ready') resolve(new IsolatedProcess(worker, launch.everyState, launch.pipelining));
        else if (message.op === 'failed') failed(decodeAnswer(message.error)?.value ?? new GenServerError('the worker failed to start'));
        else failed(new GenServerError(`the worker of "${launch.boot.name}" spoke before it was ready`));
      };
      const given = () => failed(new GenServerError(`the start of "${launch.boot.name}" gave up on its worker before it was ready`));
      worker.on('error', failed);
      worker.on('exit', exited);
      worker.on('message', spoke);
      abandoned?.addEventListener('abort', given, { once: true });
    });
  }

  override async init(args?: unknown, restored?: unknown): Promise<void> {
    await this.request({ op: 'init', seq: 0, args: threadAnswer(true, args), restored: threadAnswer(true, restored), everyState: this.everyState });
  }

  override async terminate(reason: ExitReason): Promise<void> {
    // A worker still in a handler (a crash at a deadline, a shutdown that gave up) is not waited for.
    if (this.gone || this.inFlight.size > 0) return;
    // What was handed over ahead runs first, as it would have before `terminate` in process.
    if (this.pipelined.size > 0) await this.drained(() => this.pipelined.size === 0, false);
    if (this.gone) return;
    await this.request({ op: 'terminate', seq: 0, reason: encodeReason(reason) });
  }

  /**
   * Runs the message's handler on the worker: resolves with its reply, `noReply()`, or rejects with
   * what it threw. A cast or info is handed over ahead when nothing needs its outcome now (no store
   * wants the state after it, no watchdog times it, no span or metric measures it): the mailbox
   * moves on at once and the worker runs them in order, at most `PIPELINE_WINDOW` ahead. A later
   * call waits until they have run, and one that throws crashes the process then (`crashedEarlier`).
   */
  forward(kind: MessageKind, payload: unknown, from: From | undefined): unknown {
    if (kind !== 'call' && this.pipelining()) {
      if (this.pipelined.size < PIPELINE_WINDOW) return this.handOver(kind, payload);
      return this.drained(() => this.pipelined.size < PIPELINE_WINDOW, true).then(() => this.handOver(kind, payload));
    }
    if (this.pipelined.size === 0) return this.handle(kind, payload, from);
    return this.drained(() => this.pipelined.size === 0, true).then(() => this.handle(kind, payload, from));
  }

  /** Posts a cast or info without waiting for it; the cell takes it as handled. */
  private handOver(kind: MessageKind, payload: unknown): undefined {
    if (this.gone) throw new GenServerError(`the worker of "${this.name}" is gone`);
    const envelope = this.host()?.current();
    if (envelope == null) throw new GenServerError(`a message was handed to the worker of "${this.name}" outside its handling`);
    const seq = this.seq++;
    this.worker.postMessage({ op: 'handle', seq, message: this.encoded(kind, payload, undefined), from: null } satisfies ToWorker);
    this.pipelined.set(seq, envelope);
    return undefined;
  }

  private encoded(kind: MessageKind, payload: unknown, from: From | undefined): ThreadBytes {
    const span = trace.getSpanContext(context.active());
    const carrier = span === undefined ? undefined : toW3C(traceCarrier(span, undefined, false));
    return threadMessage({ kind, to: this.name, type: messageTypeOf(payload), payload: this.translated(payload), waitMs: -1, caller: from?.caller ?? null, chain: [], trace: carrier });
  }

  private async handle(kind: MessageKind, payload: unknown, from: From | undefined): Promise<unknown> {
    if (from !== undefined) this.deferred.set(from.ref, from);
    const message = this.encoded(kind, payload, from);
    let done: { noReply: boolean; value: unknown; unsendable?: string };
    try {
      done = await this.request({ op: 'handle', seq: 0, message, from: from?.ref ?? null });
    } catch (error) {
      if (from !== undefined) this.deferred.delete(from.ref);
      throw error;
    }
    if (done.noReply) return noReply();
    if (from !== undefined) this.deferred.delete(from.ref);
    return done.unsendable === undefined ? done.value : new UnsendableReply(done.unsendable);
  }

  /** The incarnation has ended: the worker is stopped (at once, wherever it is) and waited for. */
  async [END_INCARNATION](): Promise<void> {
    this.gone = true;
    this.deferred.clear();
    await this.worker.terminate().catch(() => undefined);
    await this.exited;
    // Handed over ahead and not run (a `terminate` given up on): the first may have been running.
    const [abandoned, ...rest] = this.pipelined.values();
    this.pipelined.clear();
    const unsent = [...this.unsent, ...rest];
    this.unsent = [];
    if (abandoned !== undefined || unsent.length > 0) this.host()?.handBack(unsent, abandoned ?? null);
  }

  private host(): IsolationHost | undefined {
    return this[PROCESS_BINDING] as unknown as IsolationHost | undefined;
  }

  /** Resolves once `until()` holds after a cast handed over ahead has run. */
  private drained(until: () => boolean, forMessage: boolean): Promise<void> {
    return new Promise((resolve) => this.drains.push({ until, forMessage, resolve }));
  }

  /** A cast handed over ahead has run (or was skipped): whoever waits for that may go on. */
  private ranAhead(seq: number, envelope: Envelope, done: Extract<FromWorker, { op: 'done' }>): void {
    this.pipelined.delete(seq);
    if (done.skipped === true) this.unsent.push(envelope);
    else {
      const state = done.state === undefined ? undefined : decodeAnswer(done.state);
      if (state?.ok) this.state = state.value;
      const answer = decodeAnswer(done.answer);
      if (answer === undefined || !answer.ok) return this.brokeAhead(envelope, answer === undefined ? new GenServerError('an unreadable message came from a worker') : answer.value);
    }
    if (this.drains.length === 0) return;
    const waiting = this.drains;
    this.drains = [];
    for (const drain of waiting) {
      if (drain.until()) drain.resolve();
      else this.drains.push(drain);
    }
  }

  /**
   * A cast handed over ahead threw (or its worker died in it): the process crashes with its error;
   * those handed over after it, which the stopped worker will not run, go back to the mailbox.
   */
  private brokeAhead(envelope: Envelope, error: unknown): void {
    const unsent = [...this.unsent, ...this.pipelined.values()];
    this.unsent = [];
    this.pipelined.clear();
    // A handler waiting to hand over is given up by the cell; `terminate` waiting goes on.
    const waiting = this.drains;
    this.drains = [];
    for (const drain of waiting) if (!drain.forMessage) drain.resolve();
    this.host()?.crashedEarlier(envelope, error, unsent);
  }

  /** Sends a callback to the worker: resolves with its answer (the state it sent is taken), rejects with what it threw. */
  private request(message: ToWorker): Promise<{ noReply: boolean; value: unknown; unsendable?: string }> {
    if (this.gone) return Promise.reject(new GenServerError(`the worker of "${this.name}" is gone`));
    const seq = this.seq++;
    return new Promise<Extract<FromWorker, { op: 'done' }>>((resolve, reject) => {
      this.inFlight.set(seq, { resolve, reject });
      this.worker.postMessage({ ...message, seq });
    }).then((done) => {
      const state = done.state === undefined ? undefined : decodeAnswer(done.state);
      if (state?.ok) this.state = state.value;
      const answer = decodeAnswer(done.answer);
      if (answer === undefined) throw new GenServerError('an unreadable message came from a worker');
      if (!answer.ok) throw answer.value;
      return { noReply: done.noReply, value: answer.value, unsendable: done.unsendable };
    });
  }

  /** What the worker asks must never throw on the app thread: what it cannot do crashes this process. */
  private receivedSafely(message: FromWorker): void {
    try {
      this.received(message);
    } catch (error) {
      this[PROCESS_BINDING]?.fail(error);
    }
  }

  private received(message: FromWorker): void {
    switch (message.op) {
      case 'done': {
        const ahead = this.pipelined.get(message.seq);
        if (ahead !== undefined) return this.ranAhead(message.seq, ahead, message);
        const waiting = this.inFlight.get(message.seq);
        this.inFlight.delete(message.seq);
        waiting?.resolve(message);
        return;
      }
      case 'request': {
        const payload = answerOf(message.payload);
        const sent = message.kind === 'call' ? this.call(message.to, payload, message.timeout === undefined ? undefined : { timeout: message.timeout }) : this.cast(message.to, payload);
        sent.then(
          (value) => this.post({ op: 'answer', seq: message.seq, answer: safeThreadAnswer(true, value) }),
          (error: unknown) => this.post({ op: 'answer', seq: message.seq, answer: safeThreadAnswer(false, error) }),
        );
        return;
      }
      case 'sendAfter':
        this.timers.set(message.id, this.sendAfter(message.ms, answerOf(message.payload), message.to === undefined ? undefined : { to: message.to }));
        return;
      case 'cancelTimer': {
        const ref = this.timers.get(message.id);
        this.timers.delete(message.id);
        if (ref) this.cancelTimer(ref);
        return;
      }
      case 'reply': {
        const from = this.deferred.get(message.from);
        this.deferred.delete(message.from);
        if (from === undefined) return;
        const answer = message.unsendable === undefined ? decodeAnswer(message.value) : { ok: true, value: new UnsendableReply(message.unsendable) };
        if (answer?.ok === false) this.replyError(from, answer.value as Error);
        else this.reply(from, answer === undefined ? answerOf(message.value) : answer.value);
        return;
      }
      case 'monitor':
        this.monitorRefs.set(message.id, this.monitor(message.name));
        return;
      case 'demonitor': {
        const ref = this.monitorRefs.get(message.id);
        this.monitorRefs.delete(message.id);
        if (ref) this.demonitor(ref);
        return;
      }
      case 'exit':
        this.stop(reasonOf(message.reason));
        return;
      case 'checkpoint':
        this.checkpoint();
        return;
      case 'fail':
        this[PROCESS_BINDING]?.fail(reasonOf(message.reason));
        return;
      case 'state': {
        const state = decodeAnswer(message.state);
        if (state?.ok) this.state = state.value;
        return;
      }
      default:
        Logger.warn(`unexpected message from the worker: ${describeCause((message as { op?: unknown }).op)}`, this.name);
    }
  }

  /** A DOWN message names the monitor by the worker's id for it. */
  private translated(payload: unknown): unknown {
    if (this.monitorRefs.size === 0 || payload === null || typeof payload !== 'object' || (payload as { type?: unknown }).type !== 'DOWN') return payload;
    const ref = (payload as { ref?: unknown }).ref;
    for (const [id, monitor] of this.monitorRefs) {
      if (monitor.id === ref) {
        this.monitorRefs.delete(id);
        return { ...payload, ref: id };
      }
    }
    return payload;
  }

  /** The worker is gone: what waits on it fails with `reason`; an idle process exits with it. */
  private died(reason: unknown): void {
    if (this.gone) return;
    this.gone = true;
    // Casts run in order: the first one handed over ahead and not done is the one it died in.
    const [first] = this.pipelined;
    if (first !== undefined) {
      this.pipelined.delete(first[0]);
      return this.brokeAhead(first[1], reason);
    }
    const waiting = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const entry of waiting) entry.reject(reason);
    if (waiting.length === 0) this[PROCESS_BINDING]?.fail(reason);
  }

  private post(message: ToWorker): void {
    if (!this.gone) this.worker.postMessage(message);
  }
}

function answerOf(bytes: ThreadBytes): unknown {
  const answer = decodeAnswer(bytes);
  if (answer === undefined) throw new GenServerError('an unreadable message came from a worker');
  if (!answer.ok) throw answer.value;
  return answer.value;
}
