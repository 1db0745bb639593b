import { Controller, Get, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { GenServer, GenServerModule, GenServerProcess, GenServerRuntime, HandleCast } from 'nestjs-genserver';
import { GenServerHealthIndicator } from 'nestjs-genserver/terminus';
import { gate } from '../../support/app.js';

const hold = { current: gate() };
/** Times the worker's state was presented; a health check must never present it. */
const presented = { count: 0 };

@GenServer('worker')
class HealthWorker extends GenServerProcess {
  override formatState(): never {
    presented.count++;
    throw new Error('a health check has no business showing the state');
  }
  @HandleCast('hold') async hold() {
    await hold.current.promise;
  }
  @HandleCast('crash') crash() {
    throw new Error('down it goes');
  }
}

@Controller()
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly genservers: GenServerHealthIndicator,
  ) {}
  @Get('health') @HealthCheck() check() {
    return this.health.check([() => this.genservers.isHealthy('genserver', { processes: ['worker'], maxMailbox: 2 })]);
  }
}

@Module({
  imports: [TerminusModule, GenServerModule.forRoot({ onRootFailure: 'keep', maxRestarts: 0 })],
  providers: [HealthWorker, GenServerHealthIndicator],
  controllers: [HealthController],
})
class HealthApp {}

describe('GenServerHealthIndicator (@nestjs/terminus)', () => {
  let app: INestApplication;
  beforeEach(async () => {
    hold.current = gate();
    presented.count = 0;
    app = (await Test.createTestingModule({ imports: [HealthApp] }).compile()).createNestApplication({ logger: false });
    await app.init();
  });
  afterEach(async () => {
    hold.current.open();
    await app.close();
  });

  it('is up while the tree runs and mailboxes stay short', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body.info.genserver).toEqual({ status: 'up', processes: 1 });
  });

  it('is down when a mailbox grows past the threshold', async () => {
    const runtime = app.get(GenServerRuntime);
    for (let i = 0; i < 4; i++) await runtime.cast('worker', { type: 'hold' });
    await new Promise((r) => setTimeout(r, 10));
    const res = await request(app.getHttpServer()).get('/health').expect(503);
    expect(res.body.error.genserver).toEqual({ status: 'down', reason: 'mailboxes over 2', mailboxes: { worker: 3 } });
  });

  it('never presents a process\'s state (no formatState call), up or down', async () => {
    await request(app.getHttpServer()).get('/health').expect(200);
    const runtime = app.get(GenServerRuntime);
    for (let i = 0; i < 4; i++) await runtime.cast('worker', { type: 'hold' });
    await new Promise((r) => setTimeout(r, 10));
    await request(app.getHttpServer()).get('/health').expect(503);
    expect(presented.count).toBe(0);
  });

  it('is down when the root supervisor has given up', async () => {
    const runtime = app.get(GenServerRuntime);
    const fatal = new Promise((resolve) => runtime.events$.subscribe((e) => e.type === 'fatal' && resolve(e)));
    await runtime.cast('worker', { type: 'crash' });
    await fatal;
    const res = await request(app.getHttpServer()).get('/health').expect(503);
    expect(res.body.error.genserver).toMatchObject({ status: 'down', reason: 'the root supervisor is not running' });
  });

  it('is down when a listed process is not running', async () => {
    await app.get(GenServerRuntime).stop('worker');
    const res = await request(app.getHttpServer()).get('/health').expect(503);
    expect(res.body.error.genserver).toEqual({ status: 'down', reason: 'processes not running', processes: ['worker'] });
  });
});
