import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  CallTimeoutError,
  GenServer,
  GenServerError,
  GenServerModule,
  GenServerProcess,
  HandleCall,
  HandleCast,
  InvalidOptionError,
  ProcessInitError,
  UnknownTypeError,
  type ExitReason,
} from 'nestjs-genserver';
import { bootApp, gate, sleep } from '../../support/app.js';
import { Journal, reasonText, Worker } from '../../support/workers.js';

// #9 defects 6, 7, 8, 9 and 10.

describe('stop with a null reason (#9, defect 6)', () => {
  @GenServer({ type: 'self_stopper', restart: 'transient' })
  class SelfStopper extends GenServerProcess {
    constructor(private readonly journal: Journal) {
      super();
    }
    override terminate(reason: ExitReason) {
      this.journal.lines.push(`terminate ${this.name} ${reasonText(reason)}`);
    }
    @HandleCast('stop_null') stopNull() {
      this.stop(null);
    }
    @HandleCall('ping') ping() {
      return 'pong';
    }
  }

  it("means 'normal', from runtime.stop and from this.stop, and app.close() still stops everything", async () => {
    const t = await bootApp([Journal, Worker, SelfStopper]);
    const journal = t.app.get(Journal);
    await t.runtime.start(Worker, { name: 'a' });
    await t.runtime.start(Worker, { name: 'b' });
    await t.runtime.start(SelfStopper, { name: 'c' });
    await expect(t.runtime.stop('a', null)).resolves.toBeUndefined();
    expect(t.runtime.list()).not.toContain('a');
    await t.runtime.cast('c', { type: 'stop_null' });
    await sleep(20);
    expect(t.runtime.whereis('c')).toBeUndefined(); // transient, stopped normally: not restarted
    await t.close();
    expect(journal.lines).toEqual(expect.arrayContaining(['terminate a normal', 'terminate c normal', 'terminate b shutdown']));
    expect(t.runtime.list()).toEqual([]);
  });
});

describe('call cycles (#9, defect 7)', () => {
  @GenServer('x')
  class X extends GenServerProcess {
    @HandleCall('ask_a') async askA(msg: { type: 'ask_a'; timeout: number }) {
      return this.call('a', { type: 'slow_then_call_x' }, { timeout: msg.timeout });
    }
    @HandleCall('ping') ping() {
      return 'x is idle';
    }
  }

  @Injectable()
  class Seen {
    result: unknown;
    readonly done = gate();
  }

  @GenServer('a')
  class A extends GenServerProcess {
    constructor(private readonly seen: Seen) {
      super();
    }
    @HandleCall('slow_then_call_x') async slow() {
      await sleep(60); // x gives up waiting meanwhile
      this.seen.result = await this.call('x', { type: 'ping' }).catch((e: Error) => e.name);
      this.seen.done.open();
      return 'late';
    }
  }

  it('lets a process call a caller that has stopped waiting on it', async () => {
    const t = await bootApp([Seen, X, A]);
    await expect(t.runtime.call('x', { type: 'ask_a', timeout: 20 })).rejects.toMatchObject({ name: 'ProcessCrashedError', cause: expect.any(CallTimeoutError) });
    await t.app.get(Seen).done.promise;
    expect(t.app.get(Seen).result).toBe('x is idle');
    await t.close();
  });

  it('lets a process call a caller whose incarnation has ended', async () => {
    @GenServer({ name: 'y', handlerTimeoutMs: 20 })
    class Y extends GenServerProcess {
      @HandleCall('ask_a') askA() {
        return this.call('a', { type: 'slow_then_call_y' }, { timeout: 5000 });
      }
      @HandleCall('ping') ping() {
        return 'y restarted';
      }
    }
    @GenServer('a')
    class A2 extends GenServerProcess {
      constructor(private readonly seen: Seen) {
        super();
      }
      @HandleCall('slow_then_call_y') async slow() {
        await sleep(60); // y's watchdog crashes it meanwhile; it is restarted
        this.seen.result = await this.call('y', { type: 'ping' }).catch((e: Error) => e.name);
        this.seen.done.open();
        return 'late';
      }
    }
    const t = await bootApp([Seen, Y, A2]);
    await expect(t.runtime.call('y', { type: 'ask_a' })).rejects.toMatchObject({ name: 'ProcessCrashedError' });
    await t.app.get(Seen).done.promise;
    expect(t.app.get(Seen).result).toBe('y restarted');
    await t.close();
  });

  it('still refuses a real cycle', async () => {
    @GenServer('p')
    class P extends GenServerProcess {
      @HandleCall('go') go() {
        return this.call('q', { type: 'back' });
      }
    }
    @GenServer('q')
    class Q extends GenServerProcess {
      @HandleCall('back') back() {
        return this.call('p', { type: 'go' }).catch((e: Error) => e.message);
      }
    }
    const t = await bootApp([P, Q]);
    await expect(t.runtime.call('p', { type: 'go' })).resolves.toMatch('call cycle detected: p -> q -> p');
    await t.close();
  });
});

