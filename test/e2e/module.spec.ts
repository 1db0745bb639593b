import { Controller, Get, Injectable, Module, Scope } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AlreadyStartedError,
  GenServer,
  GenServerError,
  GenServerModule,
  GenServerProcess,
  GenServerRuntime,
  HandleCall,
  HandleCast,
  NoSuchProcessError,
  UnknownTypeError,
} from 'nestjs-genserver';
import { bootApp, nextEvent } from '../support/app.js';

@Injectable()
class Clock {
  now() {
    return 1234;
  }
}

@GenServer({ type: 'session' })
class Session extends GenServerProcess<{ user: string; hits: number }> {
  constructor(private readonly clock: Clock) {
    super();
  }
  override init(args: { user: string }) {
    this.state = { user: args.user, hits: 0 };
  }
  @HandleCast('hit') hit() {
    this.state.hits++;
  }
  @HandleCall('info') info() {
    return { ...this.state, at: this.clock.now(), name: this.name };
  }
}

@GenServer('limiter')
class Limiter extends GenServerProcess<{ tokens: number }> {
  override init() {
    this.state = { tokens: 2 };
  }
  @HandleCall('acquire') acquire() {
    if (this.state.tokens === 0) return { ok: false };
    this.state.tokens--;
    return { ok: true, remaining: this.state.tokens };
  }
  @HandleCall() other(msg: unknown) {
    return { error: 'unknown call', got: msg };
  }
}

describe('GenServerModule', () => {
  it('forRootAsync takes options from an injected factory', async () => {
    @Injectable()
    class Settings {
      readonly timeout = 15;
    }
    @Module({ providers: [Settings], exports: [Settings] })
    class SettingsModule {}
    @GenServer('sleepy')
    class Sleepy extends GenServerProcess {
      @HandleCall('nap') async nap() {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    @Module({
      imports: [
        GenServerModule.forRootAsync({ imports: [SettingsModule], inject: [Settings], useFactory: (s: Settings) => ({ callTimeout: s.timeout }) }),
      ],
      providers: [Sleepy],
    })
    class AsyncApp {}
    const app = (await Test.createTestingModule({ imports: [AsyncApp] }).compile()).createNestApplication({ logger: false });
    await app.init();
    await expect(app.get(GenServerRuntime).call('sleepy', { type: 'nap' })).rejects.toMatchObject({ timeoutMs: 15 });
    await app.close();
  });

  it('is global: a feature module\'s controller injects GenServerRuntime without importing the module', async () => {
    @Controller()
    class FeatureController {
      constructor(private readonly runtime: GenServerRuntime) {}
      @Get() get() {
        return this.runtime.call('limiter', { type: 'acquire' });
      }
    }
    @Module({ controllers: [FeatureController], providers: [Limiter] })
    class FeatureModule {}
    const t = await bootApp([], {}, { imports: [FeatureModule] });
    expect(await t.app.get(FeatureController).get()).toEqual({ ok: true, remaining: 1 });
    await t.close();
  });

  it('starts named providers at boot and types on demand, by class or type name, with Nest DI', async () => {
    const t = await bootApp([Clock, Session, Limiter]);
    expect(t.runtime.list()).toEqual(['limiter']);
    await t.runtime.start(Session, { name: 'session:ann', args: { user: 'ann' } });
    await t.runtime.start('session', { name: 'session:bob', args: { user: 'bob' } });
    await t.runtime.cast('session:bob', { type: 'hit' });
    expect(await t.runtime.call('session:bob', { type: 'info' })).toEqual({ user: 'bob', hits: 1, at: 1234, name: 'session:bob' });
    expect(t.runtime.list()).toEqual(['limiter', 'session:ann', 'session:bob']);
    expect(t.runtime.whereis('session:ann')).toEqual({ name: 'session:ann', type: 'session', incarnation: 1 });
    const status = t.runtime.status('session:bob');
    expect(status).toEqual({
      name: 'session:bob', type: 'session', status: 'running', mailbox: 0, processed: 2, errors: 0, restarts: 0,
      stuck: false, state: { user: 'bob', hits: 1 }, lastError: undefined, uptimeMs: status.uptimeMs,
    });
    expect(status.uptimeMs).toBeGreaterThanOrEqual(0);
    await expect(t.runtime.start(Session, { name: 'session:ann', args: { user: 'x' } })).rejects.toBeInstanceOf(AlreadyStartedError);
    const unknown = await t.runtime.start('Nope', { name: 'n' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownTypeError);
    expect((unknown as Error).message).toBe('"Nope" is not a registered @GenServer type; registered: session, Limiter');
    const stopped = nextEvent(t.runtime.events$, (e) => e.type === 'stopped');
    await t.runtime.stop('session:ann');
    expect(await stopped).toMatchObject({ name: 'session:ann', reason: 'normal' });
    expect(t.runtime.whereis('session:ann')).toBeUndefined();
    expect(() => t.runtime.status('session:ann')).toThrow(NoSuchProcessError);
    await expect(t.runtime.stop('session:ann')).rejects.toBeInstanceOf(NoSuchProcessError);
    await t.close();
  });

  it('routes by the type field, with a catch-all for the rest', async () => {
    const t = await bootApp([Limiter]);
    expect(await t.runtime.call('limiter', { type: 'acquire' })).toEqual({ ok: true, remaining: 1 });
    expect(await t.runtime.call('limiter', { type: 'refund' })).toEqual({ error: 'unknown call', got: { type: 'refund' } });
    expect(await t.runtime.call('limiter', 'no type at all')).toEqual({ error: 'unknown call', got: 'no type at all' });
    await t.close();
  });

  it('finds GenServers registered with useFactory, and skips request-scoped ones with a warning', async () => {
    @GenServer('scoped')
    class Scoped extends GenServerProcess {}
    const t = await bootApp([
      Clock,
      { provide: 'LIMITER', useFactory: () => new Limiter() },
      { provide: Scoped, useClass: Scoped, scope: Scope.REQUEST },
    ]);
    expect(t.runtime.list()).toEqual(['limiter']);
    expect(t.logger.at('warn').map((l) => l.message)).toContain('Scoped is request-scoped; a GenServer must be a singleton provider, so it is skipped');
    await t.close();
  });

  it('rejects a class with two handlers for the same message type at boot', async () => {
    @GenServer('twice')
    class Twice extends GenServerProcess {
      @HandleCall('x') a() {}
      @HandleCall('x') b() {}
    }
    const error = await bootApp([Twice]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenServerError);
    expect((error as Error).message).toBe('Twice declares two @HandleCall handlers for "x"');
  });

  it('tells a user who calls process methods on an instance that is not running', () => {
    expect(() => new Limiter().sendAfter(10, {})).toThrow('Limiter is not running as a process');
  });
});
