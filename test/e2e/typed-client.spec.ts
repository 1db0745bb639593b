import { jest } from '@jest/globals';
import { Controller, Injectable, Module, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  GenServer,
  GenServerModule,
  GenServerProcess,
  GenServerRuntime,
  HandleCall,
  HandleCast,
  InjectGenServer,
  InvalidOptionError,
  InvalidPayloadError,
  TypedClientError,
  getGenServerClientToken,
  type GenServerClient,
  type GenServerModuleOptions,
} from 'nestjs-genserver';
import { bootApp, type TestApp } from '../support/app.js';

@GenServer('counter')
class Counter extends GenServerProcess<{ n: number; notes: string[] }> {
  override init() {
    this.state = { n: 0, notes: [] };
  }
  // The method name differs from the pattern: the client sends "rate.acquire".
  @HandleCall('rate.acquire') acquire(): number {
    return ++this.state.n;
  }
  // The catch-all: reached by the method name.
  @HandleCall() get(): number {
    return this.state.n;
  }
  @HandleCall('add') async add(msg: { type: 'add'; by: number }): Promise<number> {
    this.state.n += msg.by;
    return this.state.n;
  }
  @HandleCall('echo') echo(msg: { type: 'echo'; x?: number }) {
    return msg;
  }
  @HandleCast('reset') reset() {
    this.state.n = 0;
  }
  @HandleCast('note') note(msg: { text: string }) {
    this.state.notes.push(msg.text);
  }
  @HandleCall('notes') notes(): string[] {
    return this.state.notes;
  }
  helper(): number {
    return 1;
  }
}

@Controller()
class CounterController {
  @InjectGenServer('dyn') loose!: GenServerClient;
  constructor(
    @InjectGenServer(Counter) readonly counter: GenServerClient<Counter>,
    @InjectGenServer('dyn', Counter) readonly dyn: GenServerClient<Counter>,
  ) {}
}

/** Builds an app without initialising it, so a boot that fails can still be closed. */
async function createApp(providers: Type[], options: GenServerModuleOptions = {}) {
  @Module({ imports: [GenServerModule.forRoot({ onRootFailure: 'keep', ...options })], providers })
  class BrokenAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [BrokenAppModule] }).compile();
  return moduleRef.createNestApplication({ logger: false });
}

async function bootFails(providers: Type[], options: GenServerModuleOptions = {}): Promise<TypedClientError> {
  const app = await createApp(providers, options);
  try {
    await app.init();
  } catch (error) {
    return error as TypedClientError;
  } finally {
    await app.close();
  }
  throw new Error('the boot did not fail');
}

