import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { firstValueFrom, filter } from 'rxjs';
import { z } from 'zod';
import { Agent, AgentProcess, Tool, type AgentEvent, type TaskReply } from 'nestjs-genserver';
import { bootApp, type TestApp } from '../../support/app.js';
import { startFakeModelServer, textOf, type FakeModelServer } from '../../support/fake-model-server.js';

// #13: a needsApproval tool parks the turn until approve/deny; two approvals of one request run
// the tool once.

@Agent({ name: 'cashier' })
class Cashier extends AgentProcess {
  static refunds: number[] = [];
  @Tool({ description: 'Refunds an order', parameters: z.object({ order: z.number() }), needsApproval: true })
  refund({ order }: { order: number }) {
    Cashier.refunds.push(order);
    return { refunded: order };
  }
}

describe('agents: human in the loop', () => {
  let server: FakeModelServer;
  let app: TestApp;
  beforeEach(async () => {
    server = await startFakeModelServer((request) =>
      request.messages.at(-1)?.role === 'tool' ? { text: `done: ${textOf(request.messages.at(-1)!)}` } : { toolCalls: [{ id: 'call_r', name: 'refund', args: { order: 7 } }] },
    );
  });
  afterEach(async () => {
    await app?.close();
    await server.close();
  });

  async function parked(id: string): Promise<{ events: AgentEvent[]; request: Extract<AgentEvent, { type: 'approval-request' }> }> {
    const events: AgentEvent[] = [];
    const stream = app.runtime.stream('cashier', { type: 'task', input: 'refund order 7', id });
    stream.subscribe((e) => events.push(e));
    const request = (await firstValueFrom(stream.pipe(filter((e) => e.type === 'approval-request')))) as Extract<AgentEvent, { type: 'approval-request' }>;
    return { events, request };
  }

  it('parks the turn, and of two concurrent approvals one resumes it: the tool runs once', async () => {
    Cashier.refunds = [];
    app = await bootApp([Cashier], { agents: { model: createOpenAICompatible({ name: 'fake', baseURL: server.url })('m') } });
    const reply = app.runtime.call<TaskReply>('cashier', { type: 'task', input: 'refund order 7', id: 'r1' }, { timeout: 10_000 });
    const { request } = await parked('r1');
    expect(request).toMatchObject({ toolCallId: 'call_r', toolName: 'refund', args: { order: 7 } });
    expect(app.runtime.status('cashier').agent).toMatchObject({ running: 'r1', toolCalls: 0 });
    const answers = await Promise.all([
      app.runtime.call('cashier', { type: 'approve', approvalId: request.approvalId }),
      app.runtime.call('cashier', { type: 'approve', approvalId: request.approvalId }),
    ]);
    expect(answers).toEqual([{ ok: true }, { ok: false }]);
    expect((await reply).text).toBe('done: {"refunded":7}');
    expect(await app.runtime.call('cashier', { type: 'deny', approvalId: request.approvalId })).toEqual({ ok: false });
    expect(Cashier.refunds).toEqual([7]);
    expect(app.runtime.status('cashier').agent).toMatchObject({ toolCalls: 1, errors: 0 });
  });

  it('deny runs nothing and tells the model { denied: true }', async () => {
    app = await bootApp([Cashier], { agents: { model: createOpenAICompatible({ name: 'fake', baseURL: server.url })('m') } });
    const reply = app.runtime.call<TaskReply>('cashier', { type: 'task', input: 'refund order 7', id: 'r2' }, { timeout: 10_000 });
    const { request } = await parked('r2');
    expect(await app.runtime.call('cashier', { type: 'deny', approvalId: request.approvalId })).toEqual({ ok: true });
    expect(await app.runtime.call('cashier', { type: 'approve', approvalId: request.approvalId })).toEqual({ ok: false });
    const done = await reply;
    expect(done.text).toBe('done: {"denied":true}');
    expect(done.toolCalls).toEqual([{ id: 'call_r', name: 'refund', args: { order: 7 }, result: { denied: true } }]);
    expect(app.runtime.status('cashier').agent).toMatchObject({ toolCalls: 0 });
    expect(Cashier.refunds).toEqual([7]); // only the first test's
  });
});
