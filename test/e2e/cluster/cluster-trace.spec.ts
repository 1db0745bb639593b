import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { GenServer, GenServerProcess, HandleCall } from 'nestjs-genserver';
import { bootApp, sleep, type TestApp } from '../../support/app.js';
import { startNats, type NatsServer } from '../../support/nats-server.js';

// #10: the trace context travels in the envelope across nodes (W3C traceparent over NATS): a call
// that crosses two nodes is one trace, each handler span the child of its caller's.

const exporter = new InMemorySpanExporter();

@GenServer()
class Hop extends GenServerProcess {
  @HandleCall('relay') relay(msg: { type: 'relay'; to: string }) {
    return this.call(msg.to, { type: 'echo' });
  }
  @HandleCall('echo') echo() {
    return 'hi';
  }
}

describe('tracing across nodes', () => {
  let nats: NatsServer;
  const nodes: TestApp[] = [];

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
    nats = await startNats();
    for (const node of ['t0', 't1']) {
      nodes.push(await bootApp([Hop], { cluster: { transport: 'nats', servers: nats.url, node, leaseTtlMs: 1000, prefix: 'trace' } }));
    }
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await nats.stop();
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it('makes one trace of a request on node t1 → process on t0 → process on t1', async () => {
    const [t0, t1] = nodes;
    await t0!.runtime.start(Hop, { name: 'first' });
    await t1!.runtime.start(Hop, { name: 'second' });
    exporter.reset();
    const root = trace.getTracer('test').startSpan('request');
    const answer = await context.with(trace.setSpan(context.active(), root), () => t1!.runtime.call('first', { type: 'relay', to: 'second' }));
    root.end();
    expect(answer).toBe('hi');
    await sleep(20);
    const calls = exporter.getFinishedSpans().filter((span) => span.name === 'genserver.call');
    const named = (name: string) => calls.find((span) => span.attributes['genserver.process.name'] === name) as ReadableSpan;
    const first = named('first');
    const second = named('second');
    expect(first.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(second.parentSpanContext?.spanId).toBe(first.spanContext().spanId);
    expect(new Set([root.spanContext().traceId, first.spanContext().traceId, second.spanContext().traceId]).size).toBe(1);
    // The context came over the wire: a remote parent, not one taken from this process's spans.
    expect(first.parentSpanContext?.isRemote).toBe(true);
  });
});
