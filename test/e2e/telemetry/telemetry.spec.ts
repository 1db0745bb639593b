import { Controller, Get, Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { context, metrics, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { GenServer, GenServerModule, GenServerProcess, GenServerRuntime, HandleCall, HandleCast, HandleInfo } from 'nestjs-genserver';
import { sleep } from '../../support/app.js';

/** Collects on demand: the test reads metrics when it wants them. */
class TestReader extends MetricReader {
  protected onShutdown() {
    return Promise.resolve();
  }
  protected onForceFlush() {
    return Promise.resolve();
  }
}

const exporter = new InMemorySpanExporter();
const reader = new TestReader();
const tracer = () => trace.getTracer('test');

@GenServer('a')
class A extends GenServerProcess {
  @HandleCall('relay') relay() {
    return this.call('b', { type: 'echo', text: 'hi' });
  }
  @HandleCall('later') later() {
    this.sendAfter(5, { type: 'tick' });
    return 'scheduled';
  }
  @HandleInfo('tick') tick() {}
  @HandleCast('note') note() {}
  @HandleCast('crash') crash() {
    throw new Error('bad tool output');
  }
  @HandleCall('slow') async slow() {
    await sleep(100);
  }
}

@GenServer({ name: 'b', handlerTimeoutMs: 20 })
class B extends GenServerProcess {
  @HandleCall('echo') echo(msg: { text: string }) {
    return msg.text;
  }
  @HandleCall('slow') async slow() {
    await sleep(100);
  }
}

@Controller()
class ChainController {
  constructor(private readonly runtime: GenServerRuntime) {}
  @Get('chain') chain() {
    return this.runtime.call('a', { type: 'relay' });
  }
}

@Module({ imports: [GenServerModule.forRoot({ onRootFailure: 'keep', maxRestarts: 100 })], providers: [A, B], controllers: [ChainController] })
class TracedApp implements NestModule {
  // Stands in for HTTP auto-instrumentation: a server span around each request.
  configure(consumer: MiddlewareConsumer) {
    consumer
      .apply((req: { method: string; url: string }, res: { on(event: string, f: () => void): void }, next: () => void) => {
        const span = tracer().startSpan(`HTTP ${req.method} ${req.url}`, { kind: SpanKind.SERVER });
        res.on('finish', () => span.end());
        context.with(trace.setSpan(context.active(), span), next);
      })
      .forRoutes(ChainController);
  }
}

const spansNamed = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('OpenTelemetry', () => {
  let app: INestApplication;
  let runtime: GenServerRuntime;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    app = (await Test.createTestingModule({ imports: [TracedApp] }).compile()).createNestApplication({ logger: false });
    await app.init();
    runtime = app.get(GenServerRuntime);
  });
  afterAll(async () => {
    await app.close();
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it('makes one trace of HTTP request → controller → process a → call to b', async () => {
    await request(app.getHttpServer()).get('/chain').expect(200, 'hi');
    await sleep(10); // the server span ends on the response's 'finish'
    const [http] = spansNamed('HTTP GET /chain');
    const calls = spansNamed('genserver.call');
    const a = calls.find((s) => s.attributes['genserver.process.name'] === 'a')!;
    const b = calls.find((s) => s.attributes['genserver.process.name'] === 'b')!;
    expect(parentOf(a)).toBe(http!.spanContext().spanId);
    expect(parentOf(b)).toBe(a.spanContext().spanId);
    expect(new Set([http, a, b].map((s) => s!.spanContext().traceId)).size).toBe(1);
    expect(a.kind).toBe(SpanKind.SERVER);
    expect(b.attributes).toMatchObject({
      'genserver.process.name': 'b',
      'genserver.process.type': 'B',
      'genserver.message.kind': 'call',
      'genserver.message.type': 'echo',
      'genserver.mailbox.length': 1,
      'genserver.outcome': 'ok',
      'genserver.restarts': 0,
    });
    expect(b.attributes['genserver.queue.wait_ms']).toBeGreaterThanOrEqual(0);
  });

  it('gives a cast a consumer span under the sender, and a timer message a link to the span that scheduled it', async () => {
    await tracer().startActiveSpan('job', async (job) => {
      await runtime.cast('a', { type: 'note' });
      await runtime.call('a', { type: 'later' });
      job.end();
    });
    await sleep(30);
    const [job] = spansNamed('job');
    const [cast] = spansNamed('genserver.cast');
    expect(cast!.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(cast!)).toBe(job!.spanContext().spanId);
    const scheduler = spansNamed('genserver.call').find((s) => s.attributes['genserver.message.type'] === 'later')!;
    const [info] = spansNamed('genserver.info');
    expect(parentOf(info!)).toBeUndefined();
    expect(info!.links.map((l) => l.context.spanId)).toEqual([scheduler.spanContext().spanId]);
  });

  it('records a crash and a watchdog timeout on the span, and spans for restart and init', async () => {
    await tracer().startActiveSpan('earlier job', async (job) => {
      await runtime.cast('a', { type: 'note' }); // wakes a's mailbox inside this span
      job.end();
    });
    await runtime.cast('a', { type: 'crash' });
    await runtime.call('b', { type: 'slow' }).catch(() => undefined);
    await sleep(30);
    const crashed = spansNamed('genserver.cast').find((s) => s.attributes['genserver.message.type'] === 'crash')!;
    expect(crashed.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'bad tool output' });
    expect(crashed.attributes['genserver.outcome']).toBe('crashed');
    expect(crashed.events.map((e) => e.name)).toContain('exception');
    const timedOut = spansNamed('genserver.call').find((s) => s.attributes['genserver.process.name'] === 'b')!;
    expect(timedOut.attributes['genserver.outcome']).toBe('timeout');
    const restarts = spansNamed('genserver.restart');
    expect(restarts.map((s) => s.attributes['genserver.process.name']).sort()).toEqual(['a', 'b']);
    // A restart starts a trace of its own: it is not filed under whoever last woke the mailbox.
    expect(restarts.map(parentOf)).toEqual([undefined, undefined]);
    expect(spansNamed('genserver.terminate').map(parentOf).every((p) => p === undefined)).toBe(true);
    expect(spansNamed('genserver.init').length).toBeGreaterThanOrEqual(2);
    expect(spansNamed('genserver.terminate').length).toBeGreaterThanOrEqual(2);
  });

  it('counts messages by kind and outcome, restarts, dead letters, and observes mailboxes and live processes', async () => {
    const before = await collect();
    for (let i = 0; i < 3; i++) await runtime.cast('a', { type: 'note' });
    await runtime.cast('a', { type: 'crash' });
    await runtime.call('a', { type: 'relay' });
    const after = await collect();
    const delta = (name: string, attrs: Record<string, string>) => sum(after, name, attrs) - sum(before, name, attrs);
    expect(delta('genserver.messages', { 'genserver.message.kind': 'cast', 'genserver.outcome': 'ok' })).toBe(3);
    expect(delta('genserver.messages', { 'genserver.message.kind': 'cast', 'genserver.outcome': 'crashed' })).toBe(1);
    expect(delta('genserver.restarts', { 'genserver.process.type': 'A' })).toBe(1);
    expect(delta('genserver.dead_letters', { 'genserver.dead_letter.reason': 'crashed' })).toBe(1);
    expect(sum(after, 'genserver.processes', {})).toBe(2);
    // One series per process type, not per process: names of sessions would be unbounded.
    expect(points(after, 'genserver.mailbox.length').map((p) => p.attributes['genserver.process.type']).sort()).toEqual(['A', 'B']);
    const durations = points(after, 'genserver.handler.duration') as DataPoint<Histogram>[];
    expect(durations.reduce((n, p) => n + p.value.count, 0)).toBeGreaterThan(0);
  });
});

async function collect() {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
}

function points(all: Awaited<ReturnType<typeof collect>>, name: string): DataPoint<unknown>[] {
  return all.filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as DataPoint<unknown>[]);
}

function sum(all: Awaited<ReturnType<typeof collect>>, name: string, attrs: Record<string, string>): number {
  return points(all, name)
    .filter((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))
    .reduce((n, p) => n + (p.value as number), 0);
}
