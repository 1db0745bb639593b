import { Injectable } from '@nestjs/common';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { z } from 'zod';
import { Agent, AgentBusyError, AgentProcess, InvalidPayloadError, Tool, type AgentEvent, type TaskReply, type TreeNode } from 'nestjs-genserver';
import { lastArrayOf } from '../../support/collect.js';
import { bootApp, type TestApp } from '../../support/app.js';
import { lastUserText, startFakeModelServer, textOf, type FakeModelServer } from '../../support/fake-model-server.js';

// #13: an agent is a GenServer whose task is a call; the model steps and tools of a turn run as
// tasks of the process, against a real local OpenAI-compatible server over HTTP.

@Injectable()
class Weather {
  readonly asked: string[] = [];
  @Tool({ description: 'The weather in a city', parameters: z.object({ city: z.string() }) })
  weather({ city }: { city: string }) {
    this.asked.push(city);
    return { city, celsius: 21 };
  }
}

@Agent({ name: 'helper', tools: [Weather], system: 'You are terse.' })
class Helper extends AgentProcess {
  @Tool({ description: 'Adds two numbers', parameters: z.object({ a: z.number(), b: z.number() }) })
  add({ a, b }: { a: number; b: number }) {
    return a + b;
  }
  @Tool({ description: 'Always fails', parameters: z.object({}) })
  broken(): never {
    throw new Error('tool broke');
  }
}

