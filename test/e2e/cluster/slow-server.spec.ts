import { GenServer, GenServerProcess, HandleCall } from 'nestjs-genserver';
import { bootApp, type TestApp } from '../../support/app.js';
import { startLatencyProxy, type LatencyProxy } from '../../support/latency-proxy.js';
import { startNats, type NatsServer } from '../../support/nats-server.js';

// A loaded server (CI's first minutes) answers JetStream's set-up requests slower than a lease
// renewal period: a node must still join. Only lease and heartbeat writes give up that early.

const TTL = 600;

@GenServer('greeter')
class Greeter extends GenServerProcess<null> {
  @HandleCall('hi') hi() {
    return 'hello';
  }
}

describe('a cluster node on a slow server', () => {
  let nats: NatsServer;
  let proxy: LatencyProxy;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    nats = await startNats();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await proxy.close();
  });
  afterAll(async () => {
    await nats.stop();
  });

  it('joins when every reply takes longer than a renewal period, and serves once the server is quick again', async () => {
    proxy = await startLatencyProxy({ host: '127.0.0.1', port: nats.port }, TTL / 3 + 150);
    const slow = await bootApp([Greeter], {
      cluster: { transport: 'nats', servers: proxy.url, node: 'slow', leaseTtlMs: TTL, prefix: 'slow' },
      supervision: { name: 'root', strategy: 'one_for_one', children: [{ name: 'greeter', type: Greeter }] },
    });
    apps.push(slow);
    proxy.delayMs = 0;
    const other = await bootApp([Greeter], { cluster: { transport: 'nats', servers: nats.url, node: 'quick', leaseTtlMs: TTL, prefix: 'slow' } });
    apps.push(other);
    // A claim sent while replies were late may have landed unseen: it is taken once that entry ends.
    const deadline = performance.now() + TTL * 5;
    const owner = (app: TestApp) => app.runtime.whereis('greeter')?.node;
    const served = () => owner(slow) !== undefined && owner(slow) === owner(other);
    while (!served() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await expect(slow.runtime.call('greeter', { type: 'hi' })).resolves.toBe('hello');
    expect(served()).toBe(true);
    await expect(other.runtime.call('greeter', { type: 'hi' })).resolves.toBe('hello');
  });
});
