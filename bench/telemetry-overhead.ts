import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { GenServerModule, GenServerRuntime } from 'nestjs-genserver';
import { BenchCounter } from './bench.processes.js';
import { compare, timed } from './measure.js';

const INC = { type: 'inc' };
const GET = { type: 'get' };

/** Takes spans and drops them: the SDK does all its work, the export costs nothing. */
const noopExporter: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: () => Promise.resolve() };

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

const casts = (runtime: GenServerRuntime, n: number) => async () =>
  (n / (await timed(async () => {
    for (let i = 0; i < n; i++) void runtime.cast('c', INC);
    await runtime.call('c', GET, { timeout: 600_000 });
  }))) * 1000;

const calls = (runtime: GenServerRuntime, n: number) => async () =>
  (n / (await timed(async () => {
    for (let i = 0; i < n; i++) await runtime.call('c', GET);
  }))) * 1000;

export interface TelemetryFigures {
  noSdk: { casts: number; calls: number; coreCasts: number; coreCalls: number };
  sdk: { casts: number; calls: number; coreCasts: number; coreCalls: number };
}

/**
 * (h) Casts and calls with telemetry on, against the same runtime with `telemetry: false` (the core
 * figure), alternately: first with no SDK registered, then with an SDK (tracer and meter
 * providers, spans processed and dropped by a no-op exporter).
 */
export async function telemetryOverhead(n: number): Promise<TelemetryFigures> {
  const core = await runtimeOf(false);
  const traced = await runtimeOf(true);
  const noSdkCasts = await compare(7, casts(traced.runtime, n), casts(core.runtime, n));
  const noSdkCalls = await compare(7, calls(traced.runtime, n), calls(core.runtime, n));
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(noopExporter)] }));
  metrics.setGlobalMeterProvider(new MeterProvider());
  // The runtime looks for an SDK once a second.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const sdkCasts = await compare(3, casts(traced.runtime, n), casts(core.runtime, n));
  const sdkCalls = await compare(3, calls(traced.runtime, n), calls(core.runtime, n));
  trace.disable();
  metrics.disable();
  await traced.app.close();
  await core.app.close();
  return {
    noSdk: { casts: noSdkCasts.ours, coreCasts: noSdkCasts.base, calls: noSdkCalls.ours, coreCalls: noSdkCalls.base },
    sdk: { casts: sdkCasts.ours, coreCasts: sdkCasts.base, calls: sdkCalls.ours, coreCalls: sdkCalls.base },
  };
}
