import { createRequire } from 'node:module';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { context, metrics, propagation, ROOT_CONTEXT, SpanKind, trace, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { GenServerModule, GenServerRuntime } from 'nestjs-genserver';
import { BenchCounter } from './bench.processes.js';
import { compare, median, timed } from './measure.js';

const INC = { type: 'inc' };
const GET = { type: 'get' };
const YIELD_EVERY = 4000; // the mailbox's default drain budget: the floor loop yields as often

/** Takes spans and drops them: the SDK does all its work, the export costs nothing. */
const noopExporter: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: () => Promise.resolve() };

/** A metric reader that is registered (so instruments are live) and collects only when asked. */
class QuietReader extends MetricReader {
  protected onShutdown() {
    return Promise.resolve();
  }
  protected onForceFlush() {
    return Promise.resolve();
  }
}

function appWith(telemetry: boolean): DynamicModule {
  @Module({})
  class TelemetryBench {}
  return { module: TelemetryBench, imports: [GenServerModule.forRoot({ telemetry })], providers: [BenchCounter] };
}

async function runtimeOf(telemetry: boolean) {
  const app = await NestFactory.createApplicationContext(appWith(telemetry), { logger: false });
  const runtime = app.get(GenServerRuntime);
  await runtime.start(BenchCounter, { name: 'c' });
  return { app, runtime };
}

const casts = (runtime: GenServerRuntime, n: number, inside?: () => Context) => async () => {
  const burst = async () => {
    for (let i = 0; i < n; i++) void runtime.cast('c', INC);
    await runtime.call('c', GET, { timeout: 600_000 });
  };
  return (n / (await timed(() => (inside ? context.with(inside(), burst) : burst())))) * 1000;
};

const calls = (runtime: GenServerRuntime, n: number) => async () =>
  (n / (await timed(async () => {
    for (let i = 0; i < n; i++) await runtime.call('c', GET);
  }))) * 1000;

/**
 * The SDK's own floor for one handled message, in µs: start a span (under `parent`), make it the
 * active span around a no-op handler, end it — and nothing else. Yields to the event loop as
 * often as a mailbox does, so a batch processor exports as it would under the runtime.
 */
const spanFloor = (n: number, parent: () => Context) => async () => {
  const tracer = trace.getTracer('floor');
  const noop = () => undefined;
  const options = { kind: SpanKind.CONSUMER };
  const ctx = parent();
  const ms = await timed(async () => {
    for (let i = 0; i < n; i++) {
      const span = tracer.startSpan('genserver.cast', options, ctx);
      context.with(trace.setSpan(ctx, span), noop);
      span.end();
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve));
    }
  });
  return (ms * 1000) / n;
};

/** Ours, the core and the SDK floor, run alternately (A B C A B C …) after a warm-up each; medians. */
async function measure(runs: number, ours: () => Promise<number>, core: () => Promise<number>, floor: () => Promise<number>): Promise<Figure> {
  await ours();
  await core();
  await floor();
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await ours());
    b.push(await core());
    c.push(await floor());
  }
  return { ours: median(a), core: median(b), floorUs: median(c) };
}

/** What the previous version paid per message to carry context in-process: W3C inject + extract. */
async function injectExtractUs(n: number, parent: Context): Promise<number> {
  const once = async () => {
    const ms = await timed(async () => {
      for (let i = 0; i < n; i++) {
        const carrier: Record<string, string> = {};
        propagation.inject(parent, carrier);
        propagation.extract(ROOT_CONTEXT, carrier);
      }
    });
    return (ms * 1000) / n;
  };
  await once();
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) runs.push(await once());
  return median(runs);
}

function register(sampler: Sampler, withMetrics: boolean): () => Promise<void> {
  const provider = new TracerProvider({ sampler, spanProcessors: [new BatchSpanProcessor({ exporter: noopExporter })] });
  trace.setGlobalTracerProvider(provider);
  const meterProvider = withMetrics ? new MeterProvider({ readers: [new QuietReader()] }) : null;
  if (meterProvider) metrics.setGlobalMeterProvider(meterProvider);
  return async () => {
    trace.disable();
    metrics.disable();
    await provider.shutdown();
    await meterProvider?.shutdown();
  };
}

