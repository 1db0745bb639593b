import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { GenServerRuntime } from 'nestjs-genserver';
import request from 'supertest';
import { AppModule } from '../../sample/app.module.js';
import { Clock } from '../../sample/clock.service.js';

class TestClock extends Clock {
  offset = 0;
  override now() {
    return Date.now() + this.offset;
  }
}

describe('sample app over HTTP', () => {
  let app: INestApplication;
  let clock: TestClock;

  beforeEach(async () => {
    // No refill during a test: on a loaded machine a test can outlast the refill second, and
    // "each token once" would then see the refilled tokens' numbers again.
    process.env.RATE_LIMIT_REFILL = '0';
    clock = new TestClock();
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).overrideProvider(Clock).useValue(clock).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });
  afterEach(async () => {
    await app.close();
    delete process.env.RATE_LIMIT_REFILL;
  });

  it('POST /acquire hands out each token once, even under concurrent requests', async () => {
    const replies = await Promise.all(Array.from({ length: 110 }, () => request(app.getHttpServer()).post('/acquire').expect(200)));
    const granted = replies.map((r) => r.body).filter((b) => b.ok);
    expect(granted.length).toBeGreaterThanOrEqual(100);
    expect(new Set(granted.map((b) => b.remaining)).size).toBe(granted.length);
    expect(replies.some((r) => r.body.ok === false)).toBe(true);
  });

  it('PUT then GET /cache/:key, with entries expiring after their TTL', async () => {
    await request(app.getHttpServer()).put('/cache/answer').send({ value: 42, ttlMs: 1000 }).expect(200, { ok: true });
    await request(app.getHttpServer()).get('/cache/answer').expect(200, { hit: true, value: 42 });
    clock.offset = 5000;
    await request(app.getHttpServer()).get('/cache/answer').expect(200, { hit: false });
    await request(app.getHttpServer()).get('/cache/missing').expect(200, { hit: false });
  });

  it('POST /work goes through the rate limiter, a deferred tool reply, and the cache', async () => {
    const first = await request(app.getHttpServer()).post('/work').send({ text: 'genserver' }).expect(200);
    expect(first.body).toEqual({ status: 'ok', result: 'revresneg', cached: false, remaining: 99 });
    const second = await request(app.getHttpServer()).post('/work').send({ text: 'genserver' }).expect(200);
    expect(second.body).toEqual({ status: 'ok', result: 'revresneg', cached: true, remaining: 98 });
    await app.get(GenServerRuntime).call('rate_limiter', { type: 'acquire' });
    const drained = await Promise.all(Array.from({ length: 100 }, () => request(app.getHttpServer()).post('/acquire')));
    expect(drained.some((r) => r.body.ok === false)).toBe(true);
    await request(app.getHttpServer()).post('/work').send({ text: 'more' }).expect(200, { error: 'rate limited', remaining: 0 });
  });

  it('GET /processes shows the three services and the support agent, and runtime errors map to HTTP statuses', async () => {
    const processes = await request(app.getHttpServer()).get('/processes').expect(200);
    expect(processes.body.map((p: { name: string }) => p.name)).toEqual(['rate_limiter', 'cache', 'worker', 'support']);
    expect(processes.body.every((p: { status: string }) => p.status === 'running')).toBe(true);
    await app.get(GenServerRuntime).stop('cache');
    const missing = await request(app.getHttpServer()).get('/cache/x').expect(404);
    expect(missing.body).toMatchObject({ error: 'NoSuchProcessError', message: 'no process is registered under the name "cache"' });
  });

  it('serves the dashboard at /genserver to this machine, with the processes of the sample and its actions on', async () => {
    const page = await request(app.getHttpServer()).get('/genserver').expect(200);
    expect(page.text).toContain('/genserver/assets/dashboard.js');
    const { body } = await request(app.getHttpServer()).get('/genserver/api/snapshot').expect(200);
    expect(body.actions).toBe(true);
    expect(body.processes.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['rate_limiter', 'cache', 'support']));
    await request(app.getHttpServer()).post('/genserver/api/processes/cache/restart').expect(200, { ok: true });
    const runtime = app.get(GenServerRuntime);
    for (let i = 0; i < 100 && runtime.status('cache').restarts === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runtime.status('cache')).toMatchObject({ status: 'running', restarts: 1 });
  });

  it('runs chat sessions under a dynamic supervisor with checkpointed state: a crash restarts only that session', async () => {
    const http = () => request(app.getHttpServer());
    await http().post('/sessions/ann').expect(201, { session: 'ann' });
    await http().post('/sessions/bob').expect(201);
    await http().post('/sessions/ann').expect(409);
    await http().post('/sessions/ann/messages').send({ text: 'hello' }).expect(200, { reply: 'session ann heard "hello"', turns: 1 });
    await http().post('/sessions/bob/messages').send({ text: 'hi' }).expect(200);
    const crash = await http().post('/sessions/ann/messages').send({ text: 'crash' }).expect(502);
    expect(crash.body).toMatchObject({ error: 'ProcessCrashedError' });
    // ann restarted from its last checkpoint (the crashing message is not in it); bob never noticed.
    await http().post('/sessions/ann/messages').send({ text: 'again' }).expect(200, { reply: 'session ann heard "again"', turns: 2 });
    await http().post('/sessions/bob/messages').send({ text: 'still here' }).expect(200, { reply: 'session bob heard "still here"', turns: 2 });
    const tree = await http().get('/tree').expect(200);
    // The support agent is named but not in the YAML: it starts at boot under the root, after the topology's children.
    expect(tree.body.children.map((c: { name: string }) => c.name)).toEqual(['services', 'sessions', 'support']);
    expect(tree.body.children[1]).toMatchObject({ kind: 'dynamic_supervisor', children: [{ name: 'session:ann', restarts: 1 }, { name: 'session:bob', restarts: 0 }] });
    await http().delete('/sessions/ann').expect(204);
    await http().post('/sessions/ann/messages').send({ text: 'gone?' }).expect(404);
  });
});