describe('type names (#9, defect 8)', () => {
  it('makes two @GenServer classes answering to one type name a boot error naming both', async () => {
    const makeWorker = () => {
      @GenServer()
      class Worker extends GenServerProcess {}
      return Worker;
    };
    const First = makeWorker();
    const Second = makeWorker();
    @Module({ providers: [First] })
    class BillingModule {}
    @Module({ providers: [Second] })
    class ShippingModule {}
    @Module({ imports: [GenServerModule.forRoot({}), BillingModule, ShippingModule] })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const error = await app.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenServerError);
    expect((error as Error).message).toBe(
      `two @GenServer classes answer to the type name "Worker": Worker (in BillingModule) and Worker (in ShippingModule); give one a distinct name with @GenServer({ type: '…' }) and refer to it by that name`,
    );
    await app.close();
  });
});

describe('misuse gets typed errors, and call/cast never throw (#9, defect 9)', () => {
  it('refuses symbol, number and empty names everywhere', async () => {
    const t = await bootApp([Journal, Worker]);
    for (const name of [Symbol('p'), 42, '', null, undefined, {}] as unknown as string[]) {
      let call: Promise<unknown> | undefined;
      let cast: Promise<unknown> | undefined;
      expect(() => (call = t.runtime.call(name, { type: 'ping' }))).not.toThrow();
      expect(() => (cast = t.runtime.cast(name, { type: 'note' }))).not.toThrow();
      await expect(call).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(cast).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(t.runtime.start(Worker, { name })).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(t.runtime.stop(name)).rejects.toBeInstanceOf(InvalidOptionError);
      expect(() => t.runtime.status(name)).toThrow(InvalidOptionError);
      expect(() => t.runtime.whereis(name)).toThrow(InvalidOptionError);
    }
    await t.close();
  });

  it('refuses start without a type or without options', async () => {
    const t = await bootApp([Journal, Worker]);
    await expect(t.runtime.start(undefined as never, { name: 'p' })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(t.runtime.start('nope', { name: 'p' })).rejects.toBeInstanceOf(UnknownTypeError);
    await expect((t.runtime.start as (type: unknown) => Promise<void>)(Worker)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(t.runtime.start(Worker, null as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(t.runtime.start(Worker, { name: 'p', supervisor: Symbol('s') as never })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(t.runtime.list()).toEqual([]);
    await t.close();
  });
});

describe('initTimeoutMs (#9, defect 10)', () => {
  let hang = false;

  @GenServer({ type: 'hanger' })
  class Hanger extends GenServerProcess {
    override async init() {
      if (hang) await new Promise(() => undefined);
    }
    @HandleCall('ping') ping() {
      return 'pong';
    }
    @HandleCast('crash') crash() {
      throw new Error('crash');
    }
  }

  beforeEach(() => (hang = false));

  it('fails a start whose init hangs with ProcessInitError, reason init_timeout', async () => {
    const t = await bootApp([Hanger], { initTimeoutMs: 50 });
    hang = true;
    const error = await t.runtime.start(Hanger, { name: 'h' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessInitError);
    expect((error as ProcessInitError).reason).toBe('init_timeout');
    expect(t.runtime.list()).toEqual([]);
    expect(t.logger.at('error').map((l) => l.message)).toContain('process "h": init() did not finish within initTimeoutMs (50 ms); the start fails with reason init_timeout');
    await t.close();
  });

  it('fails the boot, with a log, rather than hanging it', async () => {
    hang = true;
    @GenServer({ name: 'booting', initTimeoutMs: 30 })
    class Booting extends Hanger {}
    const error = await bootApp([Booting]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessInitError);
  });

  it('lets the supervisor go on with other exits while a restart hangs', async () => {
    const t = await bootApp([Hanger], {
      supervision: { name: 'root', maxRestarts: 10, children: [{ name: 'h', type: Hanger, initTimeoutMs: 50 }, { name: 'other', type: Hanger }] },
    });
    hang = true;
    await t.runtime.cast('h', { type: 'crash' }); // its restart hangs in init
    await sleep(10);
    hang = false;
    await t.runtime.cast('other', { type: 'crash' });
    await sleep(150);
    expect(t.runtime.whereis('other')?.incarnation).toBe(2);
    await expect(t.runtime.call('other', { type: 'ping' })).resolves.toBe('pong');
    await expect(t.runtime.call('h', { type: 'ping' })).resolves.toBe('pong'); // its next restart went through
    await t.close();
  });
});
