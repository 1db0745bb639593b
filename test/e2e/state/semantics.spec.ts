import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GenServer,
  GenServerProcess,
  HandleCall,
  HandleCast,
  LmdbStateStore,
  ProcessCrashedError,
  ProcessInitError,
  StateMigrationError,
  StateVersionError,
  CorruptStateError,
  type CrashedEvent,
  type StateStore,
} from 'nestjs-genserver';
import { bootApp, gate, nextEvent, sleep } from '../../support/app.js';
import { ControlledStore, DurableCounter } from '../../support/stateful.js';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'genserver-semantics-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const underRoot = (child: object, extra: object = {}) => ({ supervision: { name: 'root', maxRestarts: 10, children: [child as never] }, ...extra });

describe('durable replies', () => {
  it('answer a call only once the checkpoint that includes it is stored', async () => {
    const t = await bootApp([ControlledStore, DurableCounter], underRoot({ name: 'c', type: DurableCounter, durableReplies: true, checkpoint: 'manual' }, { stateStore: ControlledStore }));
    const store = t.app.get(ControlledStore);
    const held = gate();
    store.hold = held.promise;
    let answered = false;
    const reply = t.runtime.call<number>('c', { type: 'inc' }).then((n) => ((answered = true), n));
    await sleep(30);
    expect(answered).toBe(false); // the write is held back, so is the reply
    held.open();
    expect(await reply).toBe(1);
    expect(store.saved).toEqual([{ name: 'c', seq: 1 }]);
    expect((await store.load('c'))?.state).toEqual({ n: 1, label: 'fresh' });
    await t.close();
  });

  it('fail with ProcessCrashedError when the store refuses the write, and the process crashes by the supervisor\'s rules', async () => {
    const t = await bootApp([ControlledStore, DurableCounter], underRoot({ name: 'c', type: DurableCounter, durableReplies: true }, { stateStore: ControlledStore }));
    const store = t.app.get(ControlledStore);
    await t.runtime.call('c', { type: 'inc' });
    store.failSaves = true;
    const restarted = nextEvent(t.runtime.events$, (e) => e.type === 'restarted');
    const error = await t.runtime.call('c', { type: 'inc' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessCrashedError);
    expect(((error as Error).cause as Error).message).toBe('disk full');
    store.failSaves = false;
    await restarted;
    // Restored from the last checkpoint that was stored: the refused increment is not there.
    expect(await t.runtime.call('c', { type: 'get' })).toEqual({ n: 1, label: 'fresh' });
    expect(t.events.some((e) => e.type === 'crashed' && (e.reason as Error).message === 'disk full')).toBe(true);
    await t.close();
  });
});

describe('state versions', () => {
  @GenServer({ type: 'profile', stateVersion: 1 })
  class ProfileV1 extends GenServerProcess<{ fullName: string }> {
    override init(_a: unknown, restored?: { fullName: string }) {
      this.state = restored ?? { fullName: 'Ada Lovelace' };
    }
    @HandleCall('get') get() {
      return this.state;
    }
  }

  @GenServer({ type: 'profile', stateVersion: 2 })
  class ProfileV2 extends GenServerProcess<{ first: string; last: string }> {
    override init(_a: unknown, restored?: { first: string; last: string }) {
      this.state = restored ?? { first: '', last: '' };
    }
    override migrateState(old: { fullName: string }, fromVersion: number) {
      if (fromVersion !== 1) throw new Error(`no migration from ${fromVersion}`);
      const [first = '', last = ''] = old.fullName.split(' ');
      return { first, last };
    }
    @HandleCall('get') get() {
      return this.state;
    }
  }

  @GenServer({ type: 'profile', stateVersion: 2 })
  class BrokenMigration extends GenServerProcess {
    override migrateState(): never {
      throw new Error('cannot split the name');
    }
  }

  it('migrate a v1 record to v2 on start; a newer record or a failed migration fails the start and leaves the record untouched', async () => {
    const stateStore = { type: 'lmdb' as const, path: join(dir, 'versions') };
    const v1 = await bootApp([ProfileV1], underRoot({ name: 'p', type: 'profile' }, { stateStore }));
    await v1.runtime.call('p', { type: 'get' }); // a message applied: checkpointed as version 1
    await v1.close();

    const broken = await bootApp([BrokenMigration], underRoot({ name: 'p', type: 'profile' }, { stateStore })).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(ProcessInitError);
    expect((broken as Error).cause).toBeInstanceOf(StateMigrationError);
    expect((broken as Error).message).toContain('could not be migrated from version 1 to 2: cannot split the name; the record is left untouched');

    const v2 = await bootApp([ProfileV2], underRoot({ name: 'p', type: 'profile' }, { stateStore }));
    expect(await v2.runtime.call('p', { type: 'get' })).toEqual({ first: 'Ada', last: 'Lovelace' });
    await v2.close(); // now stored as version 2

    const old = await bootApp([ProfileV1], underRoot({ name: 'p', type: 'profile' }, { stateStore })).catch((e: unknown) => e);
    expect((old as Error).cause).toBeInstanceOf(StateVersionError);
    const store = await LmdbStateStore.open(stateStore.path);
    expect(await store.load('p')).toMatchObject({ version: 2, state: { first: 'Ada', last: 'Lovelace' } });
    await store.close();
  });
});

describe('checkpoint policies and stopping', () => {
  it("'manual' saves only on this.checkpoint(); deleteStateOnStop removes the record on a normal stop", async () => {
    const t = await bootApp([ControlledStore, DurableCounter], underRoot({ name: 'c', type: DurableCounter, checkpoint: 'manual', deleteStateOnStop: true }, { stateStore: ControlledStore }));
    const store = t.app.get(ControlledStore);
    for (let i = 0; i < 3; i++) await t.runtime.cast('c', { type: 'inc' });
    expect(await t.runtime.call('c', { type: 'get' })).toMatchObject({ n: 3 });
    expect(store.saved).toEqual([]);
    expect(await t.runtime.call('c', { type: 'checkpoint' })).toBe(3);
    await sleep(5);
    expect(store.saved).toEqual([{ name: 'c', seq: 5 }]); // 3 casts, the get, the checkpoint call
    await t.runtime.stop('c');
    expect(await store.list()).toEqual([]);
    await t.close();
  });

  it('{ intervalMs } saves changed state between handlers', async () => {
    const t = await bootApp([ControlledStore, DurableCounter], underRoot({ name: 'c', type: DurableCounter, checkpoint: { intervalMs: 20 } }, { stateStore: ControlledStore }));
    const store = t.app.get(ControlledStore);
    await t.runtime.cast('c', { type: 'inc' });
    await sleep(60);
    expect(store.saved.length).toBe(1);
    expect((await store.load('c'))?.state).toEqual({ n: 1, label: 'fresh' });
    await t.close();
  });
});

describe('redaction', () => {
  @GenServer({ type: 'agent', redact: ['apiKey'] })
  class Agent extends GenServerProcess<{ model: string; credentials: { apiKey: string } }> {
    override init() {
      this.state = { model: 'gpt', credentials: { apiKey: 'sk-secret-123' } };
    }
    @HandleCast('crash') crash() {
      throw new Error('bad tool output');
    }
  }

  it('keeps secrets in state out of status, crash logs and events', async () => {
    const t = await bootApp([Agent], underRoot({ name: 'a', type: Agent }));
    expect(t.runtime.status('a').state).toEqual({ model: 'gpt', credentials: { apiKey: '[redacted]' } });
    const crashed = nextEvent(t.runtime.events$, (e): e is CrashedEvent => e.type === 'crashed');
    await t.runtime.cast('a', { type: 'crash' });
    expect((await crashed).state).toEqual({ model: 'gpt', credentials: { apiKey: '[redacted]' } });
    const log = t.logger.at('error').find((l) => l.context === 'a')!.message;
    expect(log).toContain('crashed while handling message "crash"');
    expect(log).toContain('"apiKey":"[redacted]"');
    expect(JSON.stringify(t.logger.lines)).not.toContain('sk-secret-123');
    await t.close();
  });
});

describe('stores in a YAML topology', () => {
  it('apply per subtree and per process', async () => {
    const file = join(dir, 'topology.yaml');
    writeFileSync(
      file,
      [
        'genserver:',
        '  supervision:',
        '    name: root',
        `    state_store: { type: lmdb, path: ${join(dir, 'yaml-db')} }`,
        '    children:',
        '      - name: kept',
        '        type: counter',
        '        checkpoint: { every_n: 2 }',
        '      - name: volatile',
        '        type: counter',
        '        state_store: { type: memory }',
        '',
      ].join('\n'),
    );
    const first = await bootApp([DurableCounter], { topology: file });
    for (const name of ['kept', 'volatile']) for (let i = 0; i < 3; i++) await first.runtime.cast(name, { type: 'inc' });
    await first.close();
    const second = await bootApp([DurableCounter], { topology: file });
    expect(await second.runtime.call('kept', { type: 'get' })).toMatchObject({ n: 3 });
    expect(await second.runtime.call('volatile', { type: 'get' })).toMatchObject({ n: 0 });
    await second.close();
  });
});

describe('found in review', () => {
  @GenServer({ type: 'account' })
  class Account extends GenServerProcess<{ balance: number; waiting?: unknown }> {
    override init(_a: unknown, restored?: { balance: number }) {
      this.state = restored ?? { balance: 100 };
    }
    @HandleCall('debit') debit(msg: { type: 'debit'; amount: number }) {
      this.state.balance -= msg.amount;
      if (msg.amount > 50) throw new Error('limit exceeded, after the balance changed');
      return this.state.balance;
    }
    @HandleCall('get') get() {
      return this.state.balance;
    }
  }

  it('a memory store never shares its record with the process: a crash cannot change what is restored', async () => {
    const t = await bootApp([Account], underRoot({ name: 'acc', type: Account }, { stateStore: { type: 'memory' } }));
    expect(await t.runtime.call('acc', { type: 'debit', amount: 10 })).toBe(90);
    for (let i = 0; i < 2; i++) {
      const restarted = nextEvent(t.runtime.events$, (e) => e.type === 'restarted');
      await t.runtime.call('acc', { type: 'debit', amount: 60 }).catch(() => undefined);
      await restarted;
      expect(await t.runtime.call('acc', { type: 'get' })).toBe(90);
    }
    await t.close();
  });

  it('after a refused write, no later state of that incarnation is written or acknowledged', async () => {
    const t = await bootApp([ControlledStore, Account], underRoot({ name: 'acc', type: Account, durableReplies: true }, { stateStore: ControlledStore }));
    const store = t.app.get(ControlledStore);
    const held = gate();
    store.hold = held.promise;
    const first = t.runtime.call('acc', { type: 'debit', amount: 30 }).catch((e: unknown) => e);
    const second = t.runtime.call('acc', { type: 'debit', amount: 1 }).catch((e: unknown) => e);
    await sleep(10);
    store.failSaves = true;
    held.open();
    expect(await first).toBeInstanceOf(ProcessCrashedError);
    expect(await second).toBeInstanceOf(ProcessCrashedError);
    store.failSaves = false;
    await nextEvent(t.runtime.events$, (e) => e.type === 'restarted');
    expect(await t.runtime.call('acc', { type: 'get' })).toBe(100);
    await t.close();
  });

  it('keeps secrets inside Sets and deep structures out of status, and corrupt-record reports free of record text', async () => {
    @GenServer({ type: 'vault', redact: ['apiKey'] })
    class Vault extends GenServerProcess {
      override init() {
        this.state = { keys: new Set([{ apiKey: 'sk-in-a-set' }]) };
      }
    }
    const t = await bootApp([Vault], underRoot({ name: 'v', type: Vault }));
    expect(JSON.stringify([...(t.runtime.status('v').state as { keys: Set<unknown> }).keys])).not.toContain('sk-in-a-set');
    await t.close();

    const path = join(dir, 'leak');
    const direct = await LmdbStateStore.open(path);
    await direct.putRaw('v', '{"v":1,"seq":1,"at":1,"state":{"apiKey":"sk-live-SECRET"}');
    await direct.close();
    const u = await bootApp([Vault], underRoot({ name: 'v', type: Vault }, { stateStore: { type: 'lmdb', path } }));
    expect(JSON.stringify(u.events) + JSON.stringify(u.logger.lines)).not.toContain('sk-live-SECRET');
    expect(u.events.find((e) => e.type === 'state-corrupt')).toMatchObject({ reason: 'not valid JSON' });
    await u.close();
  });

  it('starts from init when a store without moveAside cannot read a record, and says the record stays until replaced', async () => {
    const minimal: StateStore = {
      load: async (name) => {
        throw new CorruptStateError(name, 'not valid JSON');
      },
      save: async () => undefined,
      delete: async () => undefined,
      list: async () => [],
      close: async () => undefined,
    };
    const t = await bootApp([DurableCounter], underRoot({ name: 'c', type: DurableCounter }, { stateStore: minimal }));
    expect(await t.runtime.call('c', { type: 'get' })).toEqual({ n: 0, label: 'fresh' });
    expect(t.logger.at('error').some((l) => /cannot move it aside, so the next checkpoint will replace it/.test(l.message))).toBe(true);
    await t.close();
  });
});
