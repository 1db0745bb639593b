import { InvalidOptionError, NatsStateStore, type GenServerModuleOptions } from 'nestjs-genserver';
import type { ClusterOptions } from '../../../lib/interfaces/cluster-options.interface.js';
import { bootApp, nextEvent } from '../../support/app.js';
import { startNats, type NatsServer } from '../../support/nats-server.js';
import { DurableCounter } from '../../support/stateful.js';

// #10: `stateStore: { type: 'nats' }` without servers goes through the module's cluster options:
// its servers, credentials and TLS, and a bucket named after its prefix.

// A CA and a server certificate for 127.0.0.1 valid until 2126, made once with openssl (the CA's key
// was thrown away): a nats-server started with them is one only a client trusting ca.pem can verify.

const boot = (options: GenServerModuleOptions, checkpoint?: unknown) =>
  bootApp([DurableCounter], {
    stateStore: { type: 'nats' },
    ...options,
    supervision: { name: 'root', maxRestarts: 10, children: [{ name: 'c', type: DurableCounter, ...(checkpoint ? { checkpoint } : {}) } as never] },
  });

async function count(options: GenServerModuleOptions, casts: number): Promise<void> {
  const t = await boot(options, 'manual');
  for (let i = 0; i < casts; i++) await t.runtime.cast('c', { type: 'inc' });
  await t.close(); // an orderly stop saves what changed since the last checkpoint
}

async function restored(options: GenServerModuleOptions): Promise<unknown> {
  const t = await boot(options);
  try {
    return await t.runtime.call('c', { type: 'get' });
  } finally {
    await t.close();
  }
}

describe('a nats state store on the cluster connection', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(() => nats.stop());

  const cluster = (extra: Partial<ClusterOptions> = {}): ClusterOptions => ({ transport: 'nats', servers: nats.url, node: 'n1', ...extra });

  it('saves into <prefix>-state, and a second app instance restores what the first left', async () => {
    await count({ cluster: cluster({ prefix: 'shop' }) }, 7);
    const direct = await NatsStateStore.connect(nats.url, 'shop-state');
    await expect(direct.load('c')).resolves.toMatchObject({ state: { n: 7, label: 'fresh' } });
    await direct.close();
    expect(await restored({ cluster: cluster({ prefix: 'shop' }) })).toEqual({ n: 7, label: 'fresh' });
  });

  it('without a prefix, the bucket is genserver-state; a bucket given in the spec is used as named', async () => {
    await count({ cluster: cluster() }, 2);
    await count({ cluster: cluster(), stateStore: { type: 'nats', bucket: 'mine' } }, 5);
    const [standard, mine] = await Promise.all([NatsStateStore.connect(nats.url), NatsStateStore.connect(nats.url, 'mine')]);
    await expect(standard.load('c')).resolves.toMatchObject({ state: { n: 2 } });
    await expect(mine.load('c')).resolves.toMatchObject({ state: { n: 5 } });
    await Promise.all([standard.close(), mine.close()]);
  });

  it('a crashed process continues from its last checkpoint', async () => {
    const t = await boot({ cluster: cluster({ prefix: 'crash' }) });
    for (let i = 0; i < 25; i++) await t.runtime.cast('c', { type: 'inc' });
    const restarted = nextEvent(t.runtime.events$, (e) => e.type === 'restarted');
    await t.runtime.cast('c', { type: 'crash' });
    await restarted;
    expect(await t.runtime.call('c', { type: 'get' })).toEqual({ n: 25, label: 'fresh' });
    await t.close();
  });

  it.each([
    ['a bucket NATS cannot name', { type: 'nats', bucket: 'my.state' }],
    ['an empty server list', { type: 'nats', servers: [] }],
    ['a server that is no string', { type: 'nats', servers: [4222] }],
  ])('%s is refused at boot with an InvalidOptionError', async (_title, stateStore) => {
    const error = await boot({ cluster: cluster(), stateStore: stateStore as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('stateStore');
    expect((error as Error).message).toContain("{ type: 'nats', servers?, bucket? }");
  });

  it('with neither servers nor a cluster, the boot fails with an InvalidOptionError', async () => {
    const error = await boot({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('stateStore');
    expect((error as Error).message).toContain('type: nats needs servers, or a cluster');
  });
});

describe('credentials and TLS come from the cluster options', () => {
  it('a server that requires a user and password is reached with the cluster user and pass', async () => {
    const nats = await startNats({ user: 'app', pass: 's3cret' });
    try {
      const cluster: ClusterOptions = { transport: 'nats', servers: nats.url, user: 'app', pass: 's3cret' };
      await count({ cluster }, 3);
      expect(await restored({ cluster })).toEqual({ n: 3, label: 'fresh' });
      const refused = await boot({ cluster: { ...cluster, pass: 'wrong' } }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error).message).toMatch(/authoriz/i);
    } finally {
      await nats.stop();
    }
  });

  it('a TLS server is reached only when its certificate verifies against tls.ca', async () => {
    const nats = await startNats({ tls: true });
    try {
      const cluster: ClusterOptions = { transport: 'nats', servers: nats.url, tls: { ca: nats.tls!.ca } };
      await count({ cluster }, 4);
      expect(await restored({ cluster })).toEqual({ n: 4, label: 'fresh' });
      // Without the CA the certificate cannot be verified, and nothing connects.
      const unverified = await boot({ cluster: { ...cluster, tls: {} } }).catch((e: unknown) => e);
      expect(unverified).toBeInstanceOf(Error);
      expect((unverified as Error).message).toMatch(/certificate/i);
    } finally {
      await nats.stop();
    }
  });

  it('a TLS file that cannot be read fails the start, naming the option and the path', async () => {
    const error = await boot({ cluster: { transport: 'nats', servers: 'nats://127.0.0.1:1', tls: { ca: '/nonexistent/ca.pem' } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('cluster.tls.ca names the file "/nonexistent/ca.pem", which cannot be read');
  });
});
