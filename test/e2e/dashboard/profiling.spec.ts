import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import request from 'supertest';
import { GenServer, GenServerProcess, HandleCall, HandleCast, InvalidOptionError, NoSuchProcessError, ProcessCrashedError, type GenServerModuleOptions, type ProcessStatus, type TreeNode } from 'nestjs-genserver';
import { GenServerDashboardModule, type DashboardSnapshot, type DashboardTreeNode } from 'nestjs-genserver/dashboard';
import { bootApp, gate, sleep, type TestApp } from '../../support/app.js';
import { startNats, type NatsServer } from '../../support/nats-server.js';
import { readEvents } from '../../support/dashboard-events.js';

// runtime.startProfiling(): handler times, the age of the oldest waiting message and trace ids in
// status()/tree(); the dashboard profiles while a page is connected and sends the union of top-N
// views and a tree cut to 100 children per supervisor. Bounds are generous: CI has 2 slow CPUs.

/** Holds every `hold` handler until the test opens it; a fresh gate per test. */
const release = { current: gate() };

@GenServer()
class Worker extends GenServerProcess {
  /** Busy-waits `ms`: work a profiler must see whatever the event loop does. */
  @HandleCall('spin') spin(msg: { type: 'spin'; ms: number }) {
    const end = performance.now() + msg.ms;
    while (performance.now() < end);
    return true;
  }
  @HandleCall('wait') async wait(msg: { type: 'wait'; ms: number }) {
    await sleep(msg.ms);
    return true;
  }
  @HandleCall('ping') ping() {
    return 'pong';
  }
  @HandleCast('hold') async hold() {
    await release.current.promise;
  }
  @HandleCast('note') note() {}
  @HandleCast('boom') boomCast(): never {
    throw new Error('cast kaput');
  }
  @HandleCall('boom') boom(): never {
    throw new Error('call kaput');
  }
}

const TOPOLOGY: GenServerModuleOptions = { supervision: { name: 'root', strategy: 'one_for_one', children: [{ name: 'pool', type: 'dynamic_supervisor', maxRestarts: 10_000, withinMs: 1000 }] } };
const PROFILE_FIELDS = ['handlerMs', 'oldestMs', 'traceIds'] as const;

function findNode(node: TreeNode | DashboardTreeNode | undefined, name: string): (TreeNode & DashboardTreeNode) | undefined {
  if (node === undefined) return undefined;
  if (node.name === name) return node as TreeNode & DashboardTreeNode;
  for (const child of node.children ?? []) {
    const found = findNode(child, name);
    if (found) return found;
  }
  return undefined;
}

/** Polls `check` every 10 ms for up to `ms`; returns whether it came true. */
async function until(check: () => boolean, ms = 3000): Promise<boolean> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) return false;
    await sleep(10);
  }
  return true;
}

/** Unhandled rejections seen while a test runs (none expected). */
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

