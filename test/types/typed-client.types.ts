// Type tests of the typed client, checked by `npm run typecheck` (tsconfig.json includes test/) and
// by test/unit/typed-client-types.spec.ts, which also checks that each `@ts-expect-error` below
// guards exactly the error its comment names. Never run: it only has to compile.
import {
  GenServer,
  GenServerProcess,
  HandleCall,
  HandleCast,
  noReply,
  type ClientMessageName,
  type ClientPayload,
  type ClientReply,
  type From,
  type GenServerClient,
  type GenServerRuntime,
  type NoReply,
} from 'nestjs-genserver';

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<T>(value: T): T {
  return value;
}

@GenServer('rate_limiter')
export class RateLimiter extends GenServerProcess<{ tokens: number; pending: From[] }> {
  @HandleCall('rate.acquire') acquire(): boolean {
    return this.state.tokens > 0;
  }
  @HandleCall('set') set(msg: { type: 'set'; key: string; value: number }): number {
    return msg.value;
  }
  @HandleCall('peek') async peek(msg: { key?: string }): Promise<number> {
    return msg.key === undefined ? 0 : 1;
  }
  @HandleCall('later') later(_msg: unknown, from: From): NoReply {
    this.state.pending.push(from);
    return noReply();
  }
  @HandleCall('maybe') maybe(_msg: unknown, from: From): number | NoReply {
    return from ? 1 : noReply();
  }
  @HandleCall('deferred') async deferred(_msg: unknown, from: From): Promise<{ ok: boolean } | NoReply> {
    if (this.state.tokens > 0) return { ok: true };
    this.state.pending.push(from);
    return noReply();
  }
  @HandleCast('reset') reset(): void {
    this.state.tokens = 0;
  }
  @HandleCast('note') note(msg: { text: string }): void {
    void msg;
  }
  private secret(): number {
    return 1;
  }
  protected guarded(): number {
    return this.secret();
  }
}

// The names, payloads and replies the helper types give.
expectType<Equal<ClientMessageName<RateLimiter>, 'acquire' | 'set' | 'peek' | 'later' | 'maybe' | 'deferred' | 'reset' | 'note'>>(true);
expectType<Equal<ClientPayload<RateLimiter, 'set'>, Omit<{ type: 'set'; key: string; value: number }, 'type'>>>(true);
expectType<Equal<ClientReply<RateLimiter, 'peek'>, number>>(true);
expectType<Equal<ClientReply<RateLimiter, 'later'>, unknown>>(true);
expectType<Equal<ClientReply<RateLimiter, 'maybe'>, number>>(true);
expectType<Equal<ClientReply<RateLimiter, 'deferred'>, { ok: boolean }>>(true);
expectType<Equal<ClientMessageName<unknown>, string>>(true);

export async function positives(client: GenServerClient<RateLimiter>, runtime: GenServerRuntime): Promise<void> {
  expectType<string>(client.name);
  expectType<boolean>(await client.call('acquire'));
  expectType<boolean>(await client.call('acquire', undefined, { timeout: 100 }));
  expectType<boolean>(await client.call('acquire', {}, { timeout: 100 }));
  expectType<number>(await client.call('set', { key: 'a', value: 1 }));
  expectType<number>(await client.call('set', { key: 'a', value: 1 }, { timeout: 100 }));
  expectType<number>(await client.call('peek'));
  expectType<number>(await client.call('peek', { key: 'x' }));
  expectType<unknown>(await client.call('later', { anything: true }));
  expectType<number>(await client.call('maybe'));
  expectType<{ ok: boolean }>(await client.call('deferred'));
  expectType<void>(await client.cast('reset'));
  expectType<void>(await client.cast('note', { text: 'hi' }));
  expectType<GenServerClient<RateLimiter>>(runtime.client(RateLimiter));
  expectType<GenServerClient<RateLimiter>>(runtime.client<RateLimiter>('rate_limiter'));
  expectType<GenServerClient<RateLimiter>>(runtime.client('billing', RateLimiter));
  const untyped = runtime.client('anything');
  expectType<unknown>(await untyped.call('whatever', { a: 1 }, { timeout: 5 }));
  expectType<void>(await untyped.cast('whatever'));
}

export async function negatives(client: GenServerClient<RateLimiter>): Promise<void> {
  // @ts-expect-error TS2345 an unknown method name
  await client.call('nope');
  // @ts-expect-error TS2345 a member every process has
  await client.call('init');
  // @ts-expect-error TS2345 a private method
  await client.call('secret');
  // @ts-expect-error TS2322 a payload field of the wrong type
  await client.call('set', { key: 'a', value: 'one' });
  // @ts-expect-error TS2554 a required payload left out
  await client.call('set');
  // @ts-expect-error TS2345 a required field left out
  await client.call('set', { key: 'a' });
  // @ts-expect-error TS2322 a payload for a handler that takes none
  await client.call('acquire', { extra: 1 });
  // @ts-expect-error TS2345 the reply used as what it is not
  expectType<string>(await client.call('acquire'));
  // @ts-expect-error TS2322 a cast payload of the wrong type
  await client.cast('note', { text: 1 });
  // @ts-expect-error TS2554 cast takes no options
  await client.cast('reset', undefined, { timeout: 1 });
  // @ts-expect-error TS2345 a deferred reply is still typed by the declared return
  expectType<string>(await client.call('deferred'));
  // @ts-expect-error TS2322 call options of the wrong type
  await client.call('acquire', undefined, { timeout: '1s' });
}
