import { Injectable } from '@nestjs/common';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { z } from 'zod';
import {
  Agent,
  AgentProcess,
  GenServer,
  GenServerError,
  GenServerProcess,
  HandleCall,
  InvalidOptionError,
  InvalidPayloadError,
  NoSuchProcessError,
  ProcessCrashedError,
  TaskCancelledError,
  Tool,
  UnhandledMessageError,
  replayAgent,
  type AgentEvent,
  type AgentState,
  type TaskReply,
} from 'nestjs-genserver';
import { lastArrayOf } from '../../support/collect.js';
import { bootApp, sleep, type TestApp } from '../../support/app.js';
import { lastUserText as userText, startFakeModelServer as startServer, type FakeModelServer as LocalServer, type ModelReply as Reply, type ModelRequest as Req } from '../../support/fake-model-server.js';

// Hostile input and odd sequences against the agent API. The project's standard: non-string names,
// null reasons, strings where numbers belong, values that throw when read, cyclic objects and
// durations >= 2^31 ms each get a typed error or a documented meaning; none may wedge a mailbox,
// hang a caller or reject unhandled; nothing accepted is lost silently.


// ---------------------------------------------------------------------------------------------
// The agents under test.

class Point {
  constructor(readonly x: number) {}
}

let hangSignal: AbortSignal | undefined;
const noArgs = z.object({});

@Injectable()
class WeirdTools {
  @Tool({ description: 'returns a function', parameters: noArgs })
  fn() {
    return () => 1;
  }
  @Tool({ description: 'returns a class instance', parameters: noArgs })
  instance() {
    return new Point(1);
  }
  @Tool({ description: 'returns a cyclic object', parameters: noArgs })
  cyclic() {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    return o;
  }
  @Tool({ description: 'returns a BigInt', parameters: noArgs })
  bigint() {
    return 10n;
  }
  @Tool({ description: 'throws null', parameters: noArgs })
  throwsNull(): never {
    throw null; // eslint-disable-line no-throw-literal
  }
  @Tool({ description: 'throws a string', parameters: noArgs })
  throwsString(): never {
    throw 'plain string failure'; // eslint-disable-line no-throw-literal
  }
  @Tool({ description: 'throws synchronously', parameters: noArgs })
  syncThrow(): never {
    throw new Error('sync boom');
  }
  @Tool({ description: 'never returns', parameters: noArgs })
  hang(_args: unknown, context: { abortSignal: AbortSignal }) {
    hangSignal = context.abortSignal;
    return new Promise(() => undefined);
  }
  @Tool({ description: 'doubles n', parameters: z.object({ n: z.number() }) })
  typed({ n }: { n: number }) {
    return n * 2;
  }
  @Tool({ description: 'returns a Date (plain data by the project\'s rules)', parameters: noArgs })
  date() {
    return { when: new Date(0) };
  }
  @Tool({ description: 'needs a yes', parameters: noArgs, needsApproval: true })
  risky() {
    return 'did it';
  }
}

@Agent({ name: 'hostile', tools: [WeirdTools] })
class Hostile extends AgentProcess {}

@Agent({ name: 'journaled', journal: true })
class Journaled extends AgentProcess {}

@GenServer('plainserver')
class PlainServer extends GenServerProcess<{ n: number }> {
  @HandleCall('ping')
  ping() {
    return 'pong';
  }
}

/**
 * The model: input `tool:<name>` asks for that tool (then answers `after:<name>`); `raw:<name>:<json>`
 * sends raw argument text; `slow` streams slowly; `http:<status>[:<retry-after>]` answers with that
 * status once per task; `always429` always; `cut` and `end` cut the stream; anything else `re: <input>`.
 */
function script(request: Req): Reply {
  const asked = userText(request);
  const last = request.messages.at(-1)!;
  if (last.role === 'tool') return { text: `after:${asked}` };
  if (asked.startsWith('tool:')) return { toolCalls: [{ name: asked.slice(5), args: asked.slice(5) === 'typed' ? { n: 'not a number' } : {} }] };
  if (asked.startsWith('raw:')) {
    const [, name, ...rest] = asked.split(':');
    return { toolCalls: [{ name, rawArgs: rest.join(':') }] };
  }
  if (asked === 'slow') return { text: 'z'.repeat(400), chunk: 1, delayMs: 10 };
  if (asked.length > 1000) return { text: `long input of ${asked.length}` };
  if (asked === 'boom') return { status: 500 };
  if (asked === 'always429') return { status: 429, retryAfter: '0' };
  if (asked === 'cut') return { text: 'partial answer that is cut', chunk: 2, cutAfter: 3 };
  if (asked === 'end') return { text: 'partial answer that ends', chunk: 2, endAfter: 3 };
  return { text: `re: ${asked}` };
}

