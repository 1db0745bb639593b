import { mkdirSync, writeFileSync } from 'node:fs';
import { startNats, type NatsServer } from '../../support/nats-server.js';
import { startRedis, type RedisServer } from '../../support/redis-server.js';
import { killRun, ownerOf as ownerWithin, quantile, startNode, untilOk, writer, type NodeEnv, type TestNode } from '../../support/cluster-nodes.js';
import { sleep } from '../../support/app.js';

// #10: a cluster of real OS processes (test/fixtures/cluster-node-app.mjs) on a real nats-server,
// with a durable counter in a real redis-server. Faults come from a seeded schedule; every
// acknowledged increment is accounted for.

/** Lease TTL of the nodes; FAILOVER_TTL_MS=3000 measures failover at the setting (about 2 minutes). */
const TTL = Number(process.env.FAILOVER_TTL_MS ?? 1000);
const SEED = Number(process.env.FAILOVER_SEED ?? 20261201);

interface CounterState {
  n: number;
  ops: string[];
}

let nats: NatsServer;
let redis: RedisServer;
let prefixes = 0;
let live: TestNode[] = [];

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNats(), startRedis()]);
});
afterEach(async () => {
  await Promise.all(live.map((node) => node.kill().catch(() => undefined)));
  live = [];
});
afterAll(async () => {
  await Promise.all([nats.stop(), redis.stop()]);
});

function env(): NodeEnv {
  return { NATS_URL: nats.url, REDIS_URL: redis.url, PREFIX: `f${++prefixes}`, LEASE_TTL_MS: String(TTL) };
}

const ownerOf = (nodes: TestNode[]) => ownerWithin(nodes, 10 * TTL);

async function cluster(names: string[], shared: NodeEnv): Promise<TestNode[]> {
  const nodes = await Promise.all(names.map((name) => startNode(name, shared)));
  live.push(...nodes);
  return nodes;
}

function checkAccounted(state: CounterState, acked: readonly string[], attempts: number) {
  const counts = new Map<string, number>();
  for (const op of state.ops) counts.set(op, (counts.get(op) ?? 0) + 1);
  const twice = [...counts].filter(([, count]) => count > 1).map(([op]) => op);
  const lost = acked.filter((op) => counts.get(op) !== 1);
  expect({ twice, lost }).toEqual({ twice: [], lost: [] });
  expect(state.n).toBe(state.ops.length);
  expect(state.ops.length).toBeLessThanOrEqual(attempts);
}

function report(name: string, figures: Record<string, unknown>) {
  mkdirSync('test-output', { recursive: true });
  writeFileSync(`test-output/${name}.json`, JSON.stringify(figures, null, 2));
  process.stdout.write(`${name}: ${JSON.stringify(figures)}\n`);
}

