import { Logger } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import { context, trace } from '@opentelemetry/api';
import { decodeAnswer } from '../cluster/wire-codec.js';
import { safeThreadAnswer, threadAnswer, threadMessage, type ThreadBytes } from './thread-codec.js';
import { describeCause } from '../errors/describe-value.js';
import { GenServerError } from '../errors/genserver.error.js';
import type { ExitReason, MessageKind } from '../interfaces/genserver.types.js';
import type { From } from '../process/from.js';
import { END_INCARNATION, GenServerProcess, PROCESS_BINDING } from '../process/gen-server-process.js';
import { messageTypeOf } from '../process/envelope.js';
import { MonitorRef } from '../process/monitor-ref.js';
import { noReply } from '../process/no-reply.js';
import { TimerRef } from '../process/timer-ref.js';
import { traceCarrier, toW3C } from '../telemetry/trace-carrier.js';
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
  private exited: Promise<void>;
  private gone = false;

  private constructor(
    private readonly worker: Worker,
    private readonly everyState: boolean,
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
        if (message.op === 'ready') resolve(new IsolatedProcess(worker, launch.everyState));
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
    await this.request({ op: 'terminate', seq: 0, reason: encodeReason(reason) });
  }

  /** Runs the message's handler on the worker: resolves with its reply, `noReply()`, or rejects with what it threw. */
  async forward(kind: MessageKind, payload: unknown, from: From | undefined): Promise<unknown> {
    if (from !== undefined) this.deferred.set(from.ref, from);
    const span = trace.getSpanContext(context.active());
    const carrier = span === undefined ? undefined : toW3C(traceCarrier(span, undefined, false));
    const message = threadMessage({ kind, to: this.name, type: messageTypeOf(payload), payload: this.translated(payload), waitMs: -1, caller: from?.caller ?? null, chain: [], trace: carrier });
    let done: { noReply: boolean; value: unknown };
    try {
      done = await this.request({ op: 'handle', seq: 0, message, from: from?.ref ?? null });
    } catch (error) {
      if (from !== undefined) this.deferred.delete(from.ref);
      throw error;
    }
    if (done.noReply) return noReply();
    if (from !== undefined) this.deferred.delete(from.ref);
    return done.value;
  }

  /** The incarnation has ended: the worker is stopped (at once, wherever it is) and waited for. */
  async [END_INCARNATION](): Promise<void> {
    this.gone = true;
    this.deferred.clear();
    await this.worker.terminate().catch(() => undefined);
    await this.exited;
  }

  /** Sends a callback to the worker: resolves with its answer (the state it sent is taken), rejects with what it threw. */
  private request(message: ToWorker): Promise<{ noReply: boolean; value: unknown }> {
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
      return { noReply: done.noReply, value: answer.value };
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
        if (from) this.reply(from, answerOf(message.value));
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

/** An exit reason crosses as an answer: an error one as an error, so it arrives as the same class. */
export function encodeReason(reason: ExitReason): ThreadBytes {
  return reason instanceof Error ? threadAnswer(false, reason) : safeThreadAnswer(true, reason);
}

export function reasonOf(bytes: ThreadBytes): ExitReason {
  const answer = decodeAnswer(bytes);
  return answer === undefined ? 'unreadable reason' : (answer.value as ExitReason);
}
