import { propagation, ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { fromW3C, toW3C } from 'nestjs-genserver';
import { decodeBaggage, encodeBaggage, traceCarrier } from '../../lib/telemetry/trace-carrier.js';

/** The OpenTelemetry SDK's own W3C propagators: what the headers must agree with. */
const w3c = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
const getter = { get: (carrier: Record<string, string>, key: string) => carrier[key], keys: (carrier: Record<string, string>) => Object.keys(carrier) };
const setter = { set: (carrier: Record<string, string>, key: string, value: string) => void (carrier[key] = value) };

function contextWith(traceFlags: number, traceState?: string, baggage?: Record<string, string>): Context {
  let ctx = ROOT_CONTEXT;
  const headers: Record<string, string> = { traceparent: `00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0${traceFlags}` };
  if (traceState) headers.tracestate = traceState;
  ctx = w3c.extract(ctx, headers, getter);
  if (baggage) ctx = propagation.setBaggage(ctx, propagation.createBaggage(Object.fromEntries(Object.entries(baggage).map(([k, value]) => [k, { value }]))));
  return ctx;
}

function carrierOf(ctx: Context) {
  const baggage = propagation.getBaggage(ctx);
  return traceCarrier(trace.getSpanContext(ctx)!, baggage && encodeBaggage(baggage), false);
}

describe('TraceCarrier ↔ W3C headers', () => {
  it('writes the headers the SDK’s W3C propagators write, sampled or not, with trace state and baggage', () => {
    for (const ctx of [
      contextWith(TraceFlags.SAMPLED),
      contextWith(TraceFlags.NONE),
      contextWith(TraceFlags.SAMPLED, 'vendor=opaque,other=1', { user: 'ann smith', 'tenant/id': 'a=b,c' }),
    ]) {
      const expected: Record<string, string> = {};
      w3c.inject(ctx, expected, setter);
      expect(toW3C(carrierOf(ctx))).toEqual(expected);
    }
  });

  it('reads headers back to the same span context and baggage, marked remote', () => {
    const ctx = contextWith(TraceFlags.SAMPLED, 'vendor=opaque', { user: 'ann smith', 'tenant/id': 'a=b,c' });
    const carrier = fromW3C(toW3C(carrierOf(ctx)))!;
    expect(carrier).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      traceState: 'vendor=opaque',
      remote: true,
      link: false,
    });
    const baggage = decodeBaggage(carrier.baggage!);
    expect(baggage.getEntry('user')?.value).toBe('ann smith');
    expect(baggage.getEntry('tenant/id')?.value).toBe('a=b,c');
    // What the SDK's propagator reads from the same headers.
    const extracted = w3c.extract(ROOT_CONTEXT, toW3C(carrier), getter);
    expect(trace.getSpanContext(extracted)).toMatchObject({ traceId: carrier.traceId, spanId: carrier.spanId, traceFlags: carrier.traceFlags });
  });

  it('keeps a timer’s link through the headers, and leaves local figures out of them', () => {
    const carrier = { ...traceCarrier(trace.getSpanContext(contextWith(1))!, undefined, true), enqueuedAt: 123.4, mailbox: 7 };
    const headers = toW3C(carrier);
    expect(Object.keys(headers).sort()).toEqual(['genserver-link', 'traceparent']);
    expect(fromW3C(headers)).toMatchObject({ link: true, enqueuedAt: 0, mailbox: 0 });
  });

  it('refuses traceparent values the W3C spec calls invalid', () => {
    const valid = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(fromW3C({ traceparent: valid })).toBeDefined();
    for (const traceparent of [
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', // version ff
      '00-00000000000000000000000000000000-b7ad6b7169203331-01', // zero trace id
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01', // zero span id
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra', // version 00 has four fields
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01', // uppercase
      'garbage',
    ]) {
      expect(fromW3C({ traceparent })).toBeUndefined();
    }
    expect(fromW3C({})).toBeUndefined();
    // A later version may append fields.
    expect(fromW3C({ traceparent: `01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-more` })).toBeDefined();
  });

  it('is plain data: a structured clone is equal', () => {
    const carrier = carrierOf(contextWith(1, 'a=b', { k: 'v' }));
    expect(structuredClone(carrier)).toEqual(carrier);
  });
});
