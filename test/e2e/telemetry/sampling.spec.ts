import { Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { context, metrics, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { AlwaysOnSampler, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { GenServer, GenServerModule, GenServerProcess, GenServerRuntime, HandleCall, HandleCast } from 'nestjs-genserver';
import { sleep } from '../../support/app.js';

class TestReader extends MetricReader {
  protected onShutdown() {
    return Promise.resolve();
  }
  protected onForceFlush() {
    return Promise.resolve();
  }
}

/** What a handler saw of the context it ran in. */
interface Seen {
  traceId: string | undefined;
  sampled: boolean;
  tenant: string | undefined;
}

const seen = (): Seen => {
  const active = context.active();
  const span = trace.getSpanContext(active);
  return { traceId: span?.traceId, sampled: span !== undefined && (span.traceFlags & TraceFlags.SAMPLED) !== 0, tenant: propagation.getBaggage(active)?.getEntry('tenant')?.value };
};

@GenServer('front')
class Front extends GenServerProcess {
  @HandleCall('relay') async relay() {
    return { front: seen(), back: await this.call<Seen>('back', { type: 'look' }) };
  }
  @HandleCast('note') note() {}
}

@GenServer('back')
class Back extends GenServerProcess {
  @HandleCall('look') look() {
    return seen();
  }
}

@Module({ imports: [GenServerModule.forRoot({})], providers: [Front, Back] })
class SampledApp {}

const exporter = new InMemorySpanExporter();
const reader = new TestReader();

/** A sender's context whose span the sampler did not sample (as an upstream service may decide). */
const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.NONE });

describe('OpenTelemetry with a sampler', () => {
  let moduleRef: TestingModule;
  let runtime: GenServerRuntime;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(
      new TracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
    );
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    moduleRef = await Test.createTestingModule({ imports: [SampledApp] }).compile();
    await moduleRef.init();
    runtime = moduleRef.get(GenServerRuntime);
  });
  afterAll(async () => {
    await moduleRef.close();
    trace.disable();
    metrics.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it('carries a parent the sampler dropped through every process: nothing is recorded, the trace id holds, and messages are still counted', async () => {
    const before = await messages();
    const reply = await context.with(unsampledParent, () => runtime.call<{ front: Seen; back: Seen }>('front', { type: 'relay' }));
    expect(reply.front).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', sampled: false });
    expect(reply.back).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', sampled: false });
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect((await messages()) - before).toBe(2);
  });

  it('carries baggage from the caller (inside a span) into each process it reaches', async () => {
    const request = trace.getTracer('test').startSpan('request');
    const withBaggage = propagation.setBaggage(trace.setSpan(ROOT_CONTEXT, request), propagation.createBaggage({ tenant: { value: 'acme corp' } }));
    const reply = await context.with(withBaggage, () => runtime.call<{ front: Seen; back: Seen }>('front', { type: 'relay' }));
    request.end();
    expect(reply.front.tenant).toBe('acme corp');
    expect(reply.back.tenant).toBe('acme corp');
    expect(reply.back.sampled).toBe(true);
  });

  it('records a handler duration for every recorded span, and for one in 64 of the others', async () => {
    let before = await durations();
    for (let i = 0; i < 10; i++) await runtime.cast('front', { type: 'note' });
    await sleep(10);
    expect(exporter.getFinishedSpans().filter((s) => s.name === 'genserver.cast')).toHaveLength(10);
    expect((await durations()) - before).toBe(10);

    before = await durations();
    await context.with(unsampledParent, async () => {
      for (let i = 0; i < 128; i++) await runtime.cast('front', { type: 'note' });
    });
    await sleep(10);
    expect((await durations()) - before).toBe(2);
  });
});

async function collect() {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
}

async function messages(): Promise<number> {
  return (await collect())
    .filter((m) => m.descriptor.name === 'genserver.messages')
    .flatMap((m) => m.dataPoints as DataPoint<number>[])
    .reduce((n, p) => n + p.value, 0);
}

async function durations(): Promise<number> {
  return (await collect())
    .filter((m) => m.descriptor.name === 'genserver.handler.duration')
    .flatMap((m) => m.dataPoints as DataPoint<Histogram>[])
    .reduce((n, p) => n + p.value.count, 0);
}
