import { GenServer, GenServerProcess, HandleCall, InvalidPayloadError, ProcessCrashedError, GenServerError } from 'nestjs-genserver';
import { bootApp, sleep } from '../../support/app.js';

// #9 defect 4: values that cannot be described must neither wedge a mailbox nor kill the runtime.

const throwingProxy = () =>
  new Proxy({}, {
    get() { throw new Error('trap: get'); },
    getPrototypeOf() { throw new Error('trap: getPrototypeOf'); },
    ownKeys() { throw new Error('trap: ownKeys'); },
    has() { throw new Error('trap: has'); },
  });

@GenServer('hostile')
class Hostile extends GenServerProcess<{ handled: number }> {
  override init() {
    this.state = { handled: 0 };
  }
  @HandleCall('throw_null_proto') throwNullProto() {
    throw Object.create(null);
  }
  @HandleCall('reject_null_proto') async rejectNullProto() {
    await sleep(1);
    throw Object.create(null);
  }
  @HandleCall('reply_proxy') replyProxy() {
    return throwingProxy();
  }
  @HandleCall('reply_opaque_proxy') replyOpaqueProxy() {
    // readable, but it cannot be inspected: no prototype, no keys
    return new Proxy({}, {
      getPrototypeOf() { throw new Error('trap: getPrototypeOf'); },
      ownKeys() { throw new Error('trap: ownKeys'); },
    });
  }
  @HandleCall('reply_throwing_then') replyThrowingThen() {
    return {
      get then() {
        throw new Error('then getter');
      },
    };
  }
  @HandleCall('ping') ping() {
    return ++this.state.handled;
  }
}

describe('values that cannot be described (#9, defect 4)', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(() => process.off('unhandledRejection', onUnhandled));

  it('answers each with a typed error, restarts when the handler is at fault, and never wedges the mailbox', async () => {
    const t = await bootApp([Hostile], { maxRestarts: 10 });
    await expect(t.runtime.call('hostile', { type: 'throw_null_proto' })).rejects.toBeInstanceOf(ProcessCrashedError);
    await expect(t.runtime.call('hostile', { type: 'ping' }, { timeout: 1000 })).resolves.toBe(1);
    expect(t.runtime.whereis('hostile')?.incarnation).toBe(2);

    await expect(t.runtime.call('hostile', { type: 'reject_null_proto' })).rejects.toBeInstanceOf(ProcessCrashedError);
    await expect(t.runtime.call('hostile', { type: 'ping' }, { timeout: 1000 })).resolves.toBe(1);
    expect(t.runtime.status('hostile').status).toBe('running');

    // A reply that cannot be inspected: the caller gets a typed error; the process goes on.
    await expect(t.runtime.call('hostile', { type: 'reply_opaque_proxy' })).rejects.toBeInstanceOf(InvalidPayloadError);
    await expect(t.runtime.call('hostile', { type: 'ping' }, { timeout: 1000 })).resolves.toBe(2);

    // A reply whose every read throws (its `then` too) fails as the handler's own crash.
    await expect(t.runtime.call('hostile', { type: 'reply_proxy' })).rejects.toBeInstanceOf(ProcessCrashedError);
    await expect(t.runtime.call('hostile', { type: 'ping' }, { timeout: 1000 })).resolves.toBe(1);

    // A `then` getter that throws is the handler's fault, like a throw.
    await expect(t.runtime.call('hostile', { type: 'reply_throwing_then' })).rejects.toBeInstanceOf(ProcessCrashedError);
    await expect(t.runtime.call('hostile', { type: 'ping' }, { timeout: 1000 })).resolves.toBe(1);

    const crashes = t.events.filter((e) => e.type === 'crashed');
    expect(crashes).toHaveLength(4);
    expect(t.runtime.status('hostile').lastError).toBe('then getter');
    await t.close();
    await sleep(10);
    expect(unhandled).toEqual([]);
  });

  it('rejects (never throws) a payload whose type getter throws, with a typed error', async () => {
    const t = await bootApp([Hostile]);
    const payload = {
      get type(): string {
        throw new Error('type getter');
      },
    };
    let call: Promise<unknown> | undefined;
    expect(() => (call = t.runtime.call('hostile', payload))).not.toThrow();
    await expect(call).rejects.toBeInstanceOf(GenServerError);
    let cast: Promise<unknown> | undefined;
    expect(() => (cast = t.runtime.cast('hostile', throwingProxy()))).not.toThrow();
    await expect(cast).rejects.toBeInstanceOf(GenServerError);
    await expect(t.runtime.call('hostile', { type: 'ping' })).resolves.toBe(1);
    await t.close();
    expect(unhandled).toEqual([]);
  });
});
