import { Body, Controller, Module, Post, UseFilters, type INestApplication } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { GenServer, GenServerExceptionFilter, GenServerModule, GenServerProcess, GenServerRuntime, HandleCall, HandleCast, noReply } from 'nestjs-genserver';
import { gate } from '../support/app.js';

// #11: the runtime's errors reaching a controller become statuses a client can act on, with a JSON
// body naming the error class and the process — per controller or for the whole app.

const release = { current: gate() };

@GenServer({ name: 'worker', maxMailbox: 1 })
class Worker extends GenServerProcess {
  @HandleCall('boom') boom() {
    throw new Error('kaput');
  }
  @HandleCall('park') park() {
    return noReply();
  }
  @HandleCast('hold') async hold() {
    await release.current.promise;
  }
}

/** Each route makes the runtime fail one way. */
function routes(runtime: GenServerRuntime) {
  return {
    missing: () => runtime.call('nobody', { type: 'x' }),
    twice: () => runtime.start(Worker, { name: 'worker' }),
    payload: () => runtime.call('worker', new (class Command { type = 'x'; })()),
    unhandled: () => runtime.call('worker', { type: 'nothing' }),
    crash: () => runtime.call('worker', { type: 'boom' }),
    full: async () => {
      await runtime.cast('worker', { type: 'hold' });
      await runtime.cast('worker', { type: 'hold' });
      return runtime.cast('worker', { type: 'hold' });
    },
    timeout: () => runtime.call('worker', { type: 'park' }, { timeout: 20 }),
    plain: () => Promise.reject(new Error('not the runtime')),
  } as Record<string, () => Promise<unknown>>;
}

@Controller()
@UseFilters(GenServerExceptionFilter)
class FilteredController {
  constructor(private readonly runtime: GenServerRuntime) {}
  @Post('fail') fail(@Body() body: { how: string }) {
    return routes(this.runtime)[body.how]!();
  }
}

@Controller('bare')
class BareController {
  constructor(private readonly runtime: GenServerRuntime) {}
  @Post('fail') fail(@Body() body: { how: string }) {
    return routes(this.runtime)[body.how]!();
  }
}

describe('GenServerExceptionFilter', () => {
  let app: INestApplication;

  beforeAll(async () => {
    @Module({ imports: [GenServerModule.forRoot({})], providers: [Worker], controllers: [FilteredController, BareController] })
    class AppModule {}
    app = (await Test.createTestingModule({ imports: [AppModule] }).compile()).createNestApplication({ logger: false });
    await app.init();
  });
  afterAll(async () => {
    release.current.open();
    await app.close();
  });

  it.each([
    ['missing', 404, 'NoSuchProcessError', 'nobody'],
    ['twice', 409, 'AlreadyStartedError', 'worker'],
    ['payload', 400, 'InvalidPayloadError', 'worker'],
    ['unhandled', 400, 'UnhandledMessageError', 'worker'],
    ['crash', 502, 'ProcessCrashedError', 'worker'],
    ['timeout', 504, 'CallTimeoutError', 'worker'],
  ])('answers %s with %i and a body naming %s and the process (per controller)', async (how, status, error, process) => {
    const response = await request(app.getHttpServer()).post('/fail').send({ how }).expect(status);
    expect(response.body).toMatchObject({ statusCode: status, error, process });
    expect(typeof response.body.message).toBe('string');
  });

  it('answers a full mailbox with 503', async () => {
    release.current = gate();
    const response = await request(app.getHttpServer()).post('/fail').send({ how: 'full' }).expect(503);
    expect(response.body).toMatchObject({ error: 'MailboxFullError', process: 'worker' });
    release.current.open();
  });

  it('leaves errors that are not the runtime\'s to Nest (500, its own body)', async () => {
    const response = await request(app.getHttpServer()).post('/fail').send({ how: 'plain' }).expect(500);
    expect(response.body).toEqual({ statusCode: 500, message: 'Internal server error' });
  });

  it('works for the whole app with useGlobalFilters, and without it Nest answers 500', async () => {
    await request(app.getHttpServer()).post('/bare/fail').send({ how: 'missing' }).expect(500);
    @Module({ imports: [GenServerModule.forRoot({})], providers: [Worker], controllers: [BareController] })
    class GlobalModule {}
    const global = (await Test.createTestingModule({ imports: [GlobalModule] }).compile()).createNestApplication({ logger: false });
    global.useGlobalFilters(new GenServerExceptionFilter(global.get(HttpAdapterHost)));
    await global.init();
    try {
      const response = await request(global.getHttpServer()).post('/bare/fail').send({ how: 'missing' }).expect(404);
      expect(response.body).toMatchObject({ statusCode: 404, error: 'NoSuchProcessError', process: 'nobody' });
      // Built by hand, without the adapter: the response is answered all the same.
      global.useGlobalFilters(new GenServerExceptionFilter());
      await request(global.getHttpServer()).post('/bare/fail').send({ how: 'crash' }).expect(502);
    } finally {
      await global.close();
    }
  });
});
