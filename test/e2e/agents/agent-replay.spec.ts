import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { z } from 'zod';
import { Agent, AgentProcess, InvalidOptionError, replayAgent, Tool, type AgentState, type TaskReply } from 'nestjs-genserver';
import { bootApp, sleep, type TestApp } from '../../support/app.js';
import { lastUserText, startFakeModelServer, type FakeModelServer } from '../../support/fake-model-server.js';

// #13: with journal: true every inbound message is recorded, model responses and tool results
// included; replayAgent rebuilds the very state from it with no network call and no tool run.

let lookups = 0;

@Agent({ name: 'journaled', journal: true })
class Journaled extends AgentProcess {
  @Tool({ description: 'Looks up a word', parameters: z.object({ word: z.string() }) })
  lookup({ word }: { word: string }) {
    lookups++;
    return { word, length: word.length };
  }
  @Tool({ description: 'Needs a yes', parameters: z.object({}), needsApproval: true })
  risky() {
    return 'did it';
  }
}

@Agent({ name: 'plain' })
class Plain extends AgentProcess {}

describe('agents: journal and replay', () => {
  let server: FakeModelServer;
  let app: TestApp;
  beforeEach(async () => {
    server = await startFakeModelServer((request) => {
      const asked = lastUserText(request);
      const last = request.messages.at(-1)!;
      if (last.role === 'user' && asked.startsWith('look')) return { toolCalls: [{ name: 'lookup', args: { word: asked.slice(5) } }], usage: { input: 11, output: 3 } };
      if (last.role === 'user' && asked === 'risky') return { toolCalls: [{ name: 'risky', args: {} }] };
      if (last.role === 'user' && asked === 'long') return { text: 'y'.repeat(300), chunk: 1, delayMs: 5, noUsage: true };
      return { text: `re: ${asked}`, usage: { input: 7, output: 2 } };
    });
  });
  afterEach(async () => {
    await app?.close();
    await server.close();
  });

  it('replays the journal to a state deep-equal to the live one, with no request and no tool run', async () => {
    app = await bootApp([Journaled], { agents: { model: createOpenAICompatible({ name: 'fake', baseURL: server.url, includeUsage: true })('m'), prices: { m: { input: 3, output: 15 } } } });
    const call = (input: string, id?: string) => app.runtime.call<TaskReply>('journaled', { type: 'task', input, ...(id ? { id } : {}) }, { timeout: 10_000 });
    await call('hello');
    await call('look tree');
    // A cancelled turn (its usage so far counts), an approval, and an idempotent repeat.
    const long = call('long', 'L').catch((e: unknown) => e);
    await sleep(100);
    await app.runtime.cancel('journaled', 'L');
    await long;
    const risky = call('risky', 'R');
    while ((app.runtime.status('journaled').state as AgentState).running?.approvals === undefined || Object.keys((app.runtime.status('journaled').state as AgentState).running!.approvals).length === 0) await sleep(5);
    const approvalId = Object.keys((app.runtime.status('journaled').state as AgentState).running!.approvals)[0];
    await app.runtime.call('journaled', { type: 'approve', approvalId });
    await risky;
    await call('hello', 'R');
    await sleep(50); // the cancelled step's usage message
    await app.runtime.call('journaled', { type: 'status' });

    const journal = await app.runtime.journal('journaled');
    const live = app.runtime.status('journaled').state as AgentState;
    const requests = server.requests.length;
    const runs = lookups;
    expect(live.counters.tokens.output).toBeGreaterThan(0);
    const replayed = await replayAgent(Journaled, journal);
    expect(replayed).toEqual(JSON.parse(JSON.stringify(live)));
    expect(server.requests.length).toBe(requests);
    expect(lookups).toBe(runs);
    expect(journal.entries.filter((e) => e.kind === 'info').length).toBeGreaterThan(4); // model steps and tool results
  });

  it('refuses a journal of a process that keeps none, and a journal that is not one', async () => {
    app = await bootApp([Plain], { agents: { model: createOpenAICompatible({ name: 'fake', baseURL: server.url })('m') } });
    await expect(app.runtime.journal('plain')).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(replayAgent(Journaled, { agent: 'x', entries: [] })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(replayAgent(Journaled, null as never)).rejects.toBeInstanceOf(InvalidOptionError);
  });
});
