import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { context, metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { z } from 'zod';
import { Agent, AgentProcess, Tool, type TaskReply } from 'nestjs-genserver';
import { bootApp, sleep, type TestApp } from '../../support/app.js';
import { startFakeModelServer, type FakeModelServer } from '../../support/fake-model-server.js';

// #13: agents' spans and metrics follow OpenTelemetry's GenAI semantic conventions.

class TestReader extends MetricReader {
  protected onShutdown() {
    return Promise.resolve();
  }
  protected onForceFlush() {
    return Promise.resolve();
  }
}

@Agent({ name: 'traced' })
class Traced extends AgentProcess {
  @Tool({ description: 'Adds', parameters: z.object({ a: z.number(), b: z.number() }) })
  add({ a, b }: { a: number; b: number }) {
    return a + b;
  }
}

describe('agents: OpenTelemetry GenAI spans and metrics', () => {
  const exporter = new InMemorySpanExporter();
  const reader = new TestReader();
  let server: FakeModelServer;
  let app: TestApp;
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  });
  afterAll(() => {
    trace.disable();
    metrics.disable();
    context.disable();
  });
  beforeEach(async () => {
    server = await startFakeModelServer((_r, i) => (i === 0 ? { toolCalls: [{ name: 'add', args: { a: 1, b: 2 } }], usage: { input: 20, output: 4 } } : { text: 'three', usage: { input: 30, output: 2 } }));
  });
  afterEach(async () => {
    await app?.close();
    await server.close();
  });

  it('a task makes invoke_agent → chat and execute_tool spans, token usage and tool counters', async () => {
    app = await bootApp([Traced], { agents: { model: createOpenAICompatible({ name: 'fake', baseURL: server.url, includeUsage: true })('m1'), prices: { m1: { input: 1000, output: 1000 } } } });
    await sleep(1100); // the runtime notices the SDK within a second
    const reply = await trace.getTracer('test').startActiveSpan('request', async (request) => {
      const done = await app.runtime.call<TaskReply>('traced', { type: 'task', input: '1+2' }, { timeout: 10_000 });
      request.end();
      return done;
    });
    expect(reply.text).toBe('three');
    await sleep(20);
    const spans = exporter.getFinishedSpans();
    const named = (name: string) => spans.filter((s) => s.name === name);
    const parent = (span: ReadableSpan) => span.parentSpanContext?.spanId;
    const [invoke] = named('invoke_agent traced');
    const chats = named('chat m1');
    const [tool] = named('execute_tool add');
    expect(chats).toHaveLength(2);
    for (const span of [...chats, tool]) expect(parent(span)).toBe(invoke.spanContext().spanId);
    // The task arrived in a call span, child of the caller's: the agent's span hangs under it.
    const call = spans.find((s) => s.spanContext().spanId === parent(invoke))!;
    expect(call.attributes['genserver.message.type']).toBe('task');
    expect(new Set([invoke, call, ...chats, tool].map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(invoke.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'traced', 'gen_ai.usage.input_tokens': 50, 'gen_ai.usage.output_tokens': 6, 'gen_ai.provider.name': 'fake.chat', 'gen_ai.request.model': 'm1' });
    expect(chats[0].attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 20, 'gen_ai.usage.output_tokens': 4 });
    expect(tool.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'add', 'gen_ai.tool.call.id': 'call_0_0' });
    expect(invoke.status.code).not.toBe(SpanStatusCode.ERROR);

    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const metric = (name: string) => all.find((m) => m.descriptor.name === name);
    const tokens = metric('gen_ai.client.token.usage')!.dataPoints as DataPoint<Histogram>[];
    const sum = (type: string) => tokens.filter((p) => p.attributes['gen_ai.token.type'] === type).reduce((n, p) => n + p.value.sum!, 0);
    expect([sum('input'), sum('output')]).toEqual([50, 6]);
    expect(metric('genserver.agent.tool_calls')!.dataPoints.reduce((n, p) => n + (p.value as number), 0)).toBe(1);
    expect(metric('genserver.agent.cost')!.dataPoints.reduce((n, p) => n + (p.value as number), 0)).toBeCloseTo((50 + 6) * 1000 / 1e6, 9);
    expect(metric('gen_ai.client.operation.duration')!.dataPoints.length).toBeGreaterThan(0);
  });
});
