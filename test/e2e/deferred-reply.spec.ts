import {
  CallTimeoutError,
  From,
  GenServer,
  GenServerProcess,
  HandleCall,
  HandleCast,
  noReply,
  ProcessCrashedError,
  ProcessStoppedError,
} from 'nestjs-genserver';
import { bootApp, sleep, type TestApp } from '../support/app.js';

/** The agent pattern: a call parks until a tool result arrives as another message. */
@GenServer('agent')
class Agent extends GenServerProcess<{ waiting: Map<string, From> }> {
  override init() {
    this.state = { waiting: new Map() };
  }
  @HandleCall('ask') ask(msg: { type: 'ask'; id: string }, from: From) {
    this.state.waiting.set(msg.id, from);
    return noReply();
  }
  @HandleCast('tool_result') toolResult(msg: { type: 'tool_result'; id: string; value: string }) {
    const from = this.state.waiting.get(msg.id);
    if (from) this.reply(from, { answer: msg.value });
    this.state.waiting.delete(msg.id);
  }
  @HandleCast('crash') crash() {
    throw new Error('lost the plot');
  }
  @HandleCall('ping') ping() {
    return 'pong';
  }
}

describe('7. deferred replies', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await bootApp([Agent]);
  });
  afterEach(() => t.close());

  it('answers a call later from another message\'s handler, and keeps serving meanwhile', async () => {
    const answer = t.runtime.call('agent', { type: 'ask', id: 'q1' });
    expect(await t.runtime.call('agent', { type: 'ping' })).toBe('pong');
    await t.runtime.cast('agent', { type: 'tool_result', id: 'q1', value: '42' });
    await expect(answer).resolves.toEqual({ answer: '42' });
  });

  it('still times out when the reply never comes, and drops a reply that comes too late', async () => {
    const answer = t.runtime.call('agent', { type: 'ask', id: 'q2' }, { timeout: 20 });
    await expect(answer).rejects.toBeInstanceOf(CallTimeoutError);
    await t.runtime.cast('agent', { type: 'tool_result', id: 'q2', value: 'late' });
    expect(await t.runtime.call('agent', { type: 'ping' })).toBe('pong');
  });

  it('fails deferred calls with ProcessCrashedError when the process crashes before answering', async () => {
    const answer = t.runtime.call('agent', { type: 'ask', id: 'q3' });
    await sleep(5);
    await t.runtime.cast('agent', { type: 'crash' });
    await expect(answer).rejects.toBeInstanceOf(ProcessCrashedError);
  });

  it('fails deferred calls with ProcessStoppedError when the process stops before answering', async () => {
    const answer = t.runtime.call('agent', { type: 'ask', id: 'q4' });
    await sleep(5);
    await t.runtime.stop('agent');
    await expect(answer).rejects.toBeInstanceOf(ProcessStoppedError);
  });
});