describe('runtime.startProfiling()', () => {
  let app: TestApp;
  beforeAll(() => process.on('unhandledRejection', onRejection));
  afterAll(() => process.off('unhandledRejection', onRejection));
  beforeEach(() => {
    release.current = gate();
    rejections.length = 0;
  });
  afterEach(async () => {
    release.current.open();
    await app?.close();
    expect(rejections).toEqual([]);
  });

  async function boot(): Promise<TestApp> {
    app = await bootApp([Worker], TOPOLOGY);
    return app;
  }
  const start = (name: string) => app.runtime.start(Worker, { name, supervisor: 'pool' });

  it('is off by default: status() and tree() tell no handler time, message age or trace ids', async () => {
    await boot();
    await start('w');
    for (let i = 0; i < 5; i++) await app.runtime.call('w', { type: 'spin', ms: 1 });
    await app.runtime.cast('w', { type: 'hold' });
    await app.runtime.cast('w', { type: 'note' });
    await sleep(30);
    const status = app.runtime.status('w');
    expect(status.mailbox).toBe(1);
    for (const field of PROFILE_FIELDS) expect(status).not.toHaveProperty(field);
    const node = findNode(app.runtime.tree(), 'w')!;
    expect(node.mailbox).toBe(1);
    for (const field of PROFILE_FIELDS) expect(node).not.toHaveProperty(field);
  });

  it('times handlers: p50 of ~3 ms of busy work and of an async ~20 ms wait are in range, p99 ≥ p50; tree nodes tell it too', async () => {
    await boot();
    await start('busy');
    await start('sleepy');
    const handle = app.runtime.startProfiling();
    // Profiling on, nothing handled yet: no handler time rather than a made-up one.
    expect(app.runtime.status('busy')).not.toHaveProperty('handlerMs');
    for (let i = 0; i < 10; i++) await app.runtime.call('busy', { type: 'spin', ms: 3 });
    for (let i = 0; i < 5; i++) await app.runtime.call('sleepy', { type: 'wait', ms: 20 });
    const busy = app.runtime.status('busy').handlerMs!;
    expect(busy).toBeDefined();
    expect(busy.p50).toBeGreaterThanOrEqual(2); // a bucket is at most 25% wide: 3 ms reads ≥ 2.5 ms
    expect(busy.p50).toBeLessThan(1000);
    expect(busy.p99).toBeGreaterThanOrEqual(busy.p50);
    const sleepy = app.runtime.status('sleepy').handlerMs!;
    expect(sleepy.p50).toBeGreaterThanOrEqual(15); // the async handler's whole await is its time
    expect(sleepy.p50).toBeLessThan(1000);
    expect(sleepy.p99).toBeGreaterThanOrEqual(sleepy.p50);
    // The two are told apart: the sleeper's handlers took longer than the spinner's.
    expect(sleepy.p50).toBeGreaterThan(busy.p50);
    const tree = app.runtime.tree();
    expect(findNode(tree, 'busy')!.handlerMs).toEqual(expect.objectContaining({ p50: expect.any(Number), p99: expect.any(Number) }));
    expect(findNode(tree, 'busy')!.handlerMs!.p50).toBeGreaterThanOrEqual(2);
    expect(findNode(tree, 'sleepy')!.handlerMs!.p50).toBeGreaterThanOrEqual(15);
    // Nothing queued: no age of an oldest message.
    expect(app.runtime.status('busy')).not.toHaveProperty('oldestMs');
    handle.stop();
  });

  it('tells the age of the oldest waiting message, gone once the mailbox drains', async () => {
    await boot();
    await start('held');
    const handle = app.runtime.startProfiling();
    await sleep(300); // profiling began well before the messages came: their age is from their arrival
    const queued = performance.now();
    await app.runtime.cast('held', { type: 'hold' }); // running, blocked
    for (let i = 0; i < 3; i++) await app.runtime.cast('held', { type: 'note' });
    await sleep(300);
    const waited = performance.now() - queued;
    const status = app.runtime.status('held');
    expect(status.mailbox).toBe(3);
    expect(status.oldestMs).toBeGreaterThanOrEqual(200);
    expect(status.oldestMs).toBeLessThanOrEqual(waited + 100); // stamped at arrival by a 10 ms clock, not from when profiling began (~300 ms more)
    const node = findNode(app.runtime.tree(), 'held')!;
    expect(node.oldestMs).toBeGreaterThanOrEqual(200);
    release.current.open();
    expect(await until(() => app.runtime.status('held').mailbox === 0)).toBe(true);
    await app.runtime.call('held', { type: 'ping' }); // the notes are handled by now
    expect(app.runtime.status('held')).not.toHaveProperty('oldestMs');
    expect(findNode(app.runtime.tree(), 'held')).not.toHaveProperty('oldestMs');
    expect(app.runtime.status('held').handlerMs!.p99).toBeGreaterThanOrEqual(200); // the held handler was timed
    handle.stop();
  });

  it('stamps an arrival right after a long synchronous handler with the time it came, not the time before the handler', async () => {
    await boot();
    await start('spinner');
    await start('held');
    const handle = app.runtime.startProfiling();
    await app.runtime.cast('held', { type: 'hold' });
    await sleep(50);
    // The event loop is blocked 300 ms by the spinner; the note arrives right after, before any timer runs.
    await app.runtime.call('spinner', { type: 'spin', ms: 300 });
    await app.runtime.cast('held', { type: 'note' });
    const status = app.runtime.status('held');
    expect(status.mailbox).toBe(1);
    expect(status.oldestMs).toBeDefined();
    expect(status.oldestMs).toBeLessThan(100); // it has just arrived: not the ~300 ms of the blocked loop
    handle.stop();
  });

  it('counts a message queued before profiling began from when it began', async () => {
    await boot();
    await start('held');
    await app.runtime.cast('held', { type: 'hold' });
    await app.runtime.cast('held', { type: 'note' }); // queued while profiling is off
    await sleep(400);
    const handle = app.runtime.startProfiling();
    const began = performance.now();
    await sleep(150);
    const status = app.runtime.status('held');
    const since = performance.now() - began;
    expect(status.mailbox).toBe(1);
    expect(status.oldestMs).toBeDefined();
    expect(status.oldestMs).toBeGreaterThanOrEqual(100);
    expect(status.oldestMs).toBeLessThanOrEqual(since + 30); // not the 550 ms it really waited, nor performance.now()
    handle.stop();
  });

  it('keeps profiling on until every handle is stopped; a second stop() changes nothing', async () => {
    await boot();
    await start('w');
    const first = app.runtime.startProfiling();
    const second = app.runtime.startProfiling();
    await app.runtime.call('w', { type: 'spin', ms: 1 });
    expect(app.runtime.status('w').handlerMs).toBeDefined();
    first.stop();
    await app.runtime.call('w', { type: 'spin', ms: 1 });
    expect(app.runtime.status('w').handlerMs).toBeDefined();
    first.stop(); // idempotent: must not count as the second handle's stop
    expect(app.runtime.status('w').handlerMs).toBeDefined();
    second.stop();
    for (const field of PROFILE_FIELDS) expect(app.runtime.status('w')).not.toHaveProperty(field);
    expect(findNode(app.runtime.tree(), 'w')).not.toHaveProperty('handlerMs');
    second.stop();
    await app.runtime.call('w', { type: 'spin', ms: 1 });
    expect(app.runtime.status('w')).not.toHaveProperty('handlerMs');
    // Started again: a fresh profile, nothing left over from before.
    const third = app.runtime.startProfiling();
    expect(app.runtime.status('w')).not.toHaveProperty('handlerMs');
    await app.runtime.call('w', { type: 'spin', ms: 1 });
    expect(app.runtime.status('w').handlerMs).toBeDefined();
    third.stop();
    expect(app.runtime.status('w')).not.toHaveProperty('handlerMs');
  });

  it('survives crashes and restarts, a process stopped mid-profiling, and profiling stopped under a running handler', async () => {
    await boot();
    await start('crashy');
    await start('doomed');
    const handle = app.runtime.startProfiling();
    // Crashes while profiled: each crash is a handled (and timed) message; status stays readable.
    for (let i = 0; i < 5; i++) {
      await expect(app.runtime.call('crashy', { type: 'boom' })).rejects.toBeInstanceOf(ProcessCrashedError);
      await app.runtime.cast('crashy', { type: 'boom' });
      const watcher = app.runtime.startProfiling(); // another watcher comes and goes while it restarts
      expect(() => app.runtime.status('crashy')).not.toThrow();
      expect(await until(() => app.runtime.status('crashy').restarts === 2 * (i + 1) && app.runtime.status('crashy').status === 'running')).toBe(true);
      watcher.stop();
      expect(() => app.runtime.tree()).not.toThrow();
      // Only crashes handled so far: a crashed handler is timed too.
      expect(app.runtime.status('crashy').handlerMs).toBeDefined();
    }
    await app.runtime.call('crashy', { type: 'spin', ms: 1 });
    const crashy = app.runtime.status('crashy');
    expect(crashy).toMatchObject({ status: 'running', restarts: 10, errors: 10 });
    expect(crashy.handlerMs!.p50).toBeGreaterThanOrEqual(0);
    expect(crashy.handlerMs!.p50).toBeLessThan(1000);
    expect(crashy.handlerMs!.p99).toBeGreaterThanOrEqual(crashy.handlerMs!.p50);
    expect(crashy).not.toHaveProperty('oldestMs');

    // Stopped while a handler runs and messages wait: gone from status and tree, profiling goes on.
    await app.runtime.cast('doomed', { type: 'hold' });
    await app.runtime.cast('doomed', { type: 'note' });
    await sleep(30);
    expect(app.runtime.status('doomed').oldestMs).toBeDefined();
    const stopping = app.runtime.stop('doomed');
    await sleep(20);
    release.current.open();
    await stopping;
    expect(() => app.runtime.status('doomed')).toThrow(NoSuchProcessError);
    expect(findNode(app.runtime.tree(), 'doomed')).toBeUndefined();
    // Its name started again: a new process, with no figures of the old one.
    await start('doomed');
    expect(app.runtime.status('doomed')).not.toHaveProperty('handlerMs');
    expect(app.runtime.status('doomed')).not.toHaveProperty('oldestMs');

    // Profiling stopped while a timed handler runs: the handler ends without fault.
    release.current = gate();
    await app.runtime.cast('doomed', { type: 'hold' });
    await sleep(20);
    handle.stop();
    release.current.open();
    await app.runtime.call('doomed', { type: 'ping' });
    for (const field of PROFILE_FIELDS) expect(app.runtime.status('doomed')).not.toHaveProperty(field);
    await sleep(50);
    expect(app.runtime.status('doomed')).toMatchObject({ status: 'running', errors: 0, restarts: 0 });
    handle.stop();
    // The message path itself never failed (the last-resort guard logs "internal failure").
    expect(app.logger.at('error').filter((line) => !/kaput/.test(line.message))).toEqual([]);
  });
});

