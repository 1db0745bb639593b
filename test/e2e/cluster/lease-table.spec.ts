import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { LeaseTable } from '../../../lib/cluster/lease-table.js';
import { kvKey, nameOfKvKey } from '../../../lib/common/kv-key.js';
import { startNats, type NatsServer } from '../../support/nats-server.js';
import { sleep } from '../../support/app.js';

// #10 groundwork: ownership of names as leases in a JetStream KV bucket, against a real nats-server 2.9.

const TTL = 600;

describe('LeaseTable (real nats-server with JetStream)', () => {
  let server: NatsServer;
  const connections: NatsConnection[] = [];
  const tables: LeaseTable[] = [];
  let bucket = 0;

  beforeAll(async () => {
    server = await startNats();
  });
  afterEach(async () => {
    tables.splice(0).forEach((table) => table.close());
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
  });
  afterAll(async () => {
    await server.stop();
  });

  /** A bucket shared by `nodes` nodes, each on its own connection. */
  async function nodes(count: number, name = `leases-${++bucket}`): Promise<{ kv: KV; fenced: string[] ; table: LeaseTable }[]> {
    const made = [];
    for (let i = 0; i < count; i++) {
      const nc = await connect({ servers: server.url });
      connections.push(nc);
      const kv = await new Kvm(nc).create(name, { ttl: TTL, history: 1 });
      const fenced: string[] = [];
      const table = new LeaseTable(kv, `node-${i}`, TTL, { fenced: (n, epoch) => fenced.push(`${n}@${epoch}`) });
      tables.push(table);
      made.push({ kv, fenced, table });
    }
    return made;
  }

  it('lets exactly one node claim a name; the others see it taken', async () => {
    const all = await nodes(3);
    const epochs = await Promise.all(all.map(({ table }) => table.claim('rate_limiter')));
    expect(epochs.filter((e) => e !== undefined)).toHaveLength(1);
    const owner = all[epochs.findIndex((e) => e !== undefined)]!;
    expect(owner.table.epochOf('rate_limiter')).toBe(epochs.find((e) => e !== undefined));
    // Claiming again a name it holds answers with the same epoch.
    await expect(owner.table.claim('rate_limiter')).resolves.toBe(owner.table.epochOf('rate_limiter'));
  });

  it('keeps a lease alive by renewing it past its TTL', async () => {
    const [a, b] = await nodes(2);
    const epoch = await a!.table.claim('cache');
    await sleep(TTL * 2.5);
    expect(a!.table.epochOf('cache')).toBe(epoch);
    await expect(b!.table.claim('cache')).resolves.toBeUndefined();
    expect(a!.fenced).toEqual([]);
  });

  it('fences an owner that stops renewing before another node can claim, with a higher epoch', async () => {
    const [a, b] = await nodes(2);
    const first = (await a!.table.claim('worker'))!;
    a!.table.close(); // a paused owner: no more renewals
    // b tries all along; whenever it wins, a must already have stopped serving the name.
    let second: number | undefined;
    let aServedAtClaim: number | undefined;
    const started = performance.now();
    while (second === undefined) {
      const aServes = a!.table.epochOf('worker');
      second = await b!.table.claim('worker');
      aServedAtClaim = aServes;
      if (second === undefined) await sleep(20);
    }
    expect(aServedAtClaim).toBeUndefined();
    expect(performance.now() - started).toBeGreaterThan(TTL / 2);
    expect(second).toBeGreaterThan(first);
  });

  it('stops serving at once when the lease cannot be renewed, and tells its listener', async () => {
    const [a] = await nodes(1);
    const epoch = (await a!.table.claim('session:1'))!;
    // Someone else's write replaces the entry: the next renewal fails on its revision.
    await a!.kv.put(kvKey('session:1'), 'intruder');
    await a!.table.renewAll();
    expect(a!.table.epochOf('session:1')).toBeUndefined();
    expect(a!.fenced).toEqual([`session:1@${epoch}`]);
  });

  it('takes back a lease it was fenced from by an outage under the same epoch, while no other node claimed it', async () => {
    const nc = await connect({ servers: server.url });
    connections.push(nc);
    const kv = await new Kvm(nc).create(`leases-${++bucket}`, { ttl: TTL * 4, history: 1 });
    // Renewals that cannot get through (a NATS outage as the table sees it): the real bucket, with
    // its updates failing for a while.
    let down = false;
    const flaky = new Proxy(kv, {
      get: (target, key) => (key === 'update' && down ? () => Promise.reject(new Error('TIMEOUT')) : Reflect.get(target, key, target)),
    });
    const fenced: string[] = [];
    const table = new LeaseTable(flaky, 'node-0', TTL, { fenced: (n, epoch) => fenced.push(`${n}@${epoch}`) });
    tables.push(table);
    const epoch = (await table.claim('worker'))!;
    down = true;
    await sleep(TTL * 1.2);
    await table.renewAll();
    expect(fenced).toEqual([`worker@${epoch}`]);
    expect(table.epochOf('worker')).toBeUndefined();
    down = false;
    // The entry (its max age is longer here) is still this claim's: compare-and-set takes it back.
    await expect(table.claim('worker')).resolves.toBe(epoch);
    expect(table.epochOf('worker')).toBe(epoch);
    // Once someone else's write is there, only a fresh claim (a new epoch) could win.
    await kv.put(kvKey('worker'), 'intruder');
    await table.renewAll();
    expect(table.epochOf('worker')).toBeUndefined();
    await expect(table.claim('worker')).resolves.toBeUndefined();
  });

  it('releases a name so that another node may claim it at once', async () => {
    const [a, b] = await nodes(2);
    await a!.table.claim('agent');
    await a!.table.release('agent');
    await expect(b!.table.claim('agent')).resolves.toEqual(expect.any(Number));
  });

  it('gives every process name a key of its own, whatever characters it holds', () => {
    const names = ['session:ann', 'session=3a' + 'ann', 'a.b', 'a/b', 'ä', '=', 'plain-name_1'];
    const keys = names.map(kvKey);
    expect(new Set(keys).size).toBe(names.length);
    for (const key of keys) expect(key).toMatch(/^[-_=a-zA-Z0-9]+$/);
    expect(kvKey('plain-name_1')).toBe('plain-name_1');
    expect(keys.map(nameOfKvKey)).toEqual(names);
  });
});