const task = (input: string, id?: string) => ({ type: 'task', input, ...(id === undefined ? {} : { id }) });

describe('agents: hostile input and odd sequences', () => {
  let server: LocalServer;
  let app: TestApp;
  const model = () => createOpenAICompatible({ name: 'fake', baseURL: server.url, includeUsage: true })('m1');
  const boot = async (extra: Record<string, unknown> = {}) => (app = await bootApp([WeirdTools, Hostile, Journaled, PlainServer], { agents: { model: model(), ...extra } }));
  const call = <R = unknown>(name: string, payload: unknown, timeout = 5_000) => app.runtime.call<R>(name, payload, { timeout });
  const settle = (p: Promise<unknown>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));
  const crashes = (name: string) => app.events.filter((e) => e.type === 'crashed' && e.name === name).length;

  /** The agent is not wedged: status answers, then a normal task gets its reply. */
  async function stillServes(name = 'hostile'): Promise<void> {
    await expect(call(name, { type: 'status' }, 2_000)).resolves.toMatchObject({ queued: 0 });
    const reply = await call<TaskReply>(name, task('are you there?'), 5_000);
    expect(reply.text).toBe('re: are you there?');
  }

  beforeEach(async () => {
    hangSignal = undefined;
    server = await startServer(script);
  });
  afterEach(async () => {
    await app?.close();
    await server.close();
  });

  // ---- task messages ----------------------------------------------------------------------------

  it.each([
    ['input null', { type: 'task', input: null }],
    ['input a number', { type: 'task', input: 42 }],
    ['input an object', { type: 'task', input: { text: 'hi' } }],
    ['no input at all', { type: 'task' }],
    ['id a number', { type: 'task', input: 'x', id: 7 }],
    ['id null', { type: 'task', input: 'x', id: null }],
    ['id empty', { type: 'task', input: 'x', id: '' }],
  ])('a task with %s is refused with InvalidPayloadError naming the agent, and the agent goes on', async (_what, payload) => {
    await boot();
    const error = await call('hostile', payload).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error).toMatchObject({ process: 'hostile', what: 'payload', messageType: 'task' });
    await stillServes();
    expect(crashes('hostile')).toBe(0);
  });

  it('a null payload (no type) is refused with UnhandledMessageError, not lost', async () => {
    await boot();
    await expect(call('hostile', null)).rejects.toBeInstanceOf(UnhandledMessageError);
    await stillServes();
  });

  it('forged info messages (model_step, tool_result) sent as calls are refused with UnhandledMessageError', async () => {
    await boot();
    await expect(call('hostile', { type: 'model_step', taskId: 'x', step: 0, outcome: { text: 'forged', toolCalls: [], usage: { input: 0, output: 0 }, cost: 0 } })).rejects.toBeInstanceOf(UnhandledMessageError);
    await expect(call('hostile', { type: 'tool_result', taskId: 'x', toolCallId: 'y', result: 1 })).rejects.toBeInstanceOf(UnhandledMessageError);
    await stillServes();
  });

  it('a task sent as a cast is not lost silently: refused or published as a dead letter', async () => {
    await boot();
    const outcome = await settle(app.runtime.cast('hostile', task('cast me', 'cast')));
    await sleep(50);
    const dead = app.events.filter((e) => e.type === 'dead-letter' && e.name === 'hostile');
    expect('error' in outcome || dead.length === 1).toBe(true);
    await stillServes();
  });

  it('the same task id sent twice concurrently runs once, both callers get the reply', async () => {
    await boot();
    const [a, b] = await Promise.all([call<TaskReply>('hostile', task('twice', 'dup')), call<TaskReply>('hostile', task('twice', 'dup'))]);
    expect(a).toEqual(b);
    expect(server.requests.filter((r) => userText(r) === 'twice')).toHaveLength(1);
  });

  it('a huge input (5 MB) is taken and answered (no size limit is documented)', async () => {
    await boot();
    const reply = await call<TaskReply>('hostile', task('x'.repeat(5_000_000), 'huge'), 15_000);
    expect(reply).toMatchObject({ id: 'huge', text: 'long input of 5000000' });
    await stillServes();
  }, 30_000);

  it('a task whose input getter throws is refused with InvalidPayloadError and does not crash the agent', async () => {
    await boot();
    const payload = { type: 'task', get input(): string { throw new Error('getter trap'); } };
    const error = await call('hostile', payload).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(crashes('hostile')).toBe(0);
    await stillServes();
  });

  it('a task Proxy whose traps throw is refused with InvalidPayloadError', async () => {
    await boot();
    const proxy = new Proxy({}, { get() { throw new Error('proxy trap'); }, getPrototypeOf() { throw new Error('proxy trap'); } });
    await expect(call('hostile', proxy)).rejects.toBeInstanceOf(InvalidPayloadError);
    await stillServes();
  });

  it('a task Proxy that reads fine but throws on `id` does not crash the agent nor fail a running task', async () => {
    await boot();
    const running = settle(call<TaskReply>('hostile', task('slow', 'victim'), 10_000));
    await sleep(50);
    const proxy = new Proxy({ type: 'task', input: 'x' } as Record<string, unknown>, {
      get(target, key) {
        if (key === 'id') throw new Error('id trap');
        return target[key as string];
      },
    });
    const error = await call('hostile', proxy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPayloadError);
    // The other caller's task is not a casualty of someone else's bad message.
    expect(await running).toMatchObject({ value: { id: 'victim' } });
    expect(crashes('hostile')).toBe(0);
  });

  it('a task payload with a cyclic extra field is answered (top-level plain data) by a plain agent', async () => {
    await boot();
    const payload: Record<string, unknown> = { type: 'task', input: 'cyc', id: 'cyc' };
    payload.self = payload;
    expect((await call<TaskReply>('hostile', payload)).text).toBe('re: cyc');
    await stillServes();
  });

  it('a journaling agent given a task with a cyclic extra field does not crash (journal cannot JSON it)', async () => {
    await boot();
    const payload: Record<string, unknown> = { type: 'task', input: 'cyc', id: 'cyc' };
    payload.self = payload;
    const outcome = await settle(call<TaskReply>('journaled', payload));
    // Either answered (recorded without the cycle) or refused with InvalidPayloadError: never a crash.
    if ('error' in outcome) expect(outcome.error).toBeInstanceOf(InvalidPayloadError);
    else expect((outcome.value as TaskReply).text).toBe('re: cyc');
    expect(crashes('journaled')).toBe(0);
    await stillServes('journaled');
  });

  it('a journaling agent given a status call holding a BigInt does not crash', async () => {
    await boot();
    const outcome = await settle(call('journaled', { type: 'status', extra: 10n }));
    if ('error' in outcome) expect(outcome.error).toBeInstanceOf(InvalidPayloadError);
    expect(crashes('journaled')).toBe(0);
    await stillServes('journaled');
  });

  // ---- cancel / approve / deny ------------------------------------------------------------------

  it('cancel with a null taskId does not cancel the running task (null is not a task id)', async () => {
    await boot();
    const running = settle(call<TaskReply>('hostile', task('slow', 'keep-me'), 10_000));
    await sleep(50);
    const outcome = await settle(call('hostile', { type: 'cancel', taskId: null }));
    // runtime.cancel(name, null) is refused with InvalidOptionError; the message must not mean "the running one".
    if ('error' in outcome) expect(outcome.error).toBeInstanceOf(InvalidPayloadError);
    else expect(outcome.value).toBe(false);
    expect(await running).toMatchObject({ value: { id: 'keep-me' } });
  });

  it('cancel with a numeric taskId, a missing id when idle, a finished id: false, agent goes on', async () => {
    await boot();
    await call('hostile', task('one', 'done-1'));
    expect(await call('hostile', { type: 'cancel', taskId: 42 })).toBe(false);
    expect(await call('hostile', { type: 'cancel' })).toBe(false);
    expect(await app.runtime.cancel('hostile', 'done-1')).toBe(false);
    expect(await app.runtime.cancel('hostile', 'never-was')).toBe(false);
    // A finished task asked again still gets its reply (it was not "cancelled").
    expect((await call<TaskReply>('hostile', task('one', 'done-1'))).text).toBe('re: one');
    await stillServes();
  });

  it('cancel whose taskId getter throws is refused with a typed error, without crashing the agent', async () => {
    await boot();
    const running = settle(call<TaskReply>('hostile', task('slow', 'bystander'), 10_000));
    await sleep(50);
    const payload = { type: 'cancel', get taskId(): string { throw new Error('trap'); } };
    const error = await call('hostile', payload).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(await running).toMatchObject({ value: { id: 'bystander' } });
    expect(crashes('hostile')).toBe(0);
  });

  it('approve/deny with null, a number, a missing or unknown id answer { ok: false }', async () => {
    await boot();
    for (const type of ['approve', 'deny']) {
      expect(await call('hostile', { type, approvalId: null })).toEqual({ ok: false });
      expect(await call('hostile', { type, approvalId: 42 })).toEqual({ ok: false });
      expect(await call('hostile', { type })).toEqual({ ok: false });
      expect(await call('hostile', { type, approvalId: 'approval-nope' })).toEqual({ ok: false });
    }
    await stillServes();
  });

  it('approve of an unknown id while an approval is parked leaves it parked; the real one then runs', async () => {
    await boot();
    const reply = call<TaskReply>('hostile', task('tool:risky', 'r'), 10_000);
    let state = app.runtime.status('hostile').state as AgentState;
    for (let i = 0; i < 200 && Object.keys(state.running?.approvals ?? {}).length === 0; i++) {
      await sleep(10);
      state = app.runtime.status('hostile').state as AgentState;
    }
    const [approvalId] = Object.keys(state.running!.approvals);
    expect(await call('hostile', { type: 'approve', approvalId: `${approvalId}-x` })).toEqual({ ok: false });
    expect(await call('hostile', { type: 'deny', approvalId: 42 })).toEqual({ ok: false });
    expect(await call('hostile', { type: 'approve', approvalId })).toEqual({ ok: true });
    expect(await call('hostile', { type: 'approve', approvalId })).toEqual({ ok: false });
    expect((await reply).toolCalls[0]).toMatchObject({ name: 'risky', result: 'did it' });
  });

  it('approve whose approvalId getter throws is refused with a typed error, without crashing the agent', async () => {
    await boot();
    const payload = { type: 'approve', get approvalId(): string { throw new Error('trap'); } };
    const error = await call('hostile', payload).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(crashes('hostile')).toBe(0);
  });

  // ---- runtime.stream / cancel / journal --------------------------------------------------------

  it('runtime.stream with a non-string name throws InvalidOptionError', () => {
    return boot().then(() => {
      expect(() => app.runtime.stream(42 as never, 'x')).toThrow(InvalidOptionError);
      expect(() => app.runtime.stream(null as never, 'x')).toThrow(InvalidOptionError);
    });
  });

  it.each([
    ['-1', -1],
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
    ['a string', '3'],
    ['1.5', 1.5],
  ])('runtime.stream with afterSeq %s throws InvalidOptionError', async (_what, afterSeq) => {
    await boot();
    expect(() => app.runtime.stream('hostile', 'x', { afterSeq: afterSeq as never })).toThrow(InvalidOptionError);
  });

  it('runtime.stream with a huge afterSeq skips every event and still completes with the task', async () => {
    await boot();
    const events = await lastArrayOf(app.runtime.stream('hostile', task('big', 'big-seq') as never, { afterSeq: Number.MAX_SAFE_INTEGER }));
    expect(events).toEqual([]);
    expect((await call<TaskReply>('hostile', task('big', 'big-seq'))).text).toBe('re: big');
  });

  it('runtime.stream with afterSeq on a task whose events are not out yet skips them too (live events are filtered)', async () => {
    await boot();
    const events = await lastArrayOf(app.runtime.stream('hostile', task('fresh', 'fresh') as never, { afterSeq: 2 }));
    expect(events.map((e) => e.seq)[0]).toBe(3);
    expect(events.every((e) => e.seq > 2)).toBe(true);
  });

  it('runtime.stream of a task of the wrong shape ends its stream with an InvalidPayloadError event', async () => {
    await boot();
    for (const bad of [{ type: 'task', input: 42 }, { type: 'task', input: 'x', id: '' }, { type: 'task', input: 'x', id: 9 }]) {
      const events = await lastArrayOf(app.runtime.stream('hostile', bad as never));
      expect(events.at(-1)).toMatchObject({ type: 'error', error: { name: 'InvalidPayloadError' } });
    }
    await stillServes();
  });

  it('runtime.stream with a null task throws InvalidOptionError (or errors the stream with it), not a TypeError', async () => {
    await boot();
    let error: unknown;
    try {
      await lastArrayOf(app.runtime.stream('hostile', null as never));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GenServerError);
    await stillServes();
  });

  it('runtime.stream with a Proxy task whose traps throw gives a typed error, not the trap', async () => {
    await boot();
    const proxy = new Proxy({}, { get() { throw new Error('stream trap'); } });
    let error: unknown;
    try {
      await lastArrayOf(app.runtime.stream('hostile', proxy as never));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GenServerError);
  });

  it('runtime.stream to an unknown name and to a plain GenServer ends with the typed error event', async () => {
    await boot();
    expect((await lastArrayOf(app.runtime.stream('nope', 'x'))).at(-1)).toMatchObject({ type: 'error', error: { name: 'NoSuchProcessError' } });
    expect((await lastArrayOf(app.runtime.stream('plainserver', 'x'))).at(-1)).toMatchObject({ type: 'error', error: { name: 'UnhandledMessageError' } });
    expect(await call('plainserver', { type: 'ping' })).toBe('pong');
  });

  it('unsubscribing early then resubscribing with the same id gets every event once, the task run once', async () => {
    await boot();
    const first: AgentEvent[] = [];
    const sub = app.runtime.stream('hostile', task('slow', 'resub') as never).subscribe((e) => first.push(e));
    while (first.filter((e) => e.type === 'text-delta').length < 3) await sleep(5);
    sub.unsubscribe();
    const all = await lastArrayOf(app.runtime.stream('hostile', task('slow', 'resub') as never));
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all.at(-1)).toMatchObject({ type: 'done', taskId: 'resub' });
    expect(server.requests.filter((r) => userText(r) === 'slow')).toHaveLength(1);
  });

  it('runtime.cancel with a non-string taskId or name rejects with InvalidOptionError; unknown name NoSuchProcessError', async () => {
    await boot();
    await expect(app.runtime.cancel('hostile', 42 as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(app.runtime.cancel('hostile', null as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(app.runtime.cancel(42 as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(app.runtime.cancel('nope')).rejects.toBeInstanceOf(NoSuchProcessError);
    await expect(app.runtime.cancel('plainserver')).rejects.toBeInstanceOf(UnhandledMessageError);
  });

  it('runtime.journal: unknown name NoSuchProcessError, non-agent / non-journaling InvalidOptionError, bad name InvalidOptionError', async () => {
    await boot();
    await expect(app.runtime.journal('nope')).rejects.toBeInstanceOf(NoSuchProcessError);
    await expect(app.runtime.journal('plainserver')).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(app.runtime.journal('hostile')).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(app.runtime.journal(42 as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(app.runtime.journal('journaled')).resolves.toMatchObject({ agent: 'journaled' });
  });

  // ---- tools ------------------------------------------------------------------------------------

  it.each([
    ['a function', 'fn'],
    ['a cyclic object', 'cyclic'],
    ['a BigInt', 'bigint'],
  ])('a tool returning %s: the task ends (answered, or refused with a typed error), the agent does not crash', async (_what, tool) => {
    await boot();
    const outcome = await settle(call<TaskReply>('hostile', task(`tool:${tool}`, `t-${tool}`), 8_000));
    if ('error' in outcome) {
      expect(outcome.error).toBeInstanceOf(GenServerError);
      expect(outcome.error).not.toBeInstanceOf(ProcessCrashedError);
    } else {
      // The model was told something JSON: the tool's result as an error saying it is not plain data.
      expect((outcome.value as TaskReply).toolCalls[0]).toMatchObject({ name: tool, result: { error: expect.stringContaining(tool) } });
    }
    expect(crashes('hostile')).toBe(0);
    await stillServes();
    // The conversation (and counters) survived: the earlier tool step is still there.
    expect((app.runtime.status('hostile').state as AgentState).conversation.length).toBeGreaterThanOrEqual(4);
  });

  it('a tool returning a class instance: its JSON form reaches the model and the reply', async () => {
    await boot();
    const reply = await call<TaskReply>('hostile', task('tool:instance', 'inst'), 8_000);
    expect(reply.toolCalls[0]).toMatchObject({ name: 'instance', result: { x: 1 } });
    // The state is JSON data (checkpointable): no Point instance in the conversation.
    const state = app.runtime.status('hostile').state as AgentState;
    expect(JSON.parse(JSON.stringify(state.conversation))).toEqual(state.conversation);
    const toolMessage = state.conversation.find((m) => m.role === 'tool')!;
    const output = (toolMessage.content as { output: { value: unknown } }[])[0].output.value;
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    await stillServes();
  });

  it('a tool returning a Date (plain data by the project\'s rules) does not poison the conversation for every later task', async () => {
    await boot();
    const outcome = await settle(call<TaskReply>('hostile', task('tool:date', 'date'), 8_000));
    expect(outcome).toMatchObject({ value: { id: 'date', toolCalls: [{ name: 'date', result: { when: '1970-01-01T00:00:00.000Z' } }] } });
    // Whatever became of that task, the next one must work.
    await stillServes();
  });

  it.each([
    ['null', 'throwsNull', 'null'],
    ['a string', 'throwsString', 'plain string failure'],
    ['synchronously', 'syncThrow', 'sync boom'],
  ])('a tool that throws %s sends the model { error } and the task completes', async (_what, tool, message) => {
    await boot();
    const reply = await call<TaskReply>('hostile', task(`tool:${tool}`, `t-${tool}`), 8_000);
    expect(reply.toolCalls[0]).toMatchObject({ name: tool, result: { error: expect.stringContaining(message) } });
    expect(reply.text).toBe(`after:tool:${tool}`);
    expect(app.runtime.status('hostile').agent).toMatchObject({ errors: 1, toolCalls: 1 });
    await stillServes();
  });

  it('a tool that never returns: cancel aborts its signal, the caller gets TaskCancelledError, the agent goes on', async () => {
    await boot();
    const pending = call('hostile', task('tool:hang', 'hang'), 8_000).catch((e: unknown) => e);
    while (hangSignal === undefined) await sleep(5);
    expect(await call('hostile', { type: 'status' })).toMatchObject({ running: 'hang', inFlightTools: 1 });
    expect(await app.runtime.cancel('hostile', 'hang')).toBe(true);
    expect(await pending).toBeInstanceOf(TaskCancelledError);
    expect(hangSignal.aborted).toBe(true);
    expect(await call('hostile', { type: 'status' })).toMatchObject({ running: null, inFlightTools: 0 });
    await stillServes();
  });

  it('a tool call naming an unknown tool sends the model an error naming it; the task completes', async () => {
    await boot();
    const reply = await call<TaskReply>('hostile', task('tool:noSuchTool', 'unk'), 8_000);
    expect(reply.toolCalls[0]).toMatchObject({ name: 'noSuchTool', result: { error: expect.stringContaining('noSuchTool') } });
    await stillServes();
  });

  it('a tool call with arguments that fail its zod schema: error sent to the model, tool not run', async () => {
    await boot();
    const reply = await call<TaskReply>('hostile', task('tool:typed', 'typed'), 8_000);
    expect(reply.toolCalls[0]).toMatchObject({ name: 'typed', result: { error: expect.any(String) } });
    await stillServes();
  });

  it('a tool call with arguments that are not JSON: error sent to the model, the task completes', async () => {
    await boot();
    const reply = await call<TaskReply>('hostile', task('raw:typed:{"n": ', 'rawjson'), 8_000);
    expect(reply.toolCalls).toHaveLength(1);
    expect(reply.toolCalls[0]).toMatchObject({ name: 'typed', result: { error: expect.any(String) } });
    // The args recorded are JSON data (the model's raw text, or null), never undefined-dropped.
    expect(JSON.parse(JSON.stringify(reply.toolCalls[0]))).toHaveProperty('args');
    await stillServes();
  });

  // ---- model server misbehaving -----------------------------------------------------------------

  it('HTTP 500: the caller gets a GenServerError naming the agent and the task; errors counts; the agent goes on', async () => {
    await boot();
    const error = await call('hostile', task('boom', 'b500')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenServerError);
    expect((error as Error).message).toContain('hostile');
    expect((error as Error).message).toContain('b500');
    expect(app.runtime.status('hostile').agent).toMatchObject({ errors: 1, running: null });
    await stillServes();
  });

  it('429 without Retry-After, and with a garbage Retry-After, waits the default backoff and retries', async () => {
    await server.close();
    const seen = new Map<string, number>();
    server = await startServer((request) => {
      const asked = userText(request);
      const n = seen.get(asked) ?? 0;
      seen.set(asked, n + 1);
      if (asked === 'noheader' && n === 0) return { status: 429 };
      if (asked === 'garbage' && n === 0) return { status: 429, retryAfter: 'soon-ish, maybe' };
      return script(request);
    });
    await boot();
    const t0 = performance.now();
    expect((await call<TaskReply>('hostile', task('noheader'), 8_000)).text).toBe('re: noheader');
    expect((await call<TaskReply>('hostile', task('garbage'), 8_000)).text).toBe('re: garbage');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1_900);
  });

  it('a provider that always answers 429 with Retry-After 0: a task can still be cancelled, requests are bounded', async () => {
    await boot();
    const pending = call('hostile', task('always429', 'spin'), 8_000).catch((e: unknown) => e);
    await sleep(300);
    const requests = server.requests.length;
    expect(await app.runtime.cancel('hostile', 'spin')).toBe(true);
    expect(await pending).toBeInstanceOf(TaskCancelledError);
    // 300 ms of Retry-After: 0 must not become a tight loop of hundreds of requests.
    expect(requests).toBeLessThan(20);
    await stillServes();
  });

  it('a model stream cut mid-way (socket destroyed): the caller gets a GenServerError, the agent goes on', async () => {
    await boot();
    const error = await call('hostile', task('cut', 'cut'), 8_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenServerError);
    expect((error as Error).message).toContain('cut');
    await stillServes();
  });

  it('a model stream that ends early without a finish: the task ends (answered or typed error), no hang', async () => {
    await boot();
    const outcome = await settle(call<TaskReply>('hostile', task('end', 'end'), 8_000));
    if ('error' in outcome) expect(outcome.error).toBeInstanceOf(GenServerError);
    else expect((outcome.value as TaskReply).id).toBe('end');
    await stillServes();
  });

  it('agents.maxRetryAfterMs that is not a duration (a string, >= 2^31) is refused at boot with InvalidOptionError', async () => {
    for (const maxRetryAfterMs of ['abc', 2 ** 31, -1]) {
      const booted = await settle(bootApp([Hostile, WeirdTools], { agents: { model: model(), maxRetryAfterMs: maxRetryAfterMs as never } }));
      if ('value' in booted) await (booted.value as TestApp).close();
      expect(booted).toMatchObject({ error: expect.any(InvalidOptionError) });
    }
  });

  it('agents.prices with strings where numbers belong is refused at boot with InvalidOptionError', async () => {
    const booted = await settle(bootApp([Hostile, WeirdTools], { agents: { model: model(), prices: { m1: { input: 'one' as never, output: 2 } } } }));
    if ('value' in booted) await (booted.value as TestApp).close();
    expect(booted).toMatchObject({ error: expect.any(InvalidOptionError) });
  });

  // ---- decorator misuse -------------------------------------------------------------------------

  it.each([
    ['busy', { busy: 'sometimes' }],
    ['journal', { journal: 'yes' }],
    ['system', { system: 42 }],
    ['tools', { tools: WeirdTools }],
    ['tools', { tools: [null] }],
    ['mcp', { mcp: [{ name: '', command: 'x' }] }],
    ['mcp', { mcp: 'server' }],
  ])('@Agent with a wrong %s throws InvalidOptionError naming it', (key, options) => {
    expect(() => Agent({ name: 'bad', ...(options as object) })).toThrow(InvalidOptionError);
    expect(() => Agent({ name: 'bad', ...(options as object) })).toThrow(key);
  });

  it('@Agent with a model that is not a LanguageModel (a number, null) throws InvalidOptionError', () => {
    expect(() => Agent({ name: 'bad', model: 42 as never })).toThrow(InvalidOptionError);
    expect(() => Agent({ name: 'bad', model: null as never })).toThrow(InvalidOptionError);
  });

  it('@Agent given a number or a boolean instead of a name or options throws InvalidOptionError', () => {
    expect(() => Agent(42 as never)).toThrow(InvalidOptionError);
    expect(() => Agent(true as never)).toThrow(InvalidOptionError);
  });

  it('@Agent options with a throwing getter throw InvalidOptionError, not the getter\'s error', () => {
    const options = { name: 'bad', get busy(): 'queue' { throw new Error('getter trap'); } };
    expect(() => Agent(options)).toThrow(InvalidOptionError);
  });

  it.each([
    ['null', null],
    ['a string', 'do things'],
    ['empty description', { description: '', parameters: noArgs }],
    ['numeric description', { description: 42, parameters: noArgs }],
    ['missing parameters', { description: 'x' }],
    ['string parameters', { description: 'x', parameters: 'z.object()' }],
    ['needsApproval a string', { description: 'x', parameters: noArgs, needsApproval: 'yes' }],
  ])('@Tool with %s throws InvalidOptionError', (_what, options) => {
    expect(() => Tool(options as never)).toThrow(InvalidOptionError);
  });

  it('@Tool with parameters that are an object but no schema ({}) throws InvalidOptionError', () => {
    expect(() => Tool({ description: 'x', parameters: {} as never })).toThrow(InvalidOptionError);
  });

  it('@Tool options with a throwing getter throw InvalidOptionError, not the getter\'s error', () => {
    const options = { get description(): string { throw new Error('getter trap'); }, parameters: noArgs };
    expect(() => Tool(options)).toThrow(InvalidOptionError);
  });

  it('@Tool on a getter (not a method) throws InvalidOptionError at decoration time', () => {
    const decorate = () => {
      class Holder {
        @Tool({ description: 'x', parameters: noArgs })
        get value() {
          return 1;
        }
      }
      return Holder;
    };
    expect(decorate).toThrow(InvalidOptionError);
  });

  // ---- replayAgent with garbage -----------------------------------------------------------------

  const init = { kind: 'init', state: null } as const;

  it.each([
    ['null', null],
    ['a string', 'journal'],
    ['entries not an array', { agent: 'x', entries: 'nope' }],
    ['empty entries', { agent: 'x', entries: [] }],
    ['first entry not init', { agent: 'x', entries: [{ kind: 'call', payload: {} }] }],
    ['an unknown kind', { agent: 'x', entries: [init, { kind: 'bogus', payload: {} }] }],
  ])('replayAgent with %s rejects with InvalidOptionError', async (_what, journal) => {
    await expect(replayAgent(Journaled, journal as never)).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('replayAgent with a null entry after init rejects with InvalidOptionError naming entries[1], not a TypeError', async () => {
    const error = await replayAgent(Journaled, { agent: 'x', entries: [init, null] } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toContain('entries[1]');
  });

  it('replayAgent with a cyclic or BigInt payload rejects with InvalidOptionError, not a TypeError', async () => {
    const cyclic: Record<string, unknown> = { type: 'status' };
    cyclic.self = cyclic;
    await expect(replayAgent(Journaled, { agent: 'x', entries: [init, { kind: 'call', payload: cyclic }] } as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(replayAgent(Journaled, { agent: 'x', entries: [init, { kind: 'call', payload: { type: 'status', n: 1n } }] } as never)).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('replayAgent with a journal whose entries getter throws rejects with InvalidOptionError', async () => {
    const journal = { agent: 'x', get entries(): never { throw new Error('trap'); } };
    await expect(replayAgent(Journaled, journal)).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('replayAgent with an init state that is not an agent state object (a string) rejects with InvalidOptionError', async () => {
    await expect(replayAgent(Journaled, { agent: 'x', entries: [{ kind: 'init', state: 'garbage' }] } as never)).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('replayAgent with a class that is not a function rejects with InvalidOptionError', async () => {
    await expect(replayAgent(42 as never, { agent: 'x', entries: [init] })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('replayAgent of hostile tasks (bad input, bad ids) mirrors the live refusals without throwing', async () => {
    const state = await replayAgent(Journaled, {
      agent: 'x',
      entries: [init, { kind: 'call', payload: { type: 'task', input: 42 } }, { kind: 'call', payload: { type: 'task', input: 'x', id: '' } }, { kind: 'call', payload: { type: 'cancel', taskId: 42 } }],
    });
    expect(state.running).toBeNull();
    expect(state.queue).toEqual([]);
  });
});