describe('runtime.startProfiling() with an OpenTelemetry SDK', () => {
  let app: TestApp;
  const exporter = new InMemorySpanExporter();
  const tracer = () => trace.getTracer('profiling-test');
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
  });
  afterAll(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });
  afterEach(async () => {
    await app?.close();
  });

  /** Makes `count` calls to `name` inside a span of its own; returns that span's trace id. */
  async function callsInSpan(name: string, count: number): Promise<string> {
    return tracer().startActiveSpan('job', async (span) => {
      for (let i = 0; i < count; i++) await app.runtime.call(name, { type: 'ping' });
      span.end();
      return span.spanContext().traceId;
    });
  }

  it('keeps the trace ids of the last 10 traced messages, newest last, in status() but not tree()', async () => {
    app = await bootApp([Worker], TOPOLOGY);
    await app.runtime.start(Worker, { name: 'traced', supervisor: 'pool' });
    // Off: traced messages leave no trace ids behind.
    await callsInSpan('traced', 2);
    expect(app.runtime.status('traced')).not.toHaveProperty('traceIds');
    const handle = app.runtime.startProfiling();
    const first = await callsInSpan('traced', 1);
    expect(app.runtime.status('traced').traceIds).toEqual([first]);
    const second = await callsInSpan('traced', 4);
    expect(app.runtime.status('traced').traceIds).toEqual([first, second, second, second, second]);
    const third = await callsInSpan('traced', 7);
    expect(new Set([first, second, third]).size).toBe(3);
    // 12 traced messages so far: the first two are gone, the newest are last.
    expect(app.runtime.status('traced').traceIds).toEqual([second, second, second, ...Array(7).fill(third)]);
    expect(findNode(app.runtime.tree(), 'traced')).not.toHaveProperty('traceIds');
    expect(findNode(app.runtime.tree(), 'traced')!.handlerMs).toBeDefined();
    handle.stop();
    expect(app.runtime.status('traced')).not.toHaveProperty('traceIds');
  });
});


