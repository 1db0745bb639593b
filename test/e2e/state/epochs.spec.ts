import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStateStore, MemoryStateStore, NatsStateStore, RedisStateStore, StaleEpochError, type StateRecord, type StateStore } from 'nestjs-genserver';
import { startNats, type NatsServer } from '../../support/nats-server.js';
import { startRedis, type RedisServer } from '../../support/redis-server.js';

// #10 groundwork: every store refuses a record written under an older fencing epoch, atomically,
// so a paused or partitioned former owner can never overwrite a newer owner's state.

let redis: RedisServer;
let nats: NatsServer;
let dir: string;
const opened: StateStore[] = [];
beforeAll(async () => {
  redis = await startRedis();
  nats = await startNats();
  dir = mkdtempSync(join(tmpdir(), 'genserver-epochs-'));
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});
afterAll(async () => {
  await redis.stop();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const stores: [string, () => Promise<StateStore>][] = [
  ['memory', async () => new MemoryStateStore()],
  ['lmdb', () => LmdbStateStore.open(join(dir, `db${n++}`))],
  ['redis', () => RedisStateStore.connect(redis.url, `e${n++}:`)],
  ['nats', () => NatsStateStore.connect(nats.url, `e${n++}`)],
];

const record = (n: number, epoch?: number): StateRecord => ({ state: { n }, version: 1, seq: n, savedAt: Date.now(), ...(epoch === undefined ? {} : { epoch }) });

describe.each(stores)('%s store', (_name, open) => {
  async function store(): Promise<StateStore> {
    const made = await open();
    opened.push(made);
    return made;
  }

  it('refuses a record of an older epoch and keeps the newer one', async () => {
    const s = await store();
    await s.save('counter', record(10, 5));
    const error = await s.save('counter', record(3, 4)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StaleEpochError);
    expect(error).toMatchObject({ process: 'counter', epoch: 4, storedEpoch: 5 });
    await expect(s.load('counter')).resolves.toMatchObject({ state: { n: 10 }, epoch: 5 });
    await s.save('counter', record(11, 5)); // the owner itself writes again
    await s.save('counter', record(12, 9)); // a newer owner takes over
    await expect(s.save('counter', record(13, 5))).rejects.toBeInstanceOf(StaleEpochError);
    await expect(s.load('counter')).resolves.toMatchObject({ state: { n: 12 }, epoch: 9 });
  });

  it('keeps fencing after the record is deleted', async () => {
    const s = await store();
    await s.save('session', record(1, 7));
    await s.delete('session');
    await expect(s.save('session', record(2, 6))).rejects.toBeInstanceOf(StaleEpochError);
    await expect(s.load('session')).resolves.toBeUndefined();
  });

  it('fence raises the epoch before a new owner loads: a former owner cannot slip a write in between', async () => {
    const s = await store();
    await s.save('counter', record(10, 5));
    await s.fence!('counter', 8); // the new owner (epoch 8) fences, then loads
    await expect(s.load('counter')).resolves.toMatchObject({ state: { n: 10 } });
    await expect(s.save('counter', record(11, 5))).rejects.toMatchObject({ name: 'StaleEpochError', storedEpoch: 8 });
    await s.fence!('counter', 6); // never lowers it
    await expect(s.save('counter', record(12, 7))).rejects.toBeInstanceOf(StaleEpochError);
    await s.save('counter', record(13, 8));
    await expect(s.load('counter')).resolves.toMatchObject({ state: { n: 13 }, epoch: 8 });
    await s.fence!('fresh', 3); // a name with no record yet
    await expect(s.load('fresh')).resolves.toBeUndefined();
    await expect(s.save('fresh', record(1, 2))).rejects.toBeInstanceOf(StaleEpochError);
    await s.save('fresh', record(2, 3));
  });

  it('refuses a delete of an older epoch: a former owner cannot delete a newer owner\'s state', async () => {
    const s = await store();
    await s.save('ledger', record(4, 7));
    await expect(s.delete('ledger', 5)).rejects.toMatchObject({ name: 'StaleEpochError', epoch: 5, storedEpoch: 7 });
    await expect(s.load('ledger')).resolves.toMatchObject({ state: { n: 4 }, epoch: 7 });
    await s.delete('ledger', 7);
    await expect(s.load('ledger')).resolves.toBeUndefined();
    await expect(s.save('ledger', record(5, 6))).rejects.toBeInstanceOf(StaleEpochError);
  });

  it('decides writes issued at once by epoch, whatever order they land in', async () => {
    const s = await store();
    const results = await Promise.allSettled([s.save('race', record(1, 6)), s.save('race', record(2, 4))]);
    // The older epoch may land first (nothing newer was there yet) or be refused; never last.
    expect(results[0]!.status).toBe('fulfilled');
    if (results[1]!.status === 'rejected') expect(results[1]!.reason).toBeInstanceOf(StaleEpochError);
    await expect(s.load('race')).resolves.toMatchObject({ state: { n: 1 }, epoch: 6 });
  });

  it('does not compare records without epochs (a process outside a cluster)', async () => {
    const s = await store();
    await s.save('plain', record(1));
    await s.save('plain', record(2));
    await expect(s.load('plain')).resolves.toMatchObject({ state: { n: 2 } });
    expect((await s.load('plain'))!.epoch).toBeUndefined();
  });

  it('loads, lists and deletes records by process name, any name', async () => {
    const s = await store();
    await s.save('session:ann', record(1));
    await s.save('cache', record(2, 3));
    await expect(s.load('session:ann')).resolves.toMatchObject({ state: { n: 1 } });
    expect((await s.list()).sort()).toEqual(['cache', 'session:ann']);
    await s.delete('cache');
    await expect(s.load('cache')).resolves.toBeUndefined();
    expect(await s.list()).toEqual(['session:ann']);
  });
});
