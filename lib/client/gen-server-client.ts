import { describeValue } from '../errors/describe-value.js';
import { InvalidPayloadError } from '../errors/invalid-payload.error.js';
import { messages } from '../errors/messages.js';
import type { CallOptions } from '../interfaces/genserver.types.js';
import type { GenServerProcess } from '../process/gen-server-process.js';
import type { NoReply } from '../process/no-reply.js';
import { wireTypesOf, type ClientKind } from './client-wire-types.js';

type AnyMethod = (...args: never[]) => unknown;
type HandlerOf<T, K> = K extends keyof T ? Extract<T[K], AnyMethod> : never;
type ParamsOf<T, K> = HandlerOf<T, K> extends (...args: infer A) => unknown ? A : never;
type ReturnOf<T, K> = HandlerOf<T, K> extends (...args: never[]) => infer R ? R : never;
/** The payload a handler parameter asks for: the message without its `type` (the client sets it). */
type PayloadOf<P> = unknown extends P
  ? Record<string, unknown>
  : P extends readonly unknown[] | AnyMethod
    ? never
    : P extends object
      ? Omit<P, 'type'>
      : never;

/** The payload of a handler that takes no parameter: nothing, or an empty object. */
export type EmptyPayload = Record<string, never>;

/**
 * The message names a `GenServerClient<T>` accepts: the names of `T`'s methods, without the members
 * every process has (`init`, `terminate`, `call`, `cast`, `state`, …). Any string for an untyped
 * client (`T` left `unknown`).
 */
export type ClientMessageName<T> = unknown extends T
  ? string
  : {
      [K in keyof T]-?: K extends string
        ? K extends keyof GenServerProcess<unknown>
          ? never
          : T[K] extends AnyMethod
            ? K
            : never
        : never;
    }[keyof T];

/**
 * The payload of message `K`: the handler's first parameter without its `type` field, which the
 * client fills in. `EmptyPayload` for a handler without a parameter; `never` (nothing can be sent)
 * for a first parameter that is not an object, since a message is always an object.
 */
export type ClientPayload<T, K extends ClientMessageName<T>> = unknown extends T
  ? Record<string, unknown>
  : ParamsOf<T, K> extends []
    ? EmptyPayload
    : PayloadOf<Exclude<ParamsOf<T, K>[0], undefined>>;

/**
 * What `client.call(K)` resolves with: what the handler returns, promises unwrapped, without
 * `NoReply`. A handler that returns `noReply()` answers later with `this.reply(from, value)`, which
 * no type checks: declare its return type (`Promise<WorkReply | NoReply>`) to say what that value
 * is. `unknown` for a handler that only ever returns `NoReply`.
 */
export type ClientReply<T, K extends ClientMessageName<T>> = unknown extends T ? unknown : ReplyOf<Exclude<Awaited<ReturnOf<T, K>>, NoReply>>;
type ReplyOf<R> = [R] extends [never] ? unknown : R;

/** True when the payload of `K` may be left out: no parameter, an optional one, or no required field. */
type PayloadOptional<T, K extends ClientMessageName<T>> = unknown extends T
  ? true
  : [] extends ParamsOf<T, K>
    ? true
    : {} extends ClientPayload<T, K>
      ? true
      : false;

/** The arguments of `client.call(K, …)` after the name: the payload (optional when it may be), then options. */
export type ClientCallArgs<T, K extends ClientMessageName<T>> = PayloadOptional<T, K> extends true
  ? [payload?: ClientPayload<T, K>, options?: CallOptions]
  : [payload: ClientPayload<T, K>, options?: CallOptions];

/** The arguments of `client.cast(K, …)` after the name: the payload, optional when it may be. */
export type ClientCastArgs<T, K extends ClientMessageName<T>> = PayloadOptional<T, K> extends true
  ? [payload?: ClientPayload<T, K>]
  : [payload: ClientPayload<T, K>];

/**
 * A client of one process, typed by its `@GenServer` class `T`: messages are named by the handler
 * methods of `T`, payloads and replies follow their signatures. Get one with
 * `@InjectGenServer(RateLimiter)` or `runtime.client(RateLimiter)`.
 *
 * The message sent is `{ ...payload, type }`, where `type` is the pattern of the handler's
 * decorator (`@HandleCall('rate.acquire') acquire()` is reached by `client.call('acquire')`); a
 * `type` field in the payload is overwritten by it. Messages go through `GenServerRuntime.call` and
 * `cast`, so they reach local and cluster-remote processes alike, with the same errors.
 */
export interface GenServerClient<T = unknown> {
  /** The name of the process this client talks to. */
  readonly name: string;
  /**
   * Calls the handler method `type` and resolves with its reply. Rejects like
   * `GenServerRuntime.call`, and, before sending anything, with `TypedClientError` when `type` is
   * not a `@HandleCall` handler of the class (a cast handler: use `cast`) and with
   * `InvalidPayloadError` when the payload is not a plain object.
   */
  call<K extends ClientMessageName<T>>(type: K, ...args: ClientCallArgs<T, K>): Promise<ClientReply<T, K>>;
  /**
   * Casts to the handler method `type`; resolves once the mailbox has accepted the message. Rejects
   * like `GenServerRuntime.cast`, and with `TypedClientError` / `InvalidPayloadError` as `call` does.
   */
  cast<K extends ClientMessageName<T>>(type: K, ...args: ClientCastArgs<T, K>): Promise<void>;
}

/** What a client sends through: `GenServerRuntime`'s untyped `call` and `cast`. */
export interface ClientTransport {
  call(name: string, payload: unknown, options?: CallOptions): Promise<unknown>;
  cast(name: string, payload: unknown): Promise<void>;
}

/**
 * The one implementation of `GenServerClient`. With a class, a method name is turned into its wire
 * type and checked against the handler kind; without one, the name is sent as the `type`.
 */
export class TypedGenServerClient {
  constructor(
    readonly name: string,
    private readonly transport: ClientTransport,
    private readonly cls?: Function,
  ) {}

  call(type: unknown, payload?: unknown, options?: CallOptions): Promise<unknown> {
    return this.send('call', type, payload, (message) => this.transport.call(this.name, message, options));
  }

  cast(type: unknown, payload?: unknown): Promise<void> {
    return this.send('cast', type, payload, (message) => this.transport.cast(this.name, message));
  }

  /** Builds the message and hands it on; every refusal is a rejection, never a throw. */
  private send<R>(kind: ClientKind, type: unknown, payload: unknown, deliver: (message: object) => Promise<R>): Promise<R> {
    try {
      if (typeof type !== 'string') {
        return Promise.reject(new InvalidPayloadError(this.name, 'payload', undefined, messages.clientMethodName(describeValue(type))));
      }
      if (payload !== undefined && !isPlainObject(payload)) {
        return Promise.reject(new InvalidPayloadError(this.name, 'payload', type, describeValue(payload)));
      }
      let wireType = type;
      if (this.cls) {
        const route = wireTypesOf(this.cls).route(kind, type);
        if ('error' in route) return Promise.reject(route.error);
        wireType = route.type;
      }
      // The wire type comes last: a `type` field of the payload never redirects the message.
      return deliver({ ...(payload as object | undefined), type: wireType });
    } catch (error) {
      // A payload whose getters throw while it is copied.
      return Promise.reject(error);
    }
  }
}

/** A plain or null-prototype object of any realm (a vm context has its own `Object.prototype`). */
function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: object | null = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}