describe('the dashboard while profiling', () => {
  let app: TestApp;
  beforeEach(() => {
    release.current = gate();
  });
  afterEach(async () => {
    release.current.open();
    await app?.close();
  });

  async function boot(options: Parameters<typeof GenServerDashboardModule.forRoot>[0] = {}): Promise<TestApp> {
    app = await bootApp([Worker], TOPOLOGY, { imports: [GenServerDashboardModule.forRoot(options) as never] });
    await app.app.listen(0, '127.0.0.1');
    return app;
  }
  const start = (name: string) => app.runtime.start(Worker, { name, supervisor: 'pool' });
  const snapshot = async (): Promise<DashboardSnapshot> => (await request(app.app.getHttpServer()).get('/genserver/api/snapshot').expect(200)).body as DashboardSnapshot;

  it('refuses a top that is not a whole number from 1 to 10000', () => {
    for (const top of [0, -1, 1.5, 'x', 10_001, NaN, Infinity]) {
      expect(() => GenServerDashboardModule.forRoot({ top: top as never })).toThrow(InvalidOptionError);
      expect(() => GenServerDashboardModule.forRoot({ top: top as never })).toThrow(/dashboard top/);
    }
    for (const top of [1, 3, 10_000]) expect(() => GenServerDashboardModule.forRoot({ top })).not.toThrow();
  });

  it('with top: 3 and 12 processes, sends the union of the top-3 views and the total', async () => {
    await boot({ top: 3 });
    // m1..m6: a held handler and 1..6 messages waiting; r1..r6: restarted 1..6 times.
    for (let i = 1; i <= 6; i++) {
      await start(`m${i}`);
      await app.runtime.cast(`m${i}`, { type: 'hold' });
      for (let k = 0; k < i; k++) await app.runtime.cast(`m${i}`, { type: 'note' });
    }
    for (let i = 1; i <= 6; i++) {
      await start(`r${i}`);
      for (let k = 0; k < i; k++) {
        await app.runtime.cast(`r${i}`, { type: 'boom' });
        expect(await until(() => app.runtime.status(`r${i}`).restarts === k + 1 && app.runtime.status(`r${i}`).status === 'running')).toBe(true);
      }
    }
    expect(await until(() => app.runtime.status('m6').mailbox === 6)).toBe(true);
    const shot = await snapshot();
    const names = shot.processes.map((p) => p.name);
    expect(shot.total).toBe(12);
    expect(shot.top).toBe(3);
    expect(names.length).toBeLessThanOrEqual(15);
    expect(names).toEqual(expect.arrayContaining(['m4', 'm5', 'm6'])); // largest mailboxes
    expect(names).toEqual(expect.arrayContaining(['r4', 'r5', 'r6'])); // most restarts
    // r1..r3 lead no view (no mailbox, fewer restarts, after the m's by name): left out.
    for (const name of ['r1', 'r2', 'r3']) expect(names).not.toContain(name);
    expect(names).toEqual([...names].sort());
    expect(shot.processes.find((p) => p.name === 'm6')).toMatchObject({ mailbox: 6 });
    expect(shot.processes.find((p) => p.name === 'r6')).toMatchObject({ restarts: 6 });
  });

  it('cuts a supervisor of 130 children to the first 100 and the restarted one; processes and total count all', async () => {
    await boot();
    for (let i = 0; i < 130; i++) await start(`c${String(i).padStart(3, '0')}`);
    await app.runtime.cast('c120', { type: 'boom' });
    expect(await until(() => app.runtime.status('c120').restarts === 1 && app.runtime.status('c120').status === 'running')).toBe(true);
    const shot = await snapshot();
    const pool = findNode(shot.tree, 'pool')!;
    expect(pool.kind).toBe('dynamic_supervisor');
    expect(pool.children).toHaveLength(101);
    expect(pool.omitted).toBe(29);
    const shown = pool.children!.map((c) => c.name);
    expect(shown.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => `c${String(i).padStart(3, '0')}`));
    expect(shown[100]).toBe('c120');
    expect(pool.children![100]).toMatchObject({ restarts: 1, status: 'running' });
    // The shape only: figures are in processes.
    expect(pool.children![0]).not.toHaveProperty('mailbox');
    expect(shot.total).toBe(130);
    expect(shot.processes.find((p) => p.name === 'c120')).toMatchObject({ restarts: 1 });
    // The live tree itself is whole.
    expect(findNode(app.runtime.tree(), 'pool')!.children).toHaveLength(130);
  });

  it('profiles while a client is connected: handler times and message ages reach the page; off once it leaves', async () => {
    await boot();
    await start('busy');
    await start('blocked');
    await app.runtime.call('busy', { type: 'spin', ms: 1 });
    expect(app.runtime.status('busy')).not.toHaveProperty('handlerMs');
    let whileConnected: ProcessStatus | undefined;
    const events = await readEvents(app, '/genserver/api/events', (got) => {
      if (got.length === 1) {
        void (async () => {
          for (let i = 0; i < 5; i++) await app.runtime.call('busy', { type: 'spin', ms: 2 });
          await app.runtime.cast('blocked', { type: 'hold' });
          await app.runtime.cast('blocked', { type: 'note' });
          await app.runtime.cast('blocked', { type: 'note' });
          whileConnected = app.runtime.status('busy');
        })();
      }
      const view = got.at(-1)!.view;
      return view.get('busy')?.handlerMs !== undefined && (view.get('blocked')?.oldestMs ?? 0) >= 500;
    }, { ms: 8000 });
    expect(events[0]!.event).toBe('snapshot');
    const view = events.at(-1)!.view;
    expect(view.get('busy')!.handlerMs!.p50).toBeGreaterThanOrEqual(1);
    expect(view.get('busy')!.handlerMs!.p50).toBeLessThan(1000);
    expect(view.get('blocked')!.mailbox).toBe(2);
    expect(view.get('blocked')!.oldestMs).toBeGreaterThanOrEqual(500);
    expect(view.get('blocked')!.oldestMs).toBeLessThan(10_000);
    expect(whileConnected?.handlerMs).toBeDefined();
    // The page left: profiling stops (the server notices the closed socket within a few turns).
    expect(await until(() => app.runtime.status('busy').handlerMs === undefined, 3000)).toBe(true);
    for (const field of PROFILE_FIELDS) expect(app.runtime.status('blocked')).not.toHaveProperty(field);
    await app.runtime.call('busy', { type: 'spin', ms: 1 });
    expect(app.runtime.status('busy')).not.toHaveProperty('handlerMs');
  });
});

