import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { Agent, AgentProcess, type TaskReply } from 'nestjs-genserver';
import { bootApp, sleep, type TestApp } from '../../support/app.js';
import { lastUserText, startFakeModelServer, throttledOnce, type FakeModelServer } from '../../support/fake-model-server.js';
import { startNats, type NatsServer } from '../../support/nats-server.js';

// #13: one model-gateway process per provider: a token bucket (agents.requestsPerSecond) and the
// 429 back-off hold for every agent of the app, and in a cluster for every agent of the cluster.

@Agent({ name: 'left' })
class Left extends AgentProcess {}

@Agent({ name: 'right' })
class Right extends AgentProcess {}

describe('agents: the model gateway process', () => {
  let server: FakeModelServer;
  let apps: TestApp[] = [];
  const model = () => createOpenAICompatible({ name: 'fake', baseURL: server.url })('m');
  beforeEach(async () => {
    server = await startFakeModelServer((request) => ({ text: `re: ${lastUserText(request)}` }));
  });
  afterEach(async () => {
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
    await server.close();
  });

  it('spaces the requests of every agent by the provider token bucket', async () => {
    const app = await bootApp([Left, Right], { agents: { model: model(), requestsPerSecond: { 'fake.chat': 4 } } });
    apps.push(app);
    const tasks = ['left', 'right'].flatMap((agent) => [1, 2, 3, 4].map((i) => app.runtime.call<TaskReply>(agent, { type: 'task', input: `${agent} ${i}` }, { timeout: 10_000 })));
    await Promise.all(tasks);
    const at = server.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(at).toHaveLength(8);
    // A burst of 4, then one every 250 ms: the 8th is admitted 1 s after the 1st. Measured at the
    // server, less up to 200 ms for the 1st request's own latency (its connection is set up then);
    // without the bucket the two agents' 8 requests all arrive within about 100 ms.
    expect(at[7]! - at[0]!).toBeGreaterThanOrEqual(800);
    expect(app.runtime.whereis('model-gateway:fake.chat')).toMatchObject({ type: 'genserver.model_gateway' });
  });

  it('a gateway stopped by an operator is started again by the next request', async () => {
    const app = await bootApp([Left], { agents: { model: model() } });
    apps.push(app);
    await app.runtime.call<TaskReply>('left', { type: 'task', input: 'one' }, { timeout: 10_000 });
    await app.runtime.stop('model-gateway:fake.chat');
    expect(app.runtime.whereis('model-gateway:fake.chat')).toBeUndefined();
    expect((await app.runtime.call<TaskReply>('left', { type: 'task', input: 'two' }, { timeout: 10_000 })).text).toBe('re: two');
    expect(app.runtime.whereis('model-gateway:fake.chat')).toBeDefined();
  });

  describe('in a cluster', () => {
    let nats: NatsServer;
    beforeAll(async () => {
      nats = await startNats();
    });
    afterAll(async () => {
      await nats.stop();
    });

    it('a 429 seen by an agent on one node holds back an agent on another node', async () => {
      server.script(throttledOnce('1', (request) => ({ text: `re: ${lastUserText(request)}` })));
      const cluster = (node: string) => ({ transport: 'nats' as const, servers: nats.url, node, leaseTtlMs: 2000, prefix: 'gw' });
      apps.push(await bootApp([Left], { cluster: cluster('n0'), agents: { model: model() } }));
      apps.push(await bootApp([Right], { cluster: cluster('n1'), agents: { model: model() } }));
      const [n0, n1] = apps;
      const left = n0!.runtime.call<TaskReply>('left', { type: 'task', input: 'left' }, { timeout: 10_000 });
      while (server.requests.length === 0) await sleep(5);
      await sleep(150); // the 429 has reached the gateway
      const right = n1!.runtime.call<TaskReply>('right', { type: 'task', input: 'right' }, { timeout: 10_000 });
      expect([(await left).text, (await right).text]).toEqual(['re: left', 're: right']);
      const [limited, ...after] = server.requests;
      expect(after.map(lastUserText).sort()).toEqual(['left', 'right']);
      for (const request of after) expect(request.at - limited!.at).toBeGreaterThanOrEqual(950);
      // One gateway for the cluster, wherever it runs.
      expect(n0!.runtime.whereis('model-gateway:fake.chat')?.node).toBe(n1!.runtime.whereis('model-gateway:fake.chat')?.node);
    }, 30_000);
  });
});
