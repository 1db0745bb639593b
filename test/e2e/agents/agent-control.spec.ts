import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { z } from 'zod';
import { Agent, AgentProcess, GenServer, GenServerProcess, HandleCall, TaskCancelledError, Tool, type AgentEvent, type AgentState, type TaskReply } from 'nestjs-genserver';
import { bootApp, sleep, type TestApp } from '../../support/app.js';
import { lastArrayOf } from '../../support/collect.js';
import { lastUserText, startFakeModelServer, throttledOnce, textOf, type FakeModelServer } from '../../support/fake-model-server.js';

// #13: a turn never holds the mailbox: the agent answers status and cancel meanwhile, queues or
// interrupts by policy, and a 429 holds every agent of the provider back for its Retry-After.

@Agent({ name: 'queued' })
class Queued extends AgentProcess {}

@Agent({ name: 'interrupting', busy: 'interrupt' })
class Interrupting extends AgentProcess {}

@Agent({ name: 'other' })
class Other extends AgentProcess {}

@Agent({ name: 'refusing', busy: 'reject' })
class Refusing extends AgentProcess {}

let toolSignal: AbortSignal | undefined;

/** Its tool's name is one the agent machinery might use for itself: it must not matter. */
@Agent({ name: 'waiter' })
class Waiter extends AgentProcess {
  @Tool({ description: 'Waits until cancelled', parameters: z.object({}) })
  wait(_args: unknown, { abortSignal }: { abortSignal: AbortSignal }) {
    toolSignal = abortSignal;
    return new Promise((_resolve, reject) => abortSignal.addEventListener('abort', () => reject(abortSignal.reason)));
  }
}

/** A plain process that asks an agent as it would ask any process. */
@GenServer('asker')
class Asker extends GenServerProcess {
  @HandleCall('ask') ask(msg: { input: string }) {
    return this.call<TaskReply>('queued', { type: 'task', input: msg.input }, { timeout: 10_000 });
  }
}

