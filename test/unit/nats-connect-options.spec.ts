import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenServerError } from 'nestjs-genserver';
import { readClusterOptions, type ResolvedClusterOptions } from '../../lib/cluster/cluster-options.js';
import { natsConnectOptions } from '../../lib/cluster/nats-connect-options.js';

const minimal = { transport: 'nats', servers: 'nats://127.0.0.1:4222' };

describe('natsConnectOptions', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'genserver-tls-'));
    writeFileSync(join(dir, 'ca.pem'), 'CA PEM');
    writeFileSync(join(dir, 'client.pem'), 'CERT PEM');
    writeFileSync(join(dir, 'client.key'), 'KEY PEM');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cluster = (extra: object): ResolvedClusterOptions => readClusterOptions({ ...minimal, node: 'n1', ...extra }, 'cluster');

  it('names the connection and passes servers and credentials, and no tls when none is set', async () => {
    expect(await natsConnectOptions(cluster({ user: 'app', pass: 'pw' }), 'n1 leases')).toEqual({
      servers: ['nats://127.0.0.1:4222'],
      name: 'n1 leases',
      user: 'app',
      pass: 'pw',
    });
    expect(await natsConnectOptions(cluster({ token: 'tk' }), 'x')).toEqual({ servers: ['nats://127.0.0.1:4222'], name: 'x', token: 'tk' });
  });

  it('reads the PEM files, so the connection holds their contents', async () => {
    const options = await natsConnectOptions(cluster({ tls: { ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key') } }), 'x');
    expect(options.tls).toEqual({ ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' });
    expect(await natsConnectOptions(cluster({ tls: { ca: join(dir, 'ca.pem') } }), 'x')).toMatchObject({ tls: { ca: 'CA PEM' } });
  });

  it('an empty tls still asks for TLS (verified against the system CAs)', async () => {
    expect((await natsConnectOptions(cluster({ tls: {} }), 'x')).tls).toEqual({});
  });

  it('a file that cannot be read is a GenServerError naming the option and the path', async () => {
    const missing = join(dir, 'nope.pem');
    const error = await natsConnectOptions(cluster({ tls: { ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: missing } }), 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenServerError);
    expect((error as Error).message).toContain(`cluster.tls.key names the file ${JSON.stringify(missing)}, which cannot be read: ENOENT`);
  });
});
