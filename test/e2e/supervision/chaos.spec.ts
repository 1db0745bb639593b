import { Injectable } from '@nestjs/common';
import { GenServer, GenServerError, GenServerProcess, HandleCall, HandleCast, type DeadLetterEvent } from 'nestjs-genserver';
import { bootApp, sleep } from '../../support/app.js';

/** Counts what the workers handled; a provider, so it outlives every restart. */
@Injectable()
class Ledger {
  readonly handled = new Map<number, number>();
  record(id: number) {
    this.handled.set(id, (this.handled.get(id) ?? 0) + 1);
  }
}

@GenServer({ type: 'chaos_worker' })
class ChaosWorker extends GenServerProcess {
  constructor(private readonly ledger: Ledger) {
    super();
  }
  @HandleCast('work') castWork(msg: { type: 'work'; id: number }) {
    this.ledger.record(msg.id);
  }
  @HandleCall('work') async callWork(msg: { type: 'work'; id: number }) {
    if (msg.id % 7 === 0) await sleep(1); // some handlers are async and hold the mailbox
    this.ledger.record(msg.id);
    return msg.id;
  }
  @HandleCast('crash') crash() {
    throw new Error('chaos');
  }
  @HandleCall('ping') ping() {
    return 'pong';
  }
}

/** A small deterministic PRNG, so a failure can be replayed. */
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const workers = (prefix: string) => [1, 2, 3].map((i) => ({ name: `${prefix}${i}`, type: ChaosWorker }));

describe('chaos: random crashes under a steady call/cast load', () => {
  it('accounts for every message exactly once, across every strategy', async () => {
    const t = await bootApp([Ledger, ChaosWorker], {
      supervision: {
        name: 'root',
        maxRestarts: 10_000,
        children: [
          { supervisor: { name: 'ofo', strategy: 'one_for_one', maxRestarts: 10_000, children: workers('a') } },
          { supervisor: { name: 'rfo', strategy: 'rest_for_one', maxRestarts: 10_000, children: workers('b') } },
          { supervisor: { name: 'ofa', strategy: 'one_for_all', maxRestarts: 10_000, children: workers('c') } },
        ],
      },
    });
    const ledger = t.app.get(Ledger);
    const random = mulberry32(20261122);
    const names = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'c1', 'c2', 'c3'];
    const castIds: number[] = [];
    const crashes: number[] = [];
    const calls: Promise<{ id: number; outcome: unknown }>[] = [];

    for (let id = 1; id <= 3000; id++) {
      const target = names[Math.floor(random() * names.length)]!;
      const roll = random();
      if (roll < 0.06) {
        await t.runtime.cast(target, { type: 'crash', id });
        crashes.push(id);
      } else if (roll < 0.3) {
        calls.push(t.runtime.call(target, { type: 'work', id }, { timeout: 10_000 }).then(
          (outcome) => ({ id, outcome }),
          (outcome: unknown) => ({ id, outcome }),
        ));
      } else {
        await t.runtime.cast(target, { type: 'work', id });
        castIds.push(id);
      }
      if (id % 25 === 0) await sleep(0);
    }
    const outcomes = await Promise.all(calls);
    for (const name of names) await t.runtime.call(name, { type: 'ping' }, { timeout: 10_000 });

    // Calls: each settled once — with its own id, or a typed error.
    for (const { id, outcome } of outcomes) {
      if (outcome instanceof Error) expect(outcome).toBeInstanceOf(GenServerError);
      else expect(outcome).toBe(id);
    }
    const answered = outcomes.filter((o) => !(o.outcome instanceof Error)).map((o) => o.id);
    // Casts and answered calls: handled exactly once; crashing casts: dead-lettered exactly once.
    const deadLetters = t.events.filter((e): e is DeadLetterEvent => e.type === 'dead-letter');
    const deadIds = deadLetters.map((e) => (e.envelope.payload as { id: number }).id);
    for (const id of [...castIds, ...answered]) expect([id, ledger.handled.get(id)]).toEqual([id, 1]);
    expect(deadIds.sort((a, b) => a - b)).toEqual(crashes);
    expect(deadLetters.every((e) => e.reason === 'crashed')).toBe(true);
    expect([...ledger.handled.keys()].length).toBe(castIds.length + answered.length);
    expect(t.events.filter((e) => e.type === 'crashed')).toHaveLength(crashes.length);
    expect(t.events.filter((e) => e.type === 'escalated' || e.type === 'fatal')).toEqual([]);
    await t.close();
  }, 60_000);
});
