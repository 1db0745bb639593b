import { From, GenServer, GenServerProcess, HandleCall, HandleCast, noReply, ProcessCrashedError, type GenServerEvent } from 'nestjs-genserver';
import { bootApp, nextEvent, sleep, type TestApp } from '../../support/app.js';

/** A doubly linked list (its links named so that none is mistaken for a pending call's). */
interface Link { id: number; back: Link | null; forward: Link | null; owner: unknown }

interface Tangle {
  /** Back-reference 1 and 2: each link points back to the one before it and to the state. */
  chain: Link | null;
  /** Back-reference 3: a child pointing to its parent. */
  parent: { name: string; child?: { parent: unknown } };
  /** The README's deferred-reply pattern: callers waiting for an answer that comes later. */
  waiting: From[];
}

@GenServer('tangle')
class TangleProcess extends GenServerProcess<Tangle> {
  override init() {
    this.state = { chain: null, parent: { name: 'root' }, waiting: [] };
    this.state.parent.child = { parent: this.state.parent };
    let tail: Link | null = null;
    for (let id = 0; id < 32; id++) {
      const link: Link = { id, back: tail, forward: null, owner: this.state };
      if (tail) tail.forward = link;
      else this.state.chain = link;
      tail = link;
    }
  }
  @HandleCall('park') park(_msg: unknown, from: From) {
    this.state.waiting.push(from);
    return noReply();
  }
  @HandleCast('crash') crash() {
    throw new Error('tangled');
  }
}

const INTERNAL = ['prev', 'next', 'list', 'promise', 'resolve', 'reject', 'deferredBy', 'settled', 'timer'];

/** Every key of a rendered value, at any depth. */
function keysOf(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keysOf(v, out);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) (out.add(k), keysOf(v, out));
  return out;
}

describe('showing a state with shared references and pending Froms', () => {
  let t: TestApp;
  let parked: Promise<unknown>[];
  beforeEach(async () => {
    t = await bootApp([TangleProcess]);
    parked = [t.runtime.call('tangle', { type: 'park' }, { timeout: 60_000 }), t.runtime.call('tangle', { type: 'park' }, { timeout: 60_000 })];
    for (const call of parked) call.catch(() => undefined);
    await sleep(5);
  });
  afterEach(() => t.close());

  it('status shows each object once, Froms in their short form and no field of the runtime', () => {
    const state = t.runtime.status('tangle').state as Record<string, any>;
    expect(state.waiting).toEqual([expect.stringMatching(/^From\(ref \d+, caller null\)$/), expect.stringMatching(/^From\(ref \d+, caller null\)$/)]);
    expect(state.parent).toEqual({ name: 'root', child: { parent: '[circular: $.parent]' } });
    expect(state.chain.owner).toBe('[circular: $]');
    expect(state.chain.forward.back).toBe('[circular: $.chain]');
    expect(JSON.stringify(state)).toContain('[too deep]');
    for (const key of INTERNAL) expect(keysOf(state)).not.toContain(key);
  });

  it('a crash reaches the deferred callers, and its event and log show the same short state', async () => {
    const crashed = nextEvent(t.runtime.events$, (e): e is Extract<GenServerEvent, { type: 'crashed' }> => e.type === 'crashed');
    await t.runtime.cast('tangle', { type: 'crash' });
    for (const call of parked) await expect(call).rejects.toBeInstanceOf(ProcessCrashedError);
    const state = (await crashed).state as Record<string, unknown>;
    expect(state.waiting).toEqual([expect.stringMatching(/^From\(ref \d+, caller null\)$/), expect.stringMatching(/^From\(ref \d+, caller null\)$/)]);
    const log = t.logger.at('error').find((line) => line.message.includes('tangled'))!.message;
    expect(log).toMatch(/"waiting":\["From\(ref \d+, caller null\)","From\(ref \d+, caller null\)"\]/);
    expect(log.length).toBeLessThan(10_000);
  });
});
