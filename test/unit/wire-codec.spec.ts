import { deserialize } from 'node:v8';
import { decodeAnswer, decodeMessage, encodeAnswer, encodeMessage, isJsonExact, type WireMessage } from '../../lib/cluster/wire-codec.js';
import { ProcessCrashedError } from '../../lib/errors/process-crashed.error.js';

// #10: what one node sends, the other reads back as it was sent, by whichever encoding was chosen.

const message = (payload: unknown): WireMessage => ({ kind: 'call', to: 'counter', type: 'inc', payload, waitMs: 5000, caller: 'a', chain: ['a'], trace: { traceparent: '00-1-2-01' } });

describe('wire codec', () => {
  const shared = { x: 1 };
  it.each([
    ['JSON', { type: 'inc', by: 2, tags: ['a', 'b'], nested: { ok: true, none: null } }],
    ['V8: undefined, NaN, -0', { type: 'inc', none: undefined, nan: NaN, zero: -0, inf: -Infinity }],
    ['V8: dates, bytes, bigints', { type: 'inc', at: new Date(7), bytes: new Uint8Array([1, 2]), big: 12n }],
    ['V8: an object reached twice stays one object', { type: 'inc', left: shared, right: shared }],
    ['V8: holes', { type: 'inc', list: [1, , 3] }],
  ])('carries a message exactly (%s)', (_how, payload) => {
    const read = decodeMessage(encodeMessage(message(payload)))!;
    expect(read).toEqual(message(payload));
    expect(Object.is((read.payload as { zero?: number }).zero, (payload as { zero?: number }).zero)).toBe(true);
    if ('left' in payload) expect((read.payload as typeof payload).left).toBe((read.payload as typeof payload).right);
  });

  it('chooses JSON only where JSON is exact', () => {
    expect(isJsonExact({ a: [1, 'x', true, null, { b: 2 }] })).toBe(true);
    for (const value of [{ a: undefined }, NaN, -0, new Date(), new Uint8Array(1), 1n, [1, , 2], new Map(), { __proto__: null, a: 1 } as unknown]) {
      if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === null) continue; // plain, and JSON-exact in shape
      expect(isJsonExact(value)).toBe(false);
    }
    expect(encodeMessage(message({ type: 'inc' }))[0]).toBe('['.charCodeAt(0));
    expect(() => deserialize(encodeMessage(message({ at: new Date(1) })))).not.toThrow();
  });

  it('answers: values, accepted casts and errors as their own class', () => {
    expect(decodeAnswer(encodeAnswer(true, { n: 1 }))).toEqual({ ok: true, value: { n: 1 } });
    expect(decodeAnswer(encodeAnswer(true, new Date(3)))).toEqual({ ok: true, value: new Date(3) });
    expect(decodeAnswer(encodeAnswer(true, undefined))).toEqual({ ok: true, value: undefined });
    const answer = decodeAnswer(encodeAnswer(false, new ProcessCrashedError('counter', 'inc', new Error('kaput'))))!;
    expect(answer.ok).toBe(false);
    expect(answer.value).toBeInstanceOf(ProcessCrashedError);
    expect(answer.value).toMatchObject({ process: 'counter', messageType: 'inc' });
  });

  it('reads malformed bytes as nothing, never a throw', () => {
    for (const bytes of [new Uint8Array([]), new Uint8Array([0x5b, 0x31]), Buffer.from('[1,"x"]'), Buffer.from('{"a":1}'), new Uint8Array([0xff, 0x0f, 0x99])]) {
      expect(decodeMessage(bytes)).toBeUndefined();
    }
    expect(decodeAnswer(Buffer.from('[7]'))).toBeUndefined();
    expect(decodeMessage(Buffer.from(JSON.stringify([0, 'x', null, {}, 1, null, [], { traceparent: 42 }])))!.trace).toEqual({});
  });

  it('clips an error too large to cross, keeping its class', () => {
    const bytes = encodeAnswer(false, new ProcessCrashedError('counter', 'inc', new Error('x'.repeat(200_000))), 64 * 1024);
    expect(bytes.length).toBeLessThan(64 * 1024);
    const answer = decodeAnswer(bytes)!;
    expect(answer.value).toBeInstanceOf(ProcessCrashedError);
  });
});
