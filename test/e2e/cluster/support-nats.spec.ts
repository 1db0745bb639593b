import { readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { AuthorizationError, ConnectionError, TimeoutError, connect, type NatsConnection, type Status } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { startNats, type NatsServer } from '../../support/nats-server.js';
import { killHard, pause, resume } from '../../support/os-process.js';

// The test support a clustered runtime's tests stand on: nats-server with TLS and auth, restarts
// that keep JetStream data, and signals for chaos. What the official client reports here is what
// the runtime has to turn into clear errors.

describe('test support: nats-server with TLS, auth and restarts', () => {
  let server: NatsServer;
  const connections: NatsConnection[] = [];

  beforeAll(async () => {
    server = await startNats({ tls: true, user: 'node', pass: 'secret' });
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
  });
  afterAll(async () => {
    await server.stop();
  });

  const open = async (options: Parameters<typeof connect>[0] = {}) => {
    const nc = await connect({ servers: server.url, user: 'node', pass: 'secret', tls: { caFile: server.tls!.ca }, ...options });
    connections.push(nc);
    return nc;
  };

  it('serves TLS clients that log in, with the CA given as a file or as contents', async () => {
    expect(server.url).toBe(`tls://127.0.0.1:${server.port}`);
    const byFile = await open({ tls: { caFile: server.tls!.ca, certFile: server.tls!.cert, keyFile: server.tls!.key } });
    expect(byFile.info?.tls_required).toBe(true);
    await byFile.flush();
    const byContents = await open({ tls: { ca: readFileSync(server.tls!.ca, 'utf8') } });
    await byContents.flush();
  });

  it('refuses a wrong password with an AuthorizationError', async () => {
    const error = await errorOf(connect({ servers: server.url, user: 'node', pass: 'wrong', tls: { caFile: server.tls!.ca } }));
    expect(error).toBeInstanceOf(AuthorizationError);
    expect(error).toMatchObject({ name: 'AuthorizationError', message: 'Authorization Violation' });
  });

  it('refuses plaintext: the server wants a TLS handshake, the client cannot trust the server without the CA', async () => {
    // a plaintext client: the INFO says TLS is required, and anything but a handshake ends the connection
    const socket = connectTcp(server.port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString();
      if (received.includes('\r\n') && !received.includes('PONG')) socket.write('CONNECT {"user":"node","pass":"secret"}\r\nPING\r\n');
    });
    await new Promise((resolve) => socket.on('close', resolve));
    expect(received).toMatch(/^INFO .*"tls_required":true/);
    expect(received).not.toContain('PONG');
    // the official client upgrades to TLS by itself when the server requires it, so without the CA it fails verifying
    const error = await errorOf(connect({ servers: `nats://127.0.0.1:${server.port}`, user: 'node', pass: 'secret' }));
    expect(error).toMatchObject({ message: 'unable to verify the first certificate', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('keeps JetStream KV values across restart() and kill() + restart(); a reconnecting client comes back', async () => {
    const nc = await open({ maxReconnectAttempts: -1, reconnectTimeWait: 50, reconnectJitter: 0, reconnectJitterTLS: 0 });
    const kv = await new Kvm(nc).create('support-restart', { history: 1 });
    await kv.put('a', 'one');
    const reconnected = nextStatus(nc, 'reconnect');
    const pid = server.pid;
    await server.restart();
    expect(server.pid).not.toBe(pid);
    await reconnected;
    expect((await kv.get('a'))?.string()).toBe('one');

    await kv.put('b', 'two'); // nats-server 2.9 writes the file store before it acks, so a kill right after keeps it
    const again = nextStatus(nc, 'reconnect');
    await server.kill();
    const down = await errorOf(connect({ servers: server.url, user: 'node', pass: 'secret', tls: { caFile: server.tls!.ca } }));
    expect(down).toBeInstanceOf(ConnectionError);
    expect(down).toMatchObject({ message: 'connection refused', cause: { code: 'ECONNREFUSED' } });
    await server.restart();
    await again;
    expect((await kv.get('a'))?.string()).toBe('one');
    expect((await kv.get('b'))?.string()).toBe('two');
  });

  it('pauses and resumes the server, kills it hard; signals to a gone process do not throw', async () => {
    const nc = await open({ maxReconnectAttempts: -1, reconnectTimeWait: 50, reconnectJitter: 0, reconnectJitterTLS: 0 });
    const kv = await new Kvm(nc).create('support-pause', { history: 1 });
    expect(await pause(server.pid)).toBe(true);
    const stalled = await errorOf(nc.request('$JS.API.INFO', undefined, { timeout: 200 }));
    expect(stalled).toBeInstanceOf(TimeoutError);
    expect(await resume(server.pid)).toBe(true);
    await kv.put('a', 'two');
    expect((await kv.get('a'))?.string()).toBe('two');

    const gone = server.pid;
    const reconnected = nextStatus(nc, 'reconnect');
    expect(await killHard(gone)).toBe(true);
    expect(await killHard(gone)).toBe(false);
    expect(await pause(gone)).toBe(false);
    expect(await resume(gone)).toBe(false);
    await server.restart();
    await reconnected;
    expect((await kv.get('a'))?.string()).toBe('two');
  });

  it('serves token auth, and refuses a wrong token', async () => {
    const tokenServer = await startNats({ token: 's3cret' });
    try {
      expect(tokenServer.url).toBe(`nats://127.0.0.1:${tokenServer.port}`);
      const nc = await connect({ servers: tokenServer.url, token: 's3cret' });
      await nc.flush();
      await nc.close();
      const error = await errorOf(connect({ servers: tokenServer.url, token: 'wrong' }));
      expect(error).toBeInstanceOf(AuthorizationError);
    } finally {
      await tokenServer.stop();
    }
  });
});

describe('test support: nats-server that verifies client certificates', () => {
  it('serves a client with the CA-signed client certificate, and refuses one without', async () => {
    const server = await startNats({ tls: true, verify: true });
    try {
      const tls = { caFile: server.tls!.ca, certFile: server.tls!.cert, keyFile: server.tls!.key };
      const nc = await connect({ servers: server.url, tls });
      await nc.flush();
      await nc.close();
      // the server ends the handshake with an alert the client does not surface: it waits out its connect `timeout`
      const error = await errorOf(connect({ servers: server.url, tls: { caFile: server.tls!.ca }, timeout: 500 }));
      expect(error).toBeInstanceOf(TimeoutError);
    } finally {
      await server.stop();
    }
  });
});

/** What the promise rejected with (an Error saying 'connected' if it did not). */
function errorOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(() => new Error('connected'), (error: unknown) => error as Error);
}

/** Resolves at the connection's next status of this type. */
async function nextStatus(nc: NatsConnection, type: Status['type']): Promise<void> {
  for await (const status of nc.status()) if (status.type === type) return;
}