describe('failover across OS processes (nats-server, redis-server, three Nest apps)', () => {
  it('kill -9 of the owner, 20 times on a seeded schedule: no acknowledged increment lost, none applied twice, epochs only increase', async () => {
    const { failovers, epochs, write, state } = await killRun(env(), 20, SEED, (node) => live.push(node));
    checkAccounted(state, write.acked, write.attempts);
    for (let i = 1; i < epochs.length; i++) expect(epochs[i]!).toBeGreaterThan(epochs[i - 1]!);
    expect(write.acked.length).toBeGreaterThan(50);
    // Between owners a known name is unavailable (retry), never unknown.
    expect(write.errors.get('ProcessStoppedError')).toBeGreaterThan(0);
    expect(write.errors.has('NoSuchProcessError')).toBe(false);
    report('failover-kill', {
      seed: SEED,
      leaseTtlMs: TTL,
      kills: failovers.length,
      failoverMs: { p50: quantile(failovers, 0.5), p99: quantile(failovers, 0.99), max: Math.max(...failovers) },
      attempts: write.attempts,
      acknowledged: write.acked.length,
      applied: state.ops.length,
      refused: Object.fromEntries(write.errors),
    });
  }, 60_000 + 20 * 6 * TTL);

  it('a paused owner (SIGSTOP past its lease) is fenced when it wakes: its late write is refused and no two nodes serve the name', async () => {
    const shared = env();
    const nodes = await cluster(['p0', 'p1', 'p2'], shared);
    const owner = await ownerOf(nodes);
    const paused = nodes.find((node) => node.name === owner.node)!;
    const others = nodes.filter((node) => node !== paused);
    await untilOk(() => others[0]!.ask('call', { name: 'counter', payload: { type: 'inc', op: 'before' } }), 5000);
    // A handler is running on the owner when it freezes: it finishes only after the wake-up.
    const late = paused.ask('call', { name: 'counter', payload: { type: 'slow-inc', op: 'late', ms: 300 }, timeout: 20_000 }, 30_000);
    await sleep(100);
    await paused.pause();
    const write = writer(() => others[Math.floor(Math.random() * 2)]);
    const takeover = await ownerOf(others);
    const deadline = Date.now() + 10 * TTL;
    let newOwner = takeover;
    while (newOwner.node === paused.name && Date.now() < deadline) {
      await sleep(50);
      newOwner = await ownerOf(others);
    }
    expect(newOwner.node).not.toBe(paused.name);
    expect(newOwner.epoch).toBeGreaterThan(owner.epoch);
    await sleep(3 * TTL);
    await paused.resume();
    const lateAnswer = await late;
    await sleep(2 * TTL);
    await write.stop();
    // The late increment was never acknowledged, and never stored: the store refused its epoch.
    expect(lateAnswer.ok).toBe(false);
    const events = (await paused.ask<{ type: string; name: string; reason?: string }[]>('events')).ok ? ((await paused.ask<{ type: string; name: string; reason?: string }[]>('events')) as { value: { type: string; name: string; reason?: string }[] }).value : [];
    expect(events.some((e) => e.type === 'crashed' && e.name === 'counter' && e.reason === 'StaleEpochError')).toBe(true);
    const state = await untilOk(() => others[0]!.ask<CounterState>('call', { name: 'counter', payload: { type: 'get' } }), 5000);
    expect(state.ops).not.toContain('late');
    checkAccounted(state, ['before', ...write.acked], write.attempts + 1);
    // Every node, the woken one included, agrees on one owner; the woken one waits in standby.
    const seen = await Promise.all(nodes.map((node) => node.ask<{ node: string; epoch: number }>('whereis', { name: 'counter' })));
    expect(new Set(seen.map((answer) => (answer.ok ? `${answer.value.node}@${answer.value.epoch}` : 'none'))).size).toBe(1);
    await expect(paused.ask('status', { name: 'counter' })).resolves.toMatchObject({ ok: true, value: { status: 'standby' } });
  }, 60_000);

  it('a call whose owner is killed mid-call fails with ProcessCrashedError (nodedown) once the node is known down, and monitors get noconnection', async () => {
    const nodes = await cluster(['k0', 'k1'], env());
    const owner = await ownerOf(nodes);
    const victim = nodes.find((node) => node.name === owner.node)!;
    const caller = nodes.find((node) => node !== victim)!;
    await untilOk(() => caller.ask('call', { name: 'watcher', payload: { type: 'watch', target: 'counter' } }), 5000);
    const pending = caller.ask('call', { name: 'counter', payload: { type: 'slow-inc', op: 'x', ms: 30_000 }, timeout: 20_000 }, 30_000);
    await sleep(200);
    const killedAt = Date.now();
    await victim.kill();
    const answer = await pending;
    const tookMs = Date.now() - killedAt;
    expect(answer).toMatchObject({ ok: false, error: { name: 'ProcessCrashedError', process: 'counter' } });
    expect(!answer.ok && answer.error.message).toContain('nodedown');
    expect(tookMs).toBeLessThan(20_000); // never the whole call timeout
    const downs = await untilOk(async () => {
      const got = await caller.ask<{ name: string; reason: string }[]>('call', { name: 'watcher', payload: { type: 'downs' } });
      return got.ok && got.value.length > 0 ? got : { ok: false as const, error: { name: 'none', message: 'no DOWN yet' } };
    }, 5 * TTL);
    expect(downs).toEqual([{ name: 'counter', reason: 'noconnection' }]);
  }, 60_000);

  it('keeps serving across a nats-server restart: calls in flight settle with typed errors, nothing acknowledged is lost', async () => {
    const nodes = await cluster(['r0', 'r1', 'r2'], env());
    await ownerOf(nodes);
    const write = writer(() => nodes[Math.floor(Math.random() * 3)]);
    await sleep(500);
    await nats.restart();
    const restartedAt = Date.now();
    await sleep(200);
    await untilOk(() => nodes[1]!.ask('call', { name: 'counter', payload: { type: 'inc', op: 'after-restart' } }), 15 * TTL);
    const recoveredMs = Date.now() - restartedAt;
    await sleep(500);
    await write.stop();
    const state = await untilOk(() => nodes[0]!.ask<CounterState>('call', { name: 'counter', payload: { type: 'get' } }), 5000);
    checkAccounted(state, [...write.acked, 'after-restart'], write.attempts + 1);
    const seen = await Promise.all(nodes.map((node) => untilOk(() => node.ask<{ node: string } | null>('whereis', { name: 'counter' }), 5000)));
    expect(new Set(seen.map((ref) => ref?.node)).size).toBe(1);
    report('failover-nats-restart', { recoveredMs, acknowledged: write.acked.length });
  }, 60_000);
});
