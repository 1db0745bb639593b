import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { bootApp, type TestApp } from '../../support/app.js';
// @ts-expect-error a plain JavaScript fixture (a worker imports it as it is)
import { Traced } from '../../fixtures/isolation/isolated-processes.mjs';

// #12: the handler span of an isolated process is the caller's child, as for any process, and
// inside the handler, on the worker, that span is the active one.

const exporter = new InMemorySpanExporter();

describe('telemetry across the thread', () => {
  let app: TestApp;
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
  });
  afterAll(async () => {
    await app?.close();
    trace.disable();
    context.disable();
  });

  it('runs the handler under its span: the caller → handler span → what the worker sees', async () => {
    app = await bootApp([Traced]);
    await app.runtime.start(Traced, { name: 'traced' });
    const tracer = trace.getTracer('test');
    const { seen, caller } = await tracer.startActiveSpan('caller', async (span) => {
      const result = { seen: await app.runtime.call<{ traceId: string; spanId: string } | null>('traced', { type: 'where' }), caller: span.spanContext() };
      span.end();
      return result;
    });
    const handler = exporter.getFinishedSpans().find((s) => s.name === 'genserver.call' && s.attributes['genserver.process.name'] === 'traced')!;
    expect(handler).toBeDefined();
    expect(handler.parentSpanContext?.spanId).toBe(caller.spanId);
    expect(seen).toEqual({ traceId: caller.traceId, spanId: handler.spanContext().spanId });
  });
});