describe('a cluster-wide process tells its fencing epoch', () => {
  let nats: NatsServer;
  let nodes: TestApp[] = [];
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await nats?.stop();
  });

  it('in status() and tree(), equal to whereis().epoch', async () => {
    for (const node of ['n0', 'n1']) {
      nodes.push(await bootApp([Worker], {
        cluster: { transport: 'nats', servers: nats.url, node, leaseTtlMs: 900, prefix: 'prof' },
        supervision: { name: 'root', strategy: 'one_for_one', children: [{ name: 'single', type: Worker }] },
      }, { imports: [GenServerDashboardModule.forRoot() as never] }));
    }
    const [a, b] = nodes as [TestApp, TestApp];
    const ref = a.runtime.whereis('single')!;
    expect(ref).toMatchObject({ node: 'n0' });
    expect(ref.epoch).toBeGreaterThan(0);
    expect(a.runtime.status('single')).toMatchObject({ status: 'running', node: 'n0', epoch: ref.epoch });
    expect(findNode(a.runtime.tree(), 'single')).toMatchObject({ status: 'running', node: 'n0', epoch: ref.epoch });
    // The other node waits in standby and tells where it runs.
    expect(await until(() => b.runtime.whereis('single')?.epoch === ref.epoch)).toBe(true);
    expect(b.runtime.status('single')).toMatchObject({ status: 'standby', node: 'n0' });
    // The dashboard of either node shows where it runs, and under which epoch.
    for (const app of [a, b]) {
      const { body } = await request(app.app.getHttpServer()).get('/genserver/api/snapshot').expect(200);
      const snapshot = body as DashboardSnapshot;
      expect(snapshot.processes.find((p) => p.name === 'single')).toMatchObject({ node: 'n0', epoch: ref.epoch });
      expect(findNode(snapshot.tree, 'single')).toMatchObject({ node: 'n0', epoch: ref.epoch });
    }
  });
});
