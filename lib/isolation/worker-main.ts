import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeAnswer, decodeMessage } from '../cluster/wire-codec.js';
import { encodeReason, reasonOf, safeThreadAnswer, threadAnswer, type ThreadBytes } from './thread-codec.js';
import { handlersOf } from '../discovery/handlers-of.js';
import type { HandlerTable } from '../discovery/handler-table.js';
import { GenServerError } from '../errors/genserver.error.js';
import { describeCause } from '../errors/describe-value.js';
import { InvalidPayloadError } from '../errors/invalid-payload.error.js';
import { describeNonPlainDataDeep } from '../runtime/plain-data.js';
import type { CallOptions } from '../interfaces/genserver.types.js';
import { checkMonitorName, checkSendAfter } from '../process/binding-checks.js';
import { messageTypeOf } from '../process/envelope.js';
import { From } from '../process/from.js';
import { PROCESS_BINDING, type GenServerProcess, type ProcessBinding } from '../process/gen-server-process.js';
import { MonitorRef } from '../process/monitor-ref.js';
import { isNoReply } from '../process/no-reply.js';
import { TimerRef } from '../process/timer-ref.js';
import { fromW3C } from '../telemetry/trace-carrier.js';
import { STATE_EVERY_MS, type FromWorker, type ToWorker, type WorkerBoot } from './worker-protocol.js';

// The program of an isolated process's worker: it imports the class from the file that declared it,
// builds the instance (in a Nest application context when a module is named), and runs `init`,
// handlers and `terminate` when the app thread says so, one at a time. What the instance does to the
// world goes back to the app thread through its binding.

type OpenTelemetry = typeof import('@opentelemetry/api');
let otel: OpenTelemetry | undefined;

/**
 * OpenTelemetry's API, loaded with the first message that carries a span (a cold start does not
 * pay for it), and with it the context manager by which a handler sees that span, the one its
 * message is handled in on the app thread, as its active span.
 */
async function openTelemetry(): Promise<OpenTelemetry> {
  if (otel === undefined) {
    const api = await import('@opentelemetry/api');
    const { WorkerContextManager } = await import('./worker-context-manager.js');
    api.context.setGlobalContextManager(new WorkerContextManager());
    otel = api;
  }
  return otel;
}

/** A warm worker (see `WarmPool`) loads Nest now and learns its class later. */
async function assignment(): Promise<WorkerBoot> {
  // What every class file imports: Nest and this package (the same module a user's file resolves).
  await import('@nestjs/core');
  await import('../index.js');
  return new Promise((resolve) => {
    port.once('message', (message: ToWorker) => {
      if (message.op === 'assign') resolve(message.boot);
    });
    post({ op: 'warm' });
  });
}

const port = parentPort!;
const NOTHING = threadAnswer(true, null);
const post = (message: FromWorker) => port.postMessage(message);
const boot: WorkerBoot = (workerData as { warm?: boolean }).warm === true ? await assignment() : (workerData as WorkerBoot);
const waiting = new Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>();
let nextSeq = 1;
let nextId = 1;
const armed = new Set<number>();
let everyState = true;
let stateSentAt = 0;
let stateTimer: NodeJS.Timeout | null = null;
/** The process has crashed or asked to stop: handlers handed over ahead of their turn are not run. */
let halted = false;

/** The value's bytes, or what in it is not plain data (what keeps it from crossing). */
function encoded(value: unknown): ThreadBytes | { readonly found: string } {
  try {
    return threadAnswer(true, value);
  } catch (error) {
    return { found: describeNonPlainDataDeep(value) ?? `a value that cannot cross threads (${describeCause(error)})` };
  }
}

