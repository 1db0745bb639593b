import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { HandleCast } from 'nestjs-genserver';
import { z } from 'zod';
import { Agent, AgentProcess, ProcessCrashedError, Tool, type AgentState, type TaskReply } from 'nestjs-genserver';
import { bootApp, nextEvent, sleep, type TestApp } from '../../support/app.js';
import { startFakeModelServer, type FakeModelServer } from '../../support/fake-model-server.js';

// #13: with a state store, an agent's conversation, queue and tool results are checkpointed; after a
// crash mid-tool it resumes the turn: recorded tool results are not run again, nor is the model step
// that asked for them.

const runs = { fast: 0, slow: 0 };
let release!: () => void;
let gate = new Promise<void>((resolve) => (release = resolve));

@Agent({ name: 'durable', stateStore: { type: 'memory' } })
class Durable extends AgentProcess {
  @Tool({ description: 'Fast', parameters: z.object({}) })
  fast() {
    runs.fast++;
    return 'fast done';
  }
  @Tool({ description: 'Slow', parameters: z.object({}) })
  async slow() {
    runs.slow++;
    await gate;
    return 'slow done';
  }
  @HandleCast('boom') boom(): never {
    throw new Error('crash mid-tool');
  }
}

describe('agents: durability', () => {
  let server: FakeModelServer;
  let app: TestApp;
  beforeEach(async () => {
    server = await startFakeModelServer((_request, i) => (i === 0 ? { toolCalls: [{ name: 'fast', args: {} }, { name: 'slow', args: {} }] } : { text: 'finished' }));
  });
  afterEach(async () => {
    await app?.close();
    await server.close();
  });

  it('resumes a turn after a crash mid-tool without re-running a recorded tool or the model step', async () => {
    app = await bootApp([Durable], { agents: { model: createOpenAICompatible({ name: 'fake', baseURL: server.url })('m') } });
    const first = app.runtime.call('durable', { type: 'task', input: 'go', id: 'd1' }, { timeout: 10_000 }).catch((e: unknown) => e);
    while (runs.slow === 0 || (app.runtime.status('durable').state as AgentState).running?.toolCalls.length !== 1) await sleep(5);
    const restarted = nextEvent(app.runtime.events$, (e) => e.type === 'restarted' && e.name === 'durable');
    await app.runtime.cast('durable', { type: 'boom' });
    expect(await first).toBeInstanceOf(ProcessCrashedError);
    await restarted;
    while (runs.slow < 2) await sleep(5); // the unfinished tool runs again in the new incarnation
    release();
    gate = Promise.resolve();
    // The same task id reaches the resumed task (it is not started again).
    const reply = await app.runtime.call<TaskReply>('durable', { type: 'task', input: 'go', id: 'd1' }, { timeout: 10_000 });
    expect(reply.text).toBe('finished');
    expect(reply.toolCalls.map((c) => [c.name, c.result])).toEqual([['fast', 'fast done'], ['slow', 'slow done']]);
    expect(runs).toEqual({ fast: 1, slow: 2 });
    expect(server.requests).toHaveLength(2); // the step that asked for the tools was not sent again
  });
});
