import type { Type } from '@nestjs/common';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { GENSERVER_METADATA } from '../genserver.constants.js';

/** A typed client to provide: the process name, the class, or both, and who injects it. */
export interface ClientBinding {
  readonly token: string | symbol;
  /** The process name given to `@InjectGenServer('name', …)`; the class's `@GenServer` name otherwise. */
  readonly name?: string;
  readonly cls?: Type<object>;
  /** Classes that inject it: the bootstrap check looks only at bindings of classes in the app. */
  readonly users: Set<Function>;
}

// Filled at decoration time (when files are imported), read when Nest scans GenServerModule.
const bindings = new Map<string | symbol, ClientBinding>();
const classTokens = new Map<Function, symbol>();
const namedClassTokens = new Map<string, Map<Function, symbol>>();

/**
 * The injection token of the typed client that `@InjectGenServer(nameOrClass, cls?)` injects, to
 * override it in tests: `Test.createTestingModule(…).overrideProvider(getGenServerClientToken(RateLimiter))`.
 * The same arguments always give the same token.
 */
export function getGenServerClientToken(nameOrClass: string | Type<object>, cls?: Type<object>): string | symbol {
  if (typeof nameOrClass === 'function') {
    let token = classTokens.get(nameOrClass);
    if (!token) classTokens.set(nameOrClass, (token = Symbol(`GenServerClient<${nameOrClass.name}>`)));
    return token;
  }
  if (typeof nameOrClass !== 'string' || nameOrClass === '') {
    // Most often a class that is still undefined at decoration time: a circular import.
    throw new InvalidOptionError('the process of @InjectGenServer', nameOrClass, "a @GenServer class or a process name (an import cycle leaves a class undefined here)");
  }
  if (cls === undefined) return `GenServerClient:${nameOrClass}`;
  if (typeof cls !== 'function') throw new InvalidOptionError(`the class of @InjectGenServer('${nameOrClass}', …)`, cls, 'a @GenServer class');
  let byClass = namedClassTokens.get(nameOrClass);
  if (!byClass) namedClassTokens.set(nameOrClass, (byClass = new Map()));
  let token = byClass.get(cls);
  if (!token) byClass.set(cls, (token = Symbol(`GenServerClient<${cls.name}>:${nameOrClass}`)));
  return token;
}

/** Records that `user` injects the client of `nameOrClass` (and `cls`); returns its token. */
export function recordClientBinding(nameOrClass: string | Type<object>, cls: Type<object> | undefined, user: Function): string | symbol {
  const token = getGenServerClientToken(nameOrClass, cls);
  let binding = bindings.get(token);
  if (!binding) {
    binding = typeof nameOrClass === 'function' ? { token, cls: nameOrClass, users: new Set() } : { token, name: nameOrClass, cls, users: new Set() };
    bindings.set(token, binding);
  }
  binding.users.add(user);
  return token;
}

/** Every binding recorded so far, in recording order. */
export function recordedClientBindings(): ClientBinding[] {
  return [...bindings.values()];
}

/** The process name a `@GenServer('name')` class declares, if any. */
export function processNameOf(cls: Function): string | undefined {
  const options: { name?: unknown } | undefined = Reflect.getMetadata(GENSERVER_METADATA, cls);
  return typeof options?.name === 'string' ? options.name : undefined;
}
