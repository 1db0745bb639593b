import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../support/free-port.js';
import { startNats, type NatsServer } from '../support/nats-server.js';

// #10: the sample as `npm run start:cluster` runs it — three built instances (real OS processes)
// joined through a real nats-server by the environment alone (NATS_URL, GENSERVER_NODE, PORT): one
// rate limiter for the three ports.

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
/** The bucket's size for this test (RATE_LIMIT_CAPACITY), with no refill, so the count is exact. */
const CAPACITY = 30;

interface Instance {
  node: string;
  url: string;
  /** What it printed, for the error when it does not start. */
  output: string;
  stop(): Promise<void>;
}

interface AcquireReply {
  ok: boolean;
  remaining: number;
  limiterNode?: string;
  httpNode?: string;
}

interface ClusterView {
  node: string | null;
  nodes: { node: string; processes: string[] }[];
  rateLimiter: { node: string | null; epoch: number | null } | null;
}

/** The sample as `npm run build:apps` builds it, on the library `npm test` has just built into dist/. */
async function buildSample(): Promise<void> {
  if (!existsSync(`${root}/dist/index.js`)) throw new Error('dist/ is missing: `npm test` builds it first (npm run build)');
  await run(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.apps.json'], { cwd: root });
  cpSync(`${root}/sample/config`, `${root}/out/sample/config`, { recursive: true });
}

/** `node out/sample/main.js` as node `node` of the cluster on `natsUrl`; resolves once it listens. */
async function startInstance(node: string, natsUrl: string): Promise<Instance> {
  const port = await freePort();
  const env = {
    ...process.env,
    NATS_URL: natsUrl,
    GENSERVER_NODE: node,
    PORT: String(port),
    RATE_LIMIT_CAPACITY: String(CAPACITY),
    RATE_LIMIT_REFILL: '0',
    OTEL_SDK_DISABLED: 'true',
  };
  const child = spawn(process.execPath, ['out/sample/main.js'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const instance: Instance = {
    node,
    url: `http://127.0.0.1:${port}`,
    output: '',
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(escalate);
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not listen within 15 s`), 15_000);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${node} ${why}:\n${instance.output}`));
    };
    const exitedEarly = (code: number | null, signal: string | null) => fail(`exited (${signal ?? code}) before it listened`);
    child.once('exit', exitedEarly);
    const read = (chunk: Buffer) => {
      instance.output += chunk.toString();
      if (!instance.output.includes('Sample app listening on')) return;
      clearTimeout(timer);
      child.off('exit', exitedEarly);
      resolve();
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
  });
  return instance;
}

async function acquire(instance: Instance): Promise<AcquireReply> {
  const response = await fetch(`${instance.url}/acquire`, { method: 'POST' });
  expect(response.status).toBe(200);
  return (await response.json()) as AcquireReply;
}

async function clusterView(instance: Instance): Promise<ClusterView> {
  return (await (await fetch(`${instance.url}/cluster`)).json()) as ClusterView;
}

/** The views of every instance once they all see three nodes and one owner of the rate limiter (at most 5 s). */
async function agreedViews(instances: Instance[]): Promise<ClusterView[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const views = await Promise.all(instances.map(clusterView));
    const owners = new Set(views.map((v) => JSON.stringify(v.rateLimiter)));
    const agreed = views.every((v) => v.nodes.length === 3 && v.rateLimiter?.node) && owners.size === 1;
    if (agreed || Date.now() > deadline) return views;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('npm run start:cluster: three sample instances, one rate limiter', () => {
  let nats: NatsServer;
  let instances: Instance[] = [];

  beforeAll(async () => {
    [nats] = await Promise.all([startNats(), buildSample()]);
    instances = await Promise.all(['api-1', 'api-2', 'api-3'].map((node) => startInstance(node, nats.url)));
  }, 30_000);
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await nats?.stop();
  });

  it('GET /cluster on every port: the three nodes, and the same owner of the rate limiter', async () => {
    const views = await agreedViews(instances);
    const owner = views[0]!.rateLimiter!;
    expect(['api-1', 'api-2', 'api-3']).toContain(owner.node);
    expect(owner.epoch).toEqual(expect.any(Number));
    views.forEach((view, i) => {
      expect(view.node).toBe(instances[i]!.node);
      // this node first, then the others
      expect(view.nodes.map((n) => n.node)).toEqual([instances[i]!.node, ...instances.map((x) => x.node).filter((n) => n !== instances[i]!.node)]);
      expect(view.rateLimiter).toEqual(owner);
      expect(view.nodes.find((n) => n.node === owner.node)!.processes).toContain('rate_limiter');
    });
  });

  it('POST /acquire on any port draws from the one bucket: CAPACITY tokens in all, then refused on every port', async () => {
    const [view] = await agreedViews(instances);
    const owner = view!.rateLimiter!.node;
    const replies = await Promise.all(Array.from({ length: CAPACITY }, (_, i) => acquire(instances[i % 3]!)));
    expect(replies.every((r) => r.ok)).toBe(true);
    // each token handed out once: the counts left are CAPACITY - 1 … 0, whichever port took the request
    expect(replies.map((r) => r.remaining).sort((a, b) => a - b)).toEqual(Array.from({ length: CAPACITY }, (_, i) => i));
    replies.forEach((reply, i) => expect(reply).toMatchObject({ limiterNode: owner, httpNode: instances[i % 3]!.node }));
    for (const instance of instances) {
      expect(await acquire(instance)).toEqual({ ok: false, remaining: 0, limiterNode: owner, httpNode: instance.node });
    }
  });
});