function request(kind: 'call' | 'cast', to: string, payload: unknown, options?: CallOptions): Promise<never> {
  const bytes = encoded(payload);
  // As on the app thread: a payload that is not plain data is refused with a typed error.
  if (typeof bytes === 'object' && 'found' in bytes) return Promise.reject(new InvalidPayloadError(to, 'payload', messageTypeOf(payload), bytes.found));
  const seq = nextSeq++;
  return new Promise((resolve, reject) => {
    waiting.set(seq, { resolve: resolve as (value: unknown) => void, reject });
    post({ op: 'request', seq, kind, to, payload: bytes, timeout: options?.timeout });
  });
}

const binding: ProcessBinding = {
  name: boot.name,
  sendAfter(ms, payload, options) {
    checkSendAfter(ms, options?.to);
    const id = nextId++;
    armed.add(id);
    post({ op: 'sendAfter', id, ms, payload: threadAnswer(true, payload), to: options?.to });
    return new TimerRef(id);
  },
  cancelTimer(ref) {
    post({ op: 'cancelTimer', id: ref.id });
    return armed.delete(ref.id);
  },
  call: (to, payload, options) => request('call', to, payload, options),
  cast: (to, payload) => request('cast', to, payload),
  reply(from, value) {
    // As on the app thread, a reply that is not plain data fails the caller, not the process.
    const bytes = encoded(value);
    if (typeof bytes === 'object' && 'found' in bytes) post({ op: 'reply', from: from.ref, value: NOTHING, unsendable: bytes.found });
    else post({ op: 'reply', from: from.ref, value: bytes });
  },
  replyError(from, error) {
    post({ op: 'reply', from: from.ref, value: safeThreadAnswer(false, error) });
  },
  monitor(name) {
    checkMonitorName(name);
    const id = nextId++;
    post({ op: 'monitor', id, name });
    return new MonitorRef(id, name);
  },
  demonitor(ref) {
    post({ op: 'demonitor', id: ref.id });
    return true;
  },
  exit(reason) {
    halted = true;
    post({ op: 'exit', reason: encodeReason(reason as never) });
  },
  fail(error) {
    halted = true;
    post({ op: 'fail', reason: threadAnswer(false, error) });
  },
  checkpoint() {
    post({ op: 'checkpoint' });
  },
};

async function build(): Promise<{ instance: GenServerProcess; handlers: HandlerTable }> {
  const exports = (await import(boot.file)) as Record<string, unknown>;
  const cls = [exports[boot.className], exports.default].find((value) => typeof value === 'function' && value.name === boot.className) as (new () => GenServerProcess) | undefined;
  if (cls === undefined) throw new GenServerError(`${boot.className} is not exported by ${boot.file}: an isolated process's class must be exported from its file (or name another file with workerFile)`);
  let instance: GenServerProcess;
  if (boot.module === undefined) {
    instance = new cls();
  } else {
    const module = exports[boot.module];
    if (typeof module !== 'function') throw new GenServerError(`${boot.module} is not exported by ${boot.file}: worker.module names a Nest module exported from the class's file`);
    const { NestFactory, ModuleRef } = await import('@nestjs/core');
    const app = await NestFactory.createApplicationContext(module as never, { logger: ['error', 'warn'], abortOnError: false });
    instance = await app.get(ModuleRef).create(cls);
  }
  instance[PROCESS_BINDING] = binding;
  return { instance, handlers: handlersOf(cls) };
}

/** A state held back is sent once the burst is over: status is never more than `STATE_EVERY_MS` behind. */
function stateLater(instance: GenServerProcess): void {
  if (stateTimer !== null) return;
  stateTimer = setTimeout(() => {
    stateTimer = null;
    stateSentAt = performance.now();
    const state = stateOf(instance);
    // A state that cannot cross is a crash, as it is when a checkpoint needs it.
    if (state instanceof Error) binding.fail(state);
    else post({ op: 'state', state });
  }, STATE_EVERY_MS);
}