describe('agents: tasks, tools and the conversation', () => {
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

  it('runs a task through tool calls on the agent and on a provider, and replies with the final text', async () => {
    server.script((_request, i) =>
      i === 0
        ? { toolCalls: [{ name: 'weather', args: { city: 'Paris' } }, { name: 'add', args: { a: 1, b: 2 } }], usage: { input: 30, output: 5 } }
        : { text: 'It is 21 °C in Paris, and 1 + 2 = 3.', usage: { input: 60, output: 12 } },
    );
    app = await bootApp([Weather, Helper], { agents: { model: model(), prices: { m1: { input: 1, output: 2 } } } });
    const reply = await app.runtime.call<TaskReply>('helper', { type: 'task', input: 'Weather in Paris? And 1+2?', id: 't1' }, { timeout: 10_000 });
    expect(reply).toEqual({
      id: 't1',
      text: 'It is 21 °C in Paris, and 1 + 2 = 3.',
      usage: { input: 90, output: 17 },
      toolCalls: [
        { id: 'call_0_0', name: 'weather', args: { city: 'Paris' }, result: { city: 'Paris', celsius: 21 } },
        { id: 'call_0_1', name: 'add', args: { a: 1, b: 2 }, result: 3 },
      ],
    });
    expect(app.app.get(Weather).asked).toEqual(['Paris']);
    // The second request carried the system prompt, the task, the tool calls and both results.
    const second = server.requests[1];
    expect(second.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'tool']);
    expect(textOf(second.messages[0])).toBe('You are terse.');
    expect(second.tools.sort()).toEqual(['add', 'broken', 'weather']);
    expect(second.messages.filter((m) => m.role === 'tool').map((m) => [m.tool_call_id, textOf(m)])).toEqual([
      ['call_0_0', '{"city":"Paris","celsius":21}'],
      ['call_0_1', '3'],
    ]);
    expect(app.runtime.status('helper').agent).toEqual({ queued: 0, inFlightTools: 0, tokens: { input: 90, output: 17 }, cost: (90 * 1 + 17 * 2) / 1e6, toolCalls: 2, errors: 0, running: null });
    const find = (node: TreeNode | undefined): TreeNode | undefined => (node?.name === 'helper' ? node : node?.children?.map(find).find(Boolean));
    expect(find(app.runtime.tree())?.agent).toMatchObject({ toolCalls: 2, tokens: { input: 90, output: 17 } });
  });

  it('keeps one conversation across tasks, and a tool that throws sends the model its error and counts', async () => {
    server.script((request) => {
      const asked = lastUserText(request);
      const lastRole = request.messages.at(-1)?.role;
      if (asked === 'break it' && lastRole === 'user') return { toolCalls: [{ name: 'broken', args: {} }] };
      return { text: `answer to ${asked}` };
    });
    app = await bootApp([Weather, Helper], { agents: { model: model() } });
    const first = await app.runtime.call<TaskReply>('helper', { type: 'task', input: 'hello' }, { timeout: 10_000 });
    expect(first.text).toBe('answer to hello');
    const second = await app.runtime.call<TaskReply>('helper', { type: 'task', input: 'break it' }, { timeout: 10_000 });
    expect(second.toolCalls).toEqual([{ id: expect.any(String), name: 'broken', args: {}, result: { error: 'tool broke' } }]);
    expect(second.text).toBe('answer to break it');
    const last = server.requests.at(-1)!;
    expect(last.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'tool']);
    expect(app.runtime.status('helper').agent).toMatchObject({ toolCalls: 1, errors: 1 });
  });

  it('answers a task id it has finished with the same reply, without a model request', async () => {
    server.script(() => ({ text: 'once' }));
    app = await bootApp([Weather, Helper], { agents: { model: model() } });
    const a = await app.runtime.call<TaskReply>('helper', { type: 'task', input: 'x', id: 'same' }, { timeout: 10_000 });
    const b = await app.runtime.call<TaskReply>('helper', { type: 'task', input: 'x', id: 'same' }, { timeout: 10_000 });
    expect(b).toEqual(a);
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a task that is not one with InvalidPayloadError, and goes on', async () => {
    server.script(() => ({ text: 'fine' }));
    app = await bootApp([Weather, Helper], { agents: { model: model() } });
    await expect(app.runtime.call('helper', { type: 'task', input: 42 })).rejects.toBeInstanceOf(InvalidPayloadError);
    await expect(app.runtime.call('helper', { type: 'task', input: 'ok', id: '' })).rejects.toBeInstanceOf(InvalidPayloadError);
    expect((await app.runtime.call<TaskReply>('helper', { type: 'task', input: 'ok' }, { timeout: 10_000 })).text).toBe('fine');
  });

  it('streams a task: numbered text deltas, tool calls and results, usage, then done', async () => {
    server.script((_r, i) => (i === 0 ? { toolCalls: [{ name: 'add', args: { a: 2, b: 3 } }], usage: { input: 5, output: 1 } } : { text: 'five', chunk: 2, usage: { input: 9, output: 2 } }));
    app = await bootApp([Weather, Helper], { agents: { model: model() } });
    const events: AgentEvent[] = await lastArrayOf(app.runtime.stream('helper', { type: 'task', input: '2+3', id: 's1' }));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.type)).toEqual(['usage', 'tool-call', 'tool-result', 'text-delta', 'text-delta', 'usage', 'done']);
    expect(events[2]).toMatchObject({ taskId: 's1', toolName: 'add', result: 5 });
    expect(events.at(-1)).toMatchObject({ type: 'done', text: 'five', usage: { input: 14, output: 3 } });
    // A late subscriber resuming after seq 4 gets the rest.
    const rest = await lastArrayOf(app.runtime.stream('helper', { type: 'task', input: '2+3', id: 's1' }, { afterSeq: 4 }));
    expect(rest.map((e) => e.seq)).toEqual([5, 6, 7]);
  });

  it("busy: 'reject' refuses a task during a turn with AgentBusyError", async () => {
    @Agent({ name: 'strict', busy: 'reject' })
    class Strict extends AgentProcess {}
    server.script(() => ({ text: 'slow answer', delayMs: 50 }));
    app = await bootApp([Strict], { agents: { model: model() } });
    const first = app.runtime.call<TaskReply>('strict', { type: 'task', input: 'a', id: 'a' }, { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const refused = await app.runtime.call('strict', { type: 'task', input: 'b', id: 'b' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AgentBusyError);
    expect(refused).toMatchObject({ process: 'strict', taskId: 'b', runningTaskId: 'a' });
    expect((await first).text).toBe('slow answer');
  });
});