/** The runtime looks for an SDK once a second. */
const noticed = () => new Promise((resolve) => setTimeout(resolve, 1100));

export interface Figure {
  ours: number;
  core: number;
  /** µs per message the SDK's span work costs on its own. */
  floorUs: number;
}

export interface TelemetryFigures {
  noSdk: { casts: number; calls: number; coreCasts: number; coreCalls: number };
  sampled: { casts: Figure; calls: Figure; unsampledParentCasts: Figure };
  recorded: { casts: Figure; calls: Figure; castsWithMetrics: Figure };
  parented: { casts: Figure; injectExtractUs: number };
}

/**
 * (h) Casts and calls with telemetry on, against the same runtime with `telemetry: false` (the core
 * figure), alternately; with each SDK setup, the SDK's own floor measured in the same run.
 */
export async function telemetryOverhead(n: number): Promise<TelemetryFigures> {
  const core = await runtimeOf(false);
  const traced = await runtimeOf(true);
  const noSdkCasts = await compare(7, casts(traced.runtime, n), casts(core.runtime, n));
  const noSdkCalls = await compare(7, calls(traced.runtime, n), calls(core.runtime, n));

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const root = () => ROOT_CONTEXT;

  // 1. ParentBased(TraceIdRatioBased(0.01)), batch processor, a metric reader. Every burst starts at
  // the top (no active span), so each message's span is a root the ratio sampler decides on.
  let unregister = register(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.01) }), true);
  await noticed();
  const sampledCasts = await measure(9, casts(traced.runtime, n), casts(core.runtime, n), spanFloor(n, root));
  const sampledCalls = await measure(9, calls(traced.runtime, n), calls(core.runtime, n), spanFloor(n, root));
  // The same, sent inside a span the sampler dropped (99 requests in 100): every message follows it.
  const dropped = () => trace.setSpanContext(ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0 });
  const unsampledCasts = await measure(9, casts(traced.runtime, n, dropped), casts(core.runtime, n, dropped), spanFloor(n, dropped));
  await unregister();

  // 2. Every span recorded, batch processor, no meter provider.
  unregister = register(new AlwaysOnSampler(), false);
  await noticed();
  const recordedCasts = await measure(9, casts(traced.runtime, n), casts(core.runtime, n), spanFloor(n, root));
  const recordedCalls = await measure(9, calls(traced.runtime, n), calls(core.runtime, n), spanFloor(n, root));
  // 3. The same, with the burst sent inside a recorded span: every envelope carries its parent.
  const parentSpan = trace.getTracer('bench').startSpan('request');
  const inSpan = () => trace.setSpan(ROOT_CONTEXT, parentSpan);
  const parentedCasts = await measure(9, casts(traced.runtime, n, inSpan), casts(core.runtime, n, inSpan), spanFloor(n, inSpan));
  const injectExtract = await injectExtractUs(n, inSpan());
  parentSpan.end();
  await unregister();

  // 4. Every span recorded, and a metric reader.
  unregister = register(new AlwaysOnSampler(), true);
  await noticed();
  const recordedMetricCasts = await measure(9, casts(traced.runtime, n), casts(core.runtime, n), spanFloor(n, root));
  await unregister();

  context.disable();
  propagation.disable();
  await traced.app.close();
  await core.app.close();
  return {
    noSdk: { casts: noSdkCasts.ours, coreCasts: noSdkCasts.base, calls: noSdkCalls.ours, coreCalls: noSdkCalls.base },
    sampled: { casts: sampledCasts, calls: sampledCalls, unsampledParentCasts: unsampledCasts },
    recorded: { casts: recordedCasts, calls: recordedCalls, castsWithMetrics: recordedMetricCasts },
    parented: { casts: parentedCasts, injectExtractUs: injectExtract },
  };
}

/** The SDK version the figures were measured with. */
export const sdkVersion: string = (createRequire(import.meta.url)('@opentelemetry/sdk-trace/package.json') as { version: string }).version;