/** The state's bytes, or why it cannot cross (it must be plain data, as payloads are). */
function stateOf(instance: GenServerProcess): ThreadBytes | Error {
  try {
    return threadAnswer(true, instance.state);
  } catch (error) {
    return new GenServerError(`the state of "${boot.name}" cannot cross to the app thread (an isolated process keeps plain data in its state): ${describeCause(error)}`);
  }
}

async function run(instance: GenServerProcess, handlers: HandlerTable, message: ToWorker): Promise<void> {
  if (message.op === 'assign') return; // told once, before anything else
  if (message.op === 'answer') {
    const entry = waiting.get(message.seq);
    waiting.delete(message.seq);
    const decoded = decodeAnswer(message.answer);
    if (decoded?.ok) entry?.resolve(decoded.value);
    else entry?.reject(decoded?.value ?? new GenServerError('an unreadable answer came from the app thread'));
    return;
  }
  if (halted && message.op === 'handle') {
    post({ op: 'done', seq: message.seq, answer: threadAnswer(true, undefined), noReply: false, state: undefined, skipped: true });
    return;
  }
  let ok = true;
  let value: unknown;
  let deferred = false;
  try {
    if (message.op === 'init') {
      const restored = decodeAnswer(message.restored)?.value;
      if (restored !== undefined) instance.state = restored;
      await instance.init(decodeAnswer(message.args)?.value, restored);
    } else if (message.op === 'terminate') {
      await instance.terminate(reasonOf(message.reason));
    } else {
      const envelope = decodeMessage(message.message);
      if (envelope === undefined) throw new GenServerError('an unreadable message came from the app thread');
      const method = handlers.find(envelope.kind, envelope.type);
      if (method === undefined) throw new GenServerError(`no handler for a ${envelope.kind} of type ${String(envelope.type)}`);
      const from = message.from === null ? undefined : new From(message.from, envelope.caller);
      const carrier = envelope.trace === undefined ? undefined : fromW3C(envelope.trace);
      let result: unknown;
      if (carrier === undefined) result = await method.call(instance, envelope.payload, from);
      else {
        const { context, trace, ROOT_CONTEXT } = otel ?? (await openTelemetry());
        result = await context.with(trace.setSpanContext(ROOT_CONTEXT, { traceId: carrier.traceId, spanId: carrier.spanId, traceFlags: carrier.traceFlags, isRemote: true }), () => method.call(instance, envelope.payload, from));
      }
      if (isNoReply(result)) deferred = true;
      else value = result;
    }
  } catch (error) {
    ok = false;
    value = error;
    if (message.op === 'handle') halted = true;
  }
  // The state goes back when a checkpoint needs it, else now and then (status shows it).
  if (message.op === 'init') everyState = message.everyState;
  const now = performance.now();
  const sendState = everyState || message.op !== 'handle' || now - stateSentAt >= STATE_EVERY_MS;
  if (sendState) stateSentAt = now;
  else stateLater(instance);
  const state = sendState ? stateOf(instance) : undefined;
  if (state instanceof Error && ok && message.op !== 'terminate') {
    if (message.op === 'handle') halted = true;
    ok = false;
    value = state;
    deferred = false;
  }
  // A handler's reply that cannot cross fails its caller only, as on the app thread.
  const answer = ok && message.op === 'handle' ? encoded(value) : safeThreadAnswer(ok, value);
  const unsendable = typeof answer === 'object' && 'found' in answer ? answer.found : undefined;
  post({ op: 'done', seq: message.seq, answer: unsendable === undefined ? (answer as ThreadBytes) : NOTHING, noReply: deferred, state: state instanceof Error ? undefined : state, unsendable });
}

try {
  const { instance, handlers } = await build();
  // One callback at a time, in order, as on the app thread: answers to its own calls jump the queue.
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (message: ToWorker) => {
    if (message.op === 'answer') void run(instance, handlers, message);
    else queue = queue.then(() => run(instance, handlers, message));
  });
  post({ op: 'ready' });
} catch (error) {
  post({ op: 'failed', error: safeThreadAnswer(false, error) });
}
