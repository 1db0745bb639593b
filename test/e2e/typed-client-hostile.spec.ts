import { Test } from '@nestjs/testing';
import {
  GenServer,
  GenServerModule,
  GenServerProcess,
  GenServerRuntime,
  HandleCall,
  HandleCast,
  InvalidOptionError,
  InvalidPayloadError,
  TypedClientError,
} from 'nestjs-genserver';

// Hostile input to typed clients: method names from Object.prototype, payloads whose getters throw,
// Proxies, cyclic objects; a client object is never thenable. Every refusal is a typed rejection.

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

@GenServer('echo')
class Echo extends GenServerProcess<null> {
  override init() {
    this.state = null;
  }
  @HandleCall('echo') echo(msg: Record<string, unknown>) {
    return Object.keys(msg).sort();
  }
  @HandleCall() any(msg: { type: string }) {
    return `any:${msg.type}`;
  }
  @HandleCast('poke') poke() {}
}

let app: Awaited<ReturnType<typeof boot>>;
async function boot() {
  const moduleRef = await Test.createTestingModule({ imports: [GenServerModule.forRoot({ onRootFailure: 'keep' })], providers: [Echo] }).compile();
  const nest = moduleRef.createNestApplication({ logger: false });
  await nest.init();
  return nest;
}
beforeAll(async () => {
  app = await boot();
});
afterAll(async () => {
  await app?.close();
});

describe('typed client, hostile', () => {
  it('is not thenable: awaiting a client resolves with the client and sends nothing', async () => {
    const runtime = app.get(GenServerRuntime);
    for (const client of [runtime.client(Echo), runtime.client('echo'), runtime.client('then'), runtime.client('echo', Echo)]) {
      expect('then' in client).toBe(false);
      expect(await client).toBe(client);
    }
  });

  it.each(['__proto__', 'constructor', 'then', 'toString', 'hasOwnProperty', 'valueOf', 'init', 'terminate', 'call', 'cast', 'state'])(
    'method name %p of a typed client is a TypedClientError',
    async (method) => {
      const client = app.get(GenServerRuntime).client(Echo) as unknown as { call(m: string): Promise<unknown>; cast(m: string): Promise<void> };
      await expect(client.call(method)).rejects.toBeInstanceOf(TypedClientError);
      await expect(client.cast(method)).rejects.toBeInstanceOf(TypedClientError);
    },
  );

  it.each([undefined, null, 1, Symbol('s'), {}, ['echo'], { toString: () => 'echo' }])('method name %p is a typed rejection', async (method) => {
    const client = app.get(GenServerRuntime).client(Echo) as unknown as { call(m: unknown): Promise<unknown>; cast(m: unknown): Promise<void> };
    await expect(client.call(method)).rejects.toBeInstanceOf(InvalidPayloadError);
    await expect(client.cast(method)).rejects.toBeInstanceOf(InvalidPayloadError);
  });

  it('untyped: Object.prototype names go on the wire as plain types', async () => {
    const client = app.get(GenServerRuntime).client('echo') as unknown as { call(m: string): Promise<unknown> };
    for (const method of ['__proto__', 'constructor', 'then', 'toString']) expect(await client.call(method)).toBe(`any:${method}`);
  });

  it('payloads: throwing getters, Proxies whose traps throw, cyclic objects, null prototypes, class instances', async () => {
    const client = app.get(GenServerRuntime).client(Echo) as unknown as { call(m: string, p?: unknown): Promise<unknown> };
    const getter = Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('getter'); } });
    await expect(client.call('echo', getter)).rejects.toThrow('getter');
    const trap = new Proxy({}, { getPrototypeOf: () => { throw new Error('trap'); } });
    await expect(client.call('echo', trap)).rejects.toThrow('trap');
    const keys = new Proxy({}, { ownKeys: () => { throw new Error('keys'); } });
    await expect(client.call('echo', keys)).rejects.toThrow('keys');
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    await expect(client.call('echo', revocable.proxy)).rejects.toThrow();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(await client.call('echo', cyclic)).toEqual(['a', 'self', 'type']);
    const bare = Object.assign(Object.create(null), { b: 2 });
    expect(await client.call('echo', bare)).toEqual(['b', 'type']);
    expect(await client.call('echo', JSON.parse('{"__proto__": {"polluted": 1}, "type": "evil"}'))).toEqual(['__proto__', 'type']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    for (const bad of [null, 1, 'x', [], new Date(), new Map(), () => 1]) await expect(client.call('echo', bad)).rejects.toBeInstanceOf(InvalidPayloadError);
  });

  it('hostile call options are typed rejections', async () => {
    const client = app.get(GenServerRuntime).client(Echo) as unknown as { call(m: string, p?: unknown, o?: unknown): Promise<unknown> };
    for (const options of [{ timeout: '100' }, { timeout: -1 }, { timeout: 2 ** 31 }, { timeout: NaN }, 5, 'x']) {
      await expect(client.call('echo', {}, options)).rejects.toBeInstanceOf(InvalidOptionError);
    }
    // OTP's positional timeout, straight to the runtime too: never a silent fall back to the default.
    await expect(app.get(GenServerRuntime).call('echo', { type: 'echo' }, 5000 as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(app.get(GenServerRuntime).call('echo', { type: 'echo' }, null as never)).rejects.toBeInstanceOf(InvalidOptionError);
    const throwing = Object.defineProperty({}, 'timeout', { get: () => { throw new Error('opt'); } });
    await expect(client.call('echo', {}, throwing)).rejects.toThrow();
  });

  it('runtime.client with hostile names and classes throws typed errors', () => {
    const runtime = app.get(GenServerRuntime);
    for (const bad of [null, 1, '', {}, Symbol('x')]) expect(() => runtime.client(bad as string)).toThrow(InvalidOptionError);
    for (const bad of [null, 1, 'x', {}]) expect(() => runtime.client('echo', bad as never)).toThrow(InvalidOptionError);
    class Plain {}
    expect(() => runtime.client(Plain)).toThrow(TypedClientError);
  });

  it('a class whose prototype getter throws is a typed rejection, not a throw', async () => {
    const runtime = app.get(GenServerRuntime);
    const hostile = new Proxy(function Hostile() {}, { get: (t, k) => { if (k === 'prototype') throw new Error('proto'); return Reflect.get(t, k); } });
    const client = runtime.client('echo', hostile as never) as unknown as { call(m: string): Promise<unknown> };
    await expect(client.call('echo')).rejects.toThrow();
  });
});
