import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import http from 'node:http';
import request from 'supertest';
import { startTelemetry, type SampleTelemetry } from '../../../sample/telemetry.js';
import { sleep } from '../../support/app.js';

/**
 * The sample's own OpenTelemetry setup (`@opentelemetry/sdk-node` with the HTTP instrumentation),
 * with an in-memory exporter in place of the console: one request is one trace from the HTTP server
 * span through every process it reaches.
 */
describe('sample app traced with sdk-node', () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: SampleTelemetry;
  let app: INestApplication;

  beforeAll(async () => {
    telemetry = startTelemetry({ spanProcessors: [new SimpleSpanProcessor({ exporter })], metricReaders: [] });
    // Under Node, the instrumentation patches \`http\` through a require hook as it loads. Jest loads
    // modules through its own loader, which that hook never sees: apply the same patch here.
    for (const definition of (telemetry.instrumentations[0] as InstrumentationBase).getModuleDefinitions()) {
      if (definition.name !== 'http') continue;
      definition.moduleExports = http;
      definition.patch?.(http);
    }
    // As in main.ts: the app's modules load after the SDK has started.
    const { AppModule } = await import('../../../sample/app.module.js');
    app = (await Test.createTestingModule({ imports: [AppModule] }).compile()).createNestApplication({ logger: false });
    await app.init();
    await sleep(1100); // the runtime looks for a registered SDK once a second
  });
  afterAll(async () => {
    await app.close();
    await telemetry.stop();
  });

  it('POST /work: HTTP server span → worker → rate_limiter and cache, in one trace', async () => {
    exporter.reset();
    await request(app.getHttpServer()).post('/work').send({ text: 'traced' }).expect(200);
    await sleep(50);
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER && !s.name.startsWith('genserver.'));
    expect(server).toBeDefined();
    const callTo = (process: string) =>
      spans.filter((s) => s.name === 'genserver.call' && s.attributes['genserver.process.name'] === process);
    const [worker] = callTo('worker');
    const [limiter] = callTo('rate_limiter');
    const cacheCalls = callTo('cache');
    expect(worker).toBeDefined();
    expect(limiter).toBeDefined();
    expect(cacheCalls.length).toBeGreaterThanOrEqual(1);
    // The worker's span descends from the request's server span; the processes it calls from its handler are its children.
    expect(ancestorsOf(worker!, spans)).toContain(server!.spanContext().spanId);
    expect(limiter!.parentSpanContext?.spanId).toBe(worker!.spanContext().spanId);
    const cacheGet = cacheCalls.find((s) => s.attributes['genserver.message.type'] === 'get')!;
    expect(cacheGet.parentSpanContext?.spanId).toBe(worker!.spanContext().spanId);
    expect(new Set([server!, worker!, limiter!, cacheGet].map((s) => s.spanContext().traceId)).size).toBe(1);
    // The tool's result comes back on a timer: its span starts a trace of its own, linked to the worker's.
    const [toolResult] = spans.filter((s) => s.name === 'genserver.info' && s.attributes['genserver.message.type'] === 'tool_result');
    expect(toolResult?.links.map((l) => l.context.spanId)).toEqual([worker!.spanContext().spanId]);
  });
});

/** Span ids from `span`'s parent up to the root, as far as the finished spans reach. */
function ancestorsOf(span: ReadableSpan, spans: readonly ReadableSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const chain: string[] = [];
  for (let parent = span.parentSpanContext?.spanId; parent !== undefined; parent = byId.get(parent)?.parentSpanContext?.spanId) {
    chain.push(parent);
  }
  return chain;
}
