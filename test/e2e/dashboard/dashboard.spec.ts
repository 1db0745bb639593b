import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import request from 'supertest';
import { GenServer, GenServerProcess, HandleCall, HandleCast, InvalidOptionError, NoSuchProcessError } from 'nestjs-genserver';
import { GenServerDashboardModule, type DashboardDelta, type DashboardSnapshot } from 'nestjs-genserver/dashboard';
import { bootApp, type TestApp } from '../../support/app.js';
import { readEvents } from '../../support/dashboard-events.js';

// #14 (first part): the dashboard's page, assets, data and event stream over real HTTP.

@GenServer('counter')
class Counter extends GenServerProcess<{ n: number }> {
  override init() {
    this.state = { n: 0 };
  }
  @HandleCall('inc') inc() {
    return ++this.state.n;
  }
  @HandleCast('boom') boom(): never {
    throw new Error('dashboard crash');
  }
}

@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers['x-token'] === 'let-me-in';
  }
}


describe('the dashboard', () => {
  let app: TestApp;
  afterEach(async () => {
    await app?.close();
  });

  async function boot(options: Parameters<typeof GenServerDashboardModule.forRoot>[0] = {}): Promise<TestApp> {
    app = await bootApp([Counter], { supervision: { name: 'root', strategy: 'one_for_one', children: [{ name: 'pool', type: 'dynamic_supervisor' }] } }, { imports: [GenServerDashboardModule.forRoot(options) as never] });
    await app.app.listen(0, '127.0.0.1');
    return app;
  }

  it('serves its page and assets from the app, with nothing from elsewhere', async () => {
    await boot();
    const page = await request(app.app.getHttpServer()).get('/genserver').expect(200).expect('content-type', /text\/html/);
    expect(page.text).toContain('/genserver/assets/dashboard.js');
    const script = await request(app.app.getHttpServer()).get('/genserver/assets/dashboard.js').expect(200).expect('content-type', /javascript/);
    await request(app.app.getHttpServer()).get('/genserver/assets/dashboard.css').expect(200).expect('content-type', /text\/css/);
    for (const text of [page.text, script.text]) expect(text).not.toMatch(/https?:\/\/|\/\/cdn/);
  });

  it('gives a snapshot of the tree and every process', async () => {
    await boot({ path: '/ops/genserver' });
    await app.runtime.call('counter', { type: 'inc' });
    const { body } = await request(app.app.getHttpServer()).get('/ops/genserver/api/snapshot').expect(200);
    const snapshot = body as DashboardSnapshot;
    expect((snapshot.tree as { name: string }).name).toBe('root');
    expect(snapshot.processes.find((p) => p.name === 'counter')).toMatchObject({ type: 'Counter', status: 'running', processed: 1, restarts: 0 });
    expect(snapshot.actions).toBe(false);
  });

  it('streams a snapshot at once, then deltas of what changed: a crash shows within 2 s, a new dynamic child appears', async () => {
    await boot();
    await app.runtime.start(Counter, { name: 'quiet', supervisor: 'pool' });
    const started = performance.now();
    const events = await readEvents(app, '/genserver/api/events', (got) => {
      if (got.length === 1) {
        void app.runtime.cast('counter', { type: 'boom' });
        void app.runtime.start(Counter, { name: 'extra', supervisor: 'pool' });
      }
      const view = got.at(-1)!.view;
      return view.get('counter')?.restarts === 1 && view.get('counter')?.lastError !== undefined && view.has('extra');
    });
    expect(events[0]!.event).toBe('snapshot');
    const last = events.at(-1)!;
    expect(last.event).toBe('delta');
    expect(last.view.get('counter')!.lastError).toMatch(/dashboard crash/);
    expect(performance.now() - started).toBeLessThan(2500);
    // A delta carries only what changed: the idle process is not in it, the tree (a new child) is.
    const deltas = events.slice(1).map((e) => e.data as DashboardDelta);
    expect(deltas.some((d) => d.changed.some((p) => p.name === 'quiet'))).toBe(false);
    expect(deltas.some((d) => d.tree !== undefined)).toBe(true);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => Number(events[0]!.id) + i));
    // A reconnecting client (Last-Event-ID) is sent a fresh snapshot, numbered after what it had.
    const resumed = await readEvents(app, '/genserver/api/events', (got) => got.length >= 1, { headers: { 'last-event-id': last.id } });
    expect(resumed[0]!.event).toBe('snapshot');
    expect(Number(resumed[0]!.id)).toBeGreaterThan(Number(last.id));
    expect([...resumed[0]!.view.keys()]).toContain('extra');
  });

  it('the guard covers the page, the data, the stream and the actions', async () => {
    await boot({ guard: TokenGuard, actions: true });
    const server = app.app.getHttpServer();
    for (const path of ['/genserver', '/genserver/api/snapshot', '/genserver/api/events', '/genserver/api/processes/counter']) await request(server).get(path).expect(403);
    await request(server).post('/genserver/api/processes/counter/restart').expect(403);
    await request(server).get('/genserver/api/snapshot').set('x-token', 'let-me-in').expect(200);
    expect(app.runtime.status('counter').restarts).toBe(0);
  });

  it('actions are off by default; with actions: true, restart crashes the process (the supervisor restarts it) and stop stops it', async () => {
    await boot();
    await request(app.app.getHttpServer()).post('/genserver/api/processes/counter/restart').expect(404);
    await app.close();
    await boot({ actions: true, guard: { canActivate: () => true } });
    const server = app.app.getHttpServer();
    await request(server).post('/genserver/api/processes/counter/restart').expect(200, { ok: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(app.runtime.status('counter')).toMatchObject({ status: 'running', restarts: 1 });
    await request(server).post('/genserver/api/processes/counter/cancel').expect(400); // not an agent
    await request(server).post('/genserver/api/processes/nobody/stop').expect(404);
    await request(server).post('/genserver/api/processes/counter/stop').expect(200, { ok: true });
    expect(app.runtime.whereis('counter')).toBeUndefined();
  });

  it('refuses bad options with InvalidOptionError', () => {
    expect(() => GenServerDashboardModule.forRoot({ path: 'no-slash' })).toThrow(/dashboard path/);
    expect(() => GenServerDashboardModule.forRoot({ actions: 'yes' as never })).toThrow(/dashboard actions/);
    expect(() => GenServerDashboardModule.forRoot({ guard: 42 as never })).toThrow(/dashboard guard/);
  });

  it('runtime.kill: a typed error for a bad or unknown name; a temporary process killed is gone, a permanent one comes back', async () => {
    await boot();
    await expect(app.runtime.kill(42 as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(app.runtime.kill('nobody')).rejects.toBeInstanceOf(NoSuchProcessError);
    await app.runtime.start(Counter, { name: 'once', supervisor: 'pool', restart: 'temporary' });
    expect(await app.runtime.kill('once', null)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(app.runtime.whereis('once')).toBeUndefined();
    expect(await app.runtime.kill('counter', new Error('operator'))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(app.runtime.status('counter')).toMatchObject({ status: 'running', restarts: 1, lastError: expect.stringMatching(/operator/) });
  });
});