describe('agents: turns, policies, cancel and rate limits', () => {
  let server: FakeModelServer;
  let app: TestApp;
  const model = () => createOpenAICompatible({ name: 'fake', baseURL: server.url, includeUsage: true })('m1');

  beforeEach(async () => {
    server = await startFakeModelServer();
  });
  afterEach(async () => {
    await app?.close();
    await server.close();
  });

  it('100 concurrent tasks to one agent run one turn at a time, in arrival order, each answered with its own reply', async () => {
    server.script((request) => ({ text: `re: ${lastUserText(request)}`, chunk: 3 }));
    app = await bootApp([Queued], { agents: { model: model() } });
    const inputs = Array.from({ length: 100 }, (_, i) => `task ${i}`);
    const replies = await Promise.all(inputs.map((input, i) => app.runtime.call<TaskReply>('queued', { type: 'task', input, id: `t${i}` }, { timeout: 30_000 })));
    expect(replies.map((r) => r.text)).toEqual(inputs.map((input) => `re: ${input}`));
    expect(server.requests.map(lastUserText)).toEqual(inputs);
    const state = app.runtime.status('queued').state as AgentState;
    const transcript = state.conversation.map((m) => `${m.role}:${typeof m.content === 'string' ? m.content : (m.content as { text?: string }[]).map((p) => p.text).join('')}`);
    expect(transcript).toEqual(inputs.flatMap((input) => [`user:${input}`, `assistant:re: ${input}`]));
  }, 60_000);

  it('answers status during a turn, and cancel closes the model stream within 200 ms and counts the usage so far', async () => {
    server.script(() => ({ text: 'x'.repeat(400), chunk: 1, delayMs: 10, noUsage: true }));
    app = await bootApp([Queued], { agents: { model: model() } });
    const events: AgentEvent[] = [];
    let ended!: () => void;
    const finished = new Promise<void>((resolve) => (ended = resolve));
    app.runtime.stream('queued', { type: 'task', input: 'talk', id: 'long' }).subscribe({ next: (e) => events.push(e), complete: () => ended() });
    while (events.filter((e) => e.type === 'text-delta').length < 5) await sleep(5);
    // The mailbox is free: status answers while the model streams.
    expect(await app.runtime.call('queued', { type: 'status' })).toMatchObject({ running: 'long', queued: 0 });
    const cancelledAt = performance.now();
    expect(await app.runtime.cancel('queued', 'long')).toBe(true);
    await finished;
    await sleep(50);
    const request = server.requests[0];
    expect(request.aborted).toBe(true);
    expect(request.closedAt! - cancelledAt).toBeLessThan(200);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ type: 'error', error: { name: 'TaskCancelledError' } });
    const deltas = events.filter((e) => e.type === 'text-delta').length;
    expect(app.runtime.status('queued').agent).toMatchObject({ running: null, tokens: { input: 0, output: deltas } });
    expect(await app.runtime.cancel('queued')).toBe(false); // nothing runs now
  });

  it('a caller of a cancelled task gets TaskCancelledError; a queued task can be cancelled before it starts', async () => {
    server.script((request) => ({ text: `re: ${lastUserText(request)}`, delayMs: 20 }));
    app = await bootApp([Queued], { agents: { model: model() } });
    const a = app.runtime.call('queued', { type: 'task', input: 'a', id: 'a' }, { timeout: 10_000 }).catch((e: unknown) => e);
    const b = app.runtime.call('queued', { type: 'task', input: 'b', id: 'b' }, { timeout: 10_000 }).catch((e: unknown) => e);
    const c = app.runtime.call<TaskReply>('queued', { type: 'task', input: 'c', id: 'c' }, { timeout: 10_000 });
    await sleep(30);
    expect(await app.runtime.cancel('queued', 'b')).toBe(true);
    expect(await app.runtime.cancel('queued', 'a')).toBe(true);
    expect(await a).toBeInstanceOf(TaskCancelledError);
    expect(await b).toMatchObject({ name: 'TaskCancelledError', process: 'queued', taskId: 'b' });
    expect((await c).text).toBe('re: c');
    expect(server.requests.map(lastUserText)).toEqual(['a', 'c']);
    // The cancelled turn left the conversation well formed: the next request has a, c in order.
    expect(server.requests[1].messages.filter((m) => m.role === 'user').map(textOf)).toEqual(['a', 'c']);
  });

  it("busy: 'interrupt' cancels the running task for the new one", async () => {
    server.script((request) => ({ text: `re: ${lastUserText(request)}`, delayMs: lastUserText(request) === 'first' ? 100 : 0 }));
    app = await bootApp([Interrupting], { agents: { model: model() } });
    const first = app.runtime.call('interrupting', { type: 'task', input: 'first', id: 'first' }, { timeout: 10_000 }).catch((e: unknown) => e);
    await sleep(150);
    const second = await app.runtime.call<TaskReply>('interrupting', { type: 'task', input: 'second', id: 'second' }, { timeout: 10_000 });
    expect(second.text).toBe('re: second');
    expect(await first).toMatchObject({ name: 'TaskCancelledError', taskId: 'first', reason: 'interrupted by task second' });
    expect(server.requests[0].aborted).toBe(true);
  });

  it("a 429 holds back every agent of that provider until its Retry-After, then the request is retried", async () => {
    server.script(throttledOnce('1', (request) => ({ text: `re: ${lastUserText(request)}` })));
    app = await bootApp([Queued, Other], { agents: { model: model() } });
    const a = app.runtime.call<TaskReply>('queued', { type: 'task', input: 'a' }, { timeout: 10_000 });
    await sleep(100);
    const b = app.runtime.call<TaskReply>('other', { type: 'task', input: 'b' }, { timeout: 10_000 });
    expect([(await a).text, (await b).text]).toEqual(['re: a', 're: b']);
    const [limited, ...after] = server.requests;
    expect(after).toHaveLength(2);
    for (const request of after) expect(request.at - limited.at).toBeGreaterThanOrEqual(950);
  });

  it('caps a long Retry-After at maxRetryAfterMs', async () => {
    server.script(throttledOnce('120', () => ({ text: 'ok' })));
    app = await bootApp([Queued], { agents: { model: model(), maxRetryAfterMs: 300 } });
    const reply = await app.runtime.call<TaskReply>('queued', { type: 'task', input: 'a' }, { timeout: 10_000 });
    expect(reply.text).toBe('ok');
    expect(server.requests[1].at - server.requests[0].at).toBeGreaterThanOrEqual(280);
  });

  it('cancel aborts the running tool through its abortSignal (a tool may be named like anything)', async () => {
    server.script((request) => (request.messages.at(-1)?.role === 'user' ? { toolCalls: [{ name: 'wait', args: {} }] } : { text: 'never' }));
    app = await bootApp([Waiter], { agents: { model: model() } });
    const task = app.runtime.call('waiter', { type: 'task', input: 'wait', id: 'w' }, { timeout: 10_000 }).catch((e: unknown) => e);
    while (toolSignal === undefined) await sleep(5);
    expect(app.runtime.status('waiter').agent).toMatchObject({ inFlightTools: 1 });
    expect(await app.runtime.cancel('waiter')).toBe(true);
    expect(toolSignal.aborted).toBe(true);
    expect(await task).toBeInstanceOf(TaskCancelledError);
    await sleep(20);
    expect(app.runtime.status('waiter').agent).toMatchObject({ inFlightTools: 0, running: null });
  });

  it('a process asks an agent with this.call, as it would any process', async () => {
    server.script((request) => ({ text: `re: ${lastUserText(request)}` }));
    app = await bootApp([Queued, Asker], { agents: { model: model() } });
    const reply = await app.runtime.call<TaskReply>('asker', { type: 'ask', input: 'from a process' }, { timeout: 10_000 });
    expect(reply.text).toBe('re: from a process');
  });

  it('a streamed task refused as busy does not spoil its id: the same id streams its events once accepted', async () => {
    server.script((request) => ({ text: `re: ${lastUserText(request)}`, delayMs: lastUserText(request) === 'first' ? 30 : 0 }));
    app = await bootApp([Refusing], { agents: { model: model() } });
    const first = app.runtime.call('refusing', { type: 'task', input: 'first', id: 'f' }, { timeout: 10_000 });
    await sleep(20);
    const refused = await lastArrayOf(app.runtime.stream('refusing', { type: 'task', input: 'second', id: 'again' }));
    expect(refused).toEqual([expect.objectContaining({ seq: 1, type: 'error', error: expect.objectContaining({ name: 'AgentBusyError' }) })]);
    await first;
    const accepted = await lastArrayOf(app.runtime.stream('refusing', { type: 'task', input: 'second', id: 'again' }));
    expect(accepted.at(-1)).toMatchObject({ type: 'done', text: 're: second' });
    expect(accepted.map((e) => e.seq)).toEqual(accepted.map((_, i) => i + 1));
  });

  it('priority: a queued task with a higher priority runs sooner, and a priority message moves one', async () => {
    server.script((request) => ({ text: `re: ${lastUserText(request)}`, delayMs: lastUserText(request) === 'first' ? 50 : 0 }));
    app = await bootApp([Queued], { agents: { model: model() } });
    const call = (input: string, priority?: number) => app.runtime.call<TaskReply>('queued', { type: 'task', input, id: input, ...(priority === undefined ? {} : { priority }) }, { timeout: 10_000 });
    const all = [call('first'), call('low'), call('normal', 0), call('urgent', 5), call('later')];
    await sleep(20);
    expect(await app.runtime.call('queued', { type: 'priority', taskId: 'later', priority: 3 })).toEqual({ ok: true });
    expect(await app.runtime.call('queued', { type: 'priority', taskId: 'nope', priority: 3 })).toEqual({ ok: false });
    await expect(app.runtime.call('queued', { type: 'priority', taskId: 'low', priority: 'high' })).rejects.toThrow(/priority/);
    await Promise.all(all);
    expect(server.requests.map(lastUserText)).toEqual(['first', 'urgent', 'later', 'low', 'normal']);
  });

  it('context: sent during a turn, a system message joins the conversation and later model steps are sent it', async () => {
    server.script((request) => (request.messages.at(-1)?.role === 'user' && lastUserText(request) === 'go' ? { toolCalls: [{ name: 'wait', args: {} }] } : { text: 'ok' }));
    toolSignal = undefined;
    app = await bootApp([Waiter], { agents: { model: model() } });
    const task = app.runtime.call('waiter', { type: 'task', input: 'go', id: 'c' }, { timeout: 10_000 }).catch((e: unknown) => e);
    while (toolSignal === undefined) await sleep(5);
    expect(await app.runtime.call('waiter', { type: 'context', text: 'The user is a premium customer.' })).toEqual({ ok: true });
    await expect(app.runtime.call('waiter', { type: 'context', text: 42 })).rejects.toThrow(/context/);
    await app.runtime.cancel('waiter');
    await task;
    const state = app.runtime.status('waiter').state as AgentState;
    expect(state.conversation.filter((m) => m.role === 'system')).toEqual([{ role: 'system', content: 'The user is a premium customer.' }]);
    await app.runtime.call('waiter', { type: 'task', input: 'next' }, { timeout: 10_000 });
    expect(server.requests.at(-1)!.messages.filter((m) => m.role === 'system').map(textOf)).toEqual(['The user is a premium customer.']);
  });
});