describe('typed clients', () => {
  let t: TestApp;
  afterEach(async () => {
    jest.restoreAllMocks();
    await t?.close();
  });

  async function boot() {
    t = await bootApp([Counter], {}, { controllers: [CounterController] });
    await t.runtime.start(Counter, { name: 'dyn' });
    return t.app.get(CounterController);
  }

  it('injects clients by class and by name; calls and casts reach the right handlers with typed replies', async () => {
    const { counter, dyn, loose } = await boot();
    expect(counter.name).toBe('counter');
    expect(dyn.name).toBe('dyn');
    const first: number = await counter.call('acquire');
    expect(first).toBe(1);
    expect(await counter.call('add', { by: 5 }, { timeout: 1000 })).toBe(6);
    expect(await counter.call('get')).toBe(6);
    await counter.cast('note', { text: 'hi' });
    await counter.cast('reset');
    expect(await counter.call('notes')).toEqual(['hi']);
    expect(await counter.call('get')).toBe(0);
    // The run-time process is another one, with its own state.
    expect(await dyn.call('acquire')).toBe(1);
    expect(await dyn.call('add', { by: 2 })).toBe(3);
    // By name only, the method name goes on the wire as it is: "rate.acquire" must be spelled out.
    expect(await loose.call('rate.acquire')).toBe(4);
    expect(await t.runtime.status('dyn').name).toBe('dyn');
  });

  it('sends the wire type from the decorator; a `type` field of the payload does not redirect the message', async () => {
    const { counter } = await boot();
    const call = jest.spyOn(t.runtime, 'call');
    await counter.call('acquire');
    expect(call).toHaveBeenLastCalledWith('counter', { type: 'rate.acquire' }, undefined);
    const echoed = await counter.call('echo', { x: 1, type: 'evil' } as never);
    expect(echoed).toEqual({ x: 1, type: 'echo' });
  });

  it('a call to a cast handler (and the reverse, and a plain method) rejects at once, never reaching the mailbox', async () => {
    const { counter } = await boot();
    const call = jest.spyOn(t.runtime, 'call');
    const cast = jest.spyOn(t.runtime, 'cast');
    const wrongKind = counter.call('reset');
    await expect(wrongKind).rejects.toThrow(TypedClientError);
    await expect(wrongKind).rejects.toThrow("Counter.reset is a @HandleCast handler, not a @HandleCall one: use client.cast('reset')");
    await expect(counter.cast('acquire')).rejects.toThrow("Counter.acquire is a @HandleCall handler, not a @HandleCast one: use client.call('acquire')");
    await expect(counter.call('helper')).rejects.toThrow('Counter.helper is not a @HandleCall handler');
    await expect(counter.call('init' as never)).rejects.toThrow(TypedClientError);
    expect(call).not.toHaveBeenCalled();
    expect(cast).not.toHaveBeenCalled();
    expect(t.runtime.status('counter').mailbox).toBe(0);
  });

  it('hostile input is a rejection with InvalidPayloadError naming the process, never a throw', async () => {
    const { counter, loose } = await boot();
    const call = jest.spyOn(t.runtime, 'call');
    for (const [type, payload] of [
      [42, undefined],
      [Symbol('x'), undefined],
      ['add', null],
      ['add', [1, 2]],
      ['add', 'by 5'],
      ['add', new Date()],
      ['add', new (class Payload { by = 1 })()],
    ] as const) {
      for (const client of [counter, loose] as GenServerClient<unknown>[]) {
        let sent!: Promise<unknown>;
        expect(() => (sent = client.call(type as never, payload as never))).not.toThrow();
        await expect(sent).rejects.toThrow(InvalidPayloadError);
        await expect(sent).rejects.toThrow(`process "${client.name}"`);
      }
    }
    const throwing = { get by(): number { throw new Error('getter'); } };
    await expect(counter.call('add', throwing)).rejects.toThrow('getter');
    expect(call).not.toHaveBeenCalled();
    // A null-prototype object is plain data.
    expect(await counter.call('add', Object.assign(Object.create(null) as { by: number }, { by: 3 }))).toBe(3);
  });

  it('runtime.client: by class, by name typed with a parameter, by name and class', async () => {
    await boot();
    const byClass = t.runtime.client(Counter);
    expect(byClass.name).toBe('counter');
    expect(await byClass.call('acquire')).toBe(1);
    const byName = t.runtime.client<Counter>('counter');
    expect(await byName.call('get')).toBe(1);
    const both = t.runtime.client('dyn', Counter);
    expect(await both.call('add', { by: 7 })).toBe(7);
    @GenServer({ type: 'anonymous' })
    class Anonymous extends GenServerProcess {}
    expect(() => t.runtime.client(Anonymous)).toThrow(TypedClientError);
    expect(() => t.runtime.client(Anonymous)).toThrow("runtime.client(Anonymous): Anonymous has no @GenServer('name')");
    expect(() => t.runtime.client(42 as never)).toThrow(InvalidOptionError);
  });

  it('fails the boot for a method whose message type cannot be told, naming class, method and patterns', async () => {
    @GenServer({ type: 'ambiguous' })
    class Ambiguous extends GenServerProcess {
      @HandleCall('a') @HandleCall('b') both() {
        return 1;
      }
    }
    @Injectable()
    class UsesAmbiguous {
      constructor(@InjectGenServer('amb', Ambiguous) readonly client: GenServerClient<Ambiguous>) {}
    }
    const error = await bootFails([Ambiguous, UsesAmbiguous]);
    expect(error).toBeInstanceOf(TypedClientError);
    expect(error.message).toContain('Ambiguous.both carries several @HandleCall patterns ("b", "a")');
    expect(error).toMatchObject({ className: 'Ambiguous', method: 'both' });
  });

  it('fails the boot for a catch-all whose name another method handles', async () => {
    @GenServer({ type: 'shadowed' })
    class Shadowed extends GenServerProcess {
      @HandleCall() get() {
        return 1;
      }
      @HandleCall('get') other() {
        return 2;
      }
    }
    @Injectable()
    class UsesShadowed {
      constructor(@InjectGenServer('shadowed', Shadowed) readonly client: GenServerClient<Shadowed>) {}
    }
    const error = await bootFails([Shadowed, UsesShadowed]);
    expect(error.message).toContain('Shadowed.get is the @HandleCall() catch-all, but client.call(\'get\') would send type "get", which Shadowed.other handles');
  });

  it('fails the boot for a class without a process name, and for a name declared with another class', async () => {
    @GenServer({ type: 'unnamed' })
    class Unnamed extends GenServerProcess {}
    @Injectable()
    class UsesUnnamed {
      constructor(@InjectGenServer(Unnamed) readonly client: GenServerClient<Unnamed>) {}
    }
    const unnamed = await bootFails([Unnamed, UsesUnnamed]);
    expect(unnamed).toBeInstanceOf(TypedClientError);
    expect(unnamed.message).toContain("@InjectGenServer(Unnamed): Unnamed has no @GenServer('name')");

    @GenServer({ type: 'other' })
    class Other extends GenServerProcess {}
    @Injectable()
    class UsesWrongType {
      constructor(@InjectGenServer('billing', Other) readonly client: GenServerClient<Other>) {}
    }
    const topology = await bootFails([Counter, Other, UsesWrongType], { supervision: { name: 'root', children: [{ name: 'billing', type: Counter }] } });
    expect(topology.message).toContain("@InjectGenServer('billing', Other): the process \"billing\" is declared with the type Counter, not Other");
    @Injectable()
    class UsesCounterName {
      constructor(@InjectGenServer('counter', Other) readonly client: GenServerClient<Other>) {}
    }
    const named = await bootFails([Counter, Other, UsesCounterName]);
    expect(named.message).toContain('the process "counter" is declared with the type Counter, not Other');
    // By class: the topology places the class's process name under another type.
    @Injectable()
    class UsesCounter {
      constructor(@InjectGenServer(Counter) readonly client: GenServerClient<Counter>) {}
    }
    const placed = await bootFails([Counter, Other, UsesCounter], { supervision: { name: 'root', children: [{ name: 'counter', type: Other }] } });
    expect(placed.message).toContain('@InjectGenServer(Counter): the process "counter" is declared with the type Other ("other"), not Counter');
  });

  it('a binding of a class that is not part of the app does not fail its boot', async () => {
    // Every test above recorded broken bindings; this app uses none of them.
    t = await bootApp([Counter], {}, { controllers: [CounterController] });
    expect(await t.app.get(CounterController).counter.call('acquire')).toBe(1);
  });

  it('a client first injected after forRoot() was called is still provided', async () => {
    const genServerModule = GenServerModule.forRoot({ onRootFailure: 'keep' });
    @Injectable()
    class LateUser {
      constructor(@InjectGenServer('late', Counter) readonly client: GenServerClient<Counter>) {}
    }
    @Module({ imports: [genServerModule], providers: [Counter, LateUser] })
    class LateModule {}
    const moduleRef = await Test.createTestingModule({ imports: [LateModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
      await app.get(GenServerRuntime).start(Counter, { name: 'late' });
      expect(await app.get(LateUser).client.call('add', { by: 2 })).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('forRootAsync provides the clients too', async () => {
    @Module({ imports: [GenServerModule.forRootAsync({ useFactory: async () => ({ onRootFailure: 'keep' as const }) })], providers: [Counter], controllers: [CounterController] })
    class AsyncModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AsyncModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
      expect(await app.get(CounterController).counter.call('acquire')).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('the provider can be overridden through getGenServerClientToken', async () => {
    const fake = { name: 'counter', call: jest.fn(async () => 99), cast: jest.fn(async () => undefined) };
    @Module({ imports: [GenServerModule.forRoot({ onRootFailure: 'keep' })], providers: [Counter], controllers: [CounterController] })
    class OverriddenModule {}
    const moduleRef = await Test.createTestingModule({ imports: [OverriddenModule] })
      .overrideProvider(getGenServerClientToken(Counter))
      .useValue(fake)
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
      expect(await app.get(CounterController).counter.call('acquire')).toBe(99);
      expect(getGenServerClientToken('dyn', Counter)).toBe(getGenServerClientToken('dyn', Counter));
      expect(getGenServerClientToken('dyn')).not.toBe(getGenServerClientToken('dyn', Counter));
    } finally {
      await app.close();
    }
  });
});
