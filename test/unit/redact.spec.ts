import { From } from 'nestjs-genserver';
import { PendingCalls } from '../../lib/runtime/pending-calls.js';
import { presentState, redactValue, stateForLog } from '../../lib/state/redact.js';

/** Every key of a rendered value, at any depth (Maps and Sets included). */
function keysOf(value: unknown, out = new Set<string>()): Set<string> {
  if (value instanceof Map) for (const [k, v] of value) (out.add(String(k)), keysOf(v, out));
  else if (value instanceof Set || Array.isArray(value)) for (const v of value) keysOf(v, out);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) (out.add(k), keysOf(v, out));
  return out;
}

/** A doubly linked list (its links named so that none is mistaken for a pending call's). */
interface Node { id: number; back: Node | null; forward: Node | null }
function linkedList(length: number): Node {
  const head: Node = { id: 0, back: null, forward: null };
  let tail = head;
  for (let id = 1; id < length; id++) tail = tail.forward = { id, back: tail, forward: null };
  return head;
}

const INTERNAL = ['prev', 'next', 'list', 'promise', 'resolve', 'reject', 'deferredBy', 'settled', 'head', 'tail', 'timer'];

describe('presentState / redactValue', () => {
  let calls: PendingCalls;
  beforeEach(() => (calls = new PendingCalls()));
  afterEach(() => calls.close(() => new Error('test over')));

  function pending(caller: string | null): From {
    const call = calls.create('holder', 60_000, caller, null, null);
    call.promise.catch(() => undefined);
    calls.track(call);
    return call;
  }

  it('shows a pending From in its short form, never the runtime record behind it', () => {
    const shown = redactValue({ waiting: new Map([['q1', pending('x')], ['q2', pending(null)]]) }) as { waiting: Map<string, unknown> };
    expect(shown.waiting).toEqual(new Map([['q1', expect.stringMatching(/^From\(ref \d+, caller "x"\)$/)], ['q2', expect.stringMatching(/^From\(ref \d+, caller null\)$/)]]));
    expect(redactValue(new From(12, 'x'))).toBe('From(ref 12, caller "x")');
  });

  it('shows shared and cyclic references once, then as markers naming where they were shown', () => {
    const parent: Record<string, unknown> = { name: 'root' };
    const child = { parent, name: 'child' };
    parent.child = child;
    const config = { retries: 3 };
    const shown = redactValue({ parent, a: config, b: config, self: null as unknown });
    expect(shown).toEqual({
      parent: { name: 'root', child: { parent: '[circular: $.parent]', name: 'child' } },
      a: { retries: 3 },
      b: '[shared: $.a]',
      self: null,
    });
  });

  it('renders 3 back-references and 2 pending Froms in bounded size, with no internal field', () => {
    const state: Record<string, unknown> = { chain: linkedList(32), froms: [pending('a'), pending('b')] };
    state.owner = { state };
    const shown = redactValue(state) as Record<string, unknown>;
    expect(shown.froms).toEqual([expect.stringMatching(/^From\(ref \d+, caller "a"\)$/), expect.stringMatching(/^From\(ref \d+, caller "b"\)$/)]);
    expect(shown.owner).toEqual({ state: '[circular: $]' });
    expect((shown.chain as { forward: { back: unknown } }).forward.back).toBe('[circular: $.chain]');
    for (const key of INTERNAL) expect(keysOf(shown)).not.toContain(key);
    expect(JSON.stringify(shown)).toContain('[too deep]'); // the list is longer than the depth limit
    expect(JSON.stringify(shown).length).toBeLessThan(10_000);
  });

  it('stops after the node budget with a truncation marker', () => {
    const wide = Array.from({ length: 50_000 }, (_, i) => ({ i }));
    const shown = redactValue({ wide }) as { wide: unknown[] };
    expect(shown.wide.length).toBeLessThan(10_001);
    expect(shown.wide.at(-1)).toBe('[truncated]');
    const record = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(redactValue(record) as object).length).toBeLessThan(10_001);
    expect((redactValue(record) as Record<string, unknown>)['…']).toBe('[truncated]');
  });

  it('keeps redacting at any depth, in Maps, Sets, arrays, class instances and null-prototype objects', () => {
    class Session {
      apiKey = 'secret';
      user = 'ann';
    }
    const bare = Object.assign(Object.create(null) as object, { apiKey: 'secret', n: 1 });
    const when = new Date(0);
    const shown = redactValue({ m: new Map<string, unknown>([['apiKey', 's'], ['x', [new Session()]]]), s: new Set([{ apiKey: 's' }]), bare, when }, ['apiKey']);
    expect(shown).toEqual({
      m: new Map<string, unknown>([['apiKey', '[redacted]'], ['x', [{ apiKey: '[redacted]', user: 'ann' }]]]),
      s: new Set([{ apiKey: '[redacted]' }]),
      bare: { apiKey: '[redacted]', n: 1 },
      when,
    });
  });

  it('never throws: throwing getters and Proxies become markers', () => {
    const state = {
      get broken(): never {
        throw new Error('no');
      },
      proxy: new Proxy({}, { ownKeys: () => { throw new Error('no keys'); } }),
      prototypeless: new Proxy({}, { getPrototypeOf: () => { throw new Error('no prototype'); } }),
    };
    expect(redactValue(state)).toEqual({ broken: '[getter threw]', proxy: '[unreadable]', prototypeless: '[unreadable]' });
  });

  it('lets formatState win, and turns its throw into a marker', () => {
    expect(presentState({ state: { a: 1 }, formatState: (s) => ({ shown: s }) }, ['a'])).toEqual({ shown: { a: 1 } });
    expect(presentState({ state: {}, formatState: () => { throw new Error('no'); } }, [])).toBe('[formatState threw]');
  });
});

describe('stateForLog', () => {
  it('writes cycles, shared references, BigInts, Maps, Sets and Froms as one JSON line, never throwing', () => {
    const node: Record<string, unknown> = { n: 1n };
    node.self = node;
    const line = stateForLog({ node, again: node, m: new Map([['k', new Set([1])]]), from: new From(3, null), f: () => 1 });
    expect(JSON.parse(line)).toEqual({
      node: { n: '1n', self: '[circular: $.node]' },
      again: '[shared: $.node]',
      m: { k: [1] },
      from: 'From(ref 3, caller null)',
      f: 'a function (f)',
    });
    expect(stateForLog({ get x(): never { throw new Error('no'); } })).toBe('{"x":"[getter threw]"}');
    expect(stateForLog(undefined)).toBe('undefined');
  });

  it('shows bytes by kind and size, without listing 20 million indexes', () => {
    const shown = redactValue({ buf: new Uint8Array(20_000_000), raw: new ArrayBuffer(8), view: new DataView(new ArrayBuffer(4)) });
    expect(shown).toEqual({ buf: '[Uint8Array: 20000000 bytes]', raw: '[ArrayBuffer: 8 bytes]', view: '[DataView: 4 bytes]' });
    expect(stateForLog({ b: Buffer.from('hi') })).toBe('{"b":"[Buffer: 2 bytes]"}');
  });
});
