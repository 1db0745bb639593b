import { context, metrics, propagation, trace } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';

/** The running SDK, and how to stop it (flushes what is buffered). */
export interface SampleTelemetry {
  readonly sdk: NodeSDK;
  readonly instrumentations: readonly Instrumentation[];
  stop(): Promise<void>;
}

/**
 * Starts the OpenTelemetry Node SDK the way an app would: the library itself only talks to
 * `@opentelemetry/api`. Configured by the standard `OTEL_*` variables (`OTEL_TRACES_EXPORTER`,
 * `OTEL_METRICS_EXPORTER`, `OTEL_TRACES_SAMPLER`, `OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_SERVICE_NAME`, `OTEL_SDK_DISABLED`…); spans and metrics go to the console unless they say
 * otherwise. The HTTP instrumentation opens a server span per request, so a request is one trace
 * through every process it reaches. Call before the app's modules load (see main.ts): an
 * instrumentation patches a module as it is loaded.
 *
 * `overrides` replace what the environment would choose (the e2e test passes an in-memory exporter).
 */
export function startTelemetry(overrides: Partial<NodeSDKConfiguration> = {}): SampleTelemetry {
  process.env.OTEL_SERVICE_NAME ??= 'nestjs-genserver-sample';
  process.env.OTEL_TRACES_EXPORTER ??= 'console';
  process.env.OTEL_METRICS_EXPORTER ??= 'console';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const instrumentations = [
    new HttpInstrumentation(),
    // Covers @nestjs/core below 12 today: with Nest 12 it stays idle and the HTTP server span is the
    // parent of the first process span. Listed so controller spans appear once it supports Nest 12.
    new NestInstrumentation(),
  ];
  const sdk = new NodeSDK({ instrumentations, ...overrides });
  sdk.start();
  return {
    sdk,
    instrumentations,
    async stop() {
      await sdk.shutdown();
      for (const instrumentation of instrumentations) instrumentation.disable();
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
}
