import { HANDLE_CALL_METADATA, HANDLE_CAST_METADATA } from '../genserver.constants.js';
import { messages } from '../errors/messages.js';
import { TypedClientError } from '../errors/typed-client.error.js';

/** The two kinds of message a client sends; info messages are the process's own business. */
export type ClientKind = 'call' | 'cast';

const KIND_KEYS: Record<ClientKind, string> = { call: HANDLE_CALL_METADATA, cast: HANDLE_CAST_METADATA };
const OTHER: Record<ClientKind, ClientKind> = { call: 'cast', cast: 'call' };

/** Where a typed client's `call(method)` or `cast(method)` goes: the wire type, or why it cannot. */
export type WireRoute = { readonly type: string } | { readonly error: TypedClientError };

/**
 * The wire types of one `@GenServer` class, for a typed client: which `type` field a message named
 * by a handler method carries. A method whose patterns of that kind include its own name sends its
 * name; one with exactly one pattern sends that pattern; the catch-all sends the method name, unless
 * another method handles that name exactly (the message would reach the other method). Anything
 * else (several patterns, none the method name) is ambiguous.
 */
export class ClassWireTypes {
  private readonly routes: Record<ClientKind, Map<string, WireRoute>> = { call: new Map(), cast: new Map() };

  constructor(private readonly cls: Function) {
    const methods = methodsOf(cls);
    for (const kind of ['call', 'cast'] as const) {
      const patternsOf = new Map<string, (string | undefined)[]>();
      const exactOwner = new Map<string, string>();
      for (const [method, fn] of methods) {
        const patterns: (string | undefined)[] | undefined = Reflect.getMetadata(KIND_KEYS[kind], fn);
        if (!patterns || patterns.length === 0) continue;
        patternsOf.set(method, patterns);
        for (const pattern of patterns) if (pattern !== undefined && !exactOwner.has(pattern)) exactOwner.set(pattern, method);
      }
      for (const [method, patterns] of patternsOf) this.routes[kind].set(method, this.resolve(kind, method, patterns, exactOwner));
    }
  }

  /** Where `client[kind](method)` goes; an error route for a method that is not a handler of that kind. */
  route(kind: ClientKind, method: string): WireRoute {
    const route = this.routes[kind].get(method);
    if (route) return route;
    const text = this.routes[OTHER[kind]].has(method)
      ? messages.clientWrongKind(this.cls.name, method, kind, OTHER[kind])
      : messages.clientNotAHandler(this.cls.name, method, kind);
    return { error: new TypedClientError(this.cls.name, method, text) };
  }

  /** The problems of every handler method: what the bootstrap check reports. */
  problems(): TypedClientError[] {
    const found: TypedClientError[] = [];
    for (const routes of Object.values(this.routes)) for (const route of routes.values()) if ('error' in route) found.push(route.error);
    return found;
  }

  private resolve(kind: ClientKind, method: string, patterns: (string | undefined)[], exactOwner: Map<string, string>): WireRoute {
    if (patterns.includes(method)) return { type: method };
    const exact = [...new Set(patterns.filter((p): p is string => p !== undefined))];
    if (exact.length === 1) return { type: exact[0]! };
    const fail = (text: string) => ({ error: new TypedClientError(this.cls.name, method, text) });
    if (exact.length > 1) return fail(messages.clientAmbiguousMethod(this.cls.name, method, kind, exact));
    // Only the catch-all: the method name goes on the wire, and must not be another method's pattern.
    const other = exactOwner.get(method);
    return other === undefined ? { type: method } : fail(messages.clientShadowedCatchAll(this.cls.name, method, kind, other));
  }
}

const cache = new WeakMap<Function, ClassWireTypes>();

/** The wire types of a class, read once (decorators do not change after import). */
export function wireTypesOf(cls: Function): ClassWireTypes {
  let found = cache.get(cls);
  if (!found) cache.set(cls, (found = new ClassWireTypes(cls)));
  return found;
}

/** Methods of a class, inherited ones included; a subclass's method hides its parent's, as in dispatch. */
function methodsOf(cls: Function): Map<string, Function> {
  const methods = new Map<string, Function>();
  for (let proto = cls.prototype as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || methods.has(key)) continue;
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value;
      if (typeof value === 'function') methods.set(key, value);
    }
  }
  return methods;
}
