import { messages } from '../errors/messages.js';
import { TypedClientError } from '../errors/typed-client.error.js';
import { processNameOf, type ClientBinding } from './client-token.js';
import { wireTypesOf } from './client-wire-types.js';

/** What the check needs to know about the app being booted. */
export interface ClientCheckContext {
  /** Whether a class is a provider or controller of this app (bindings of other apps are not its business). */
  inApp(cls: Function): boolean;
  /** The class the app declares for a process name (topology or `@GenServer('name')`), if any. */
  declaredClass(name: string): { readonly cls: Function; readonly typeName: string } | undefined;
}

/**
 * Checks, at bootstrap, every typed client the app injects with a class: what types cannot see.
 * Throws `TypedClientError` for the first problem: a class that names no process, a process name the
 * app declares with another class (the topology, or another `@GenServer('name')` class), a handler
 * method that does not map to exactly one message type.
 */
export function checkClientBindings(bindings: readonly ClientBinding[], app: ClientCheckContext): void {
  for (const binding of bindings) {
    const cls = binding.cls;
    if (!cls || ![...binding.users].some((user) => app.inApp(user))) continue;
    const name = binding.name ?? processNameOf(cls);
    if (name === undefined) throw new TypedClientError(cls.name, undefined, messages.clientNoProcessName(cls.name, 'inject'));
    // The topology may place a process name under another type than the class that names it.
    const declared = app.declaredClass(name);
    if (declared && declared.cls !== cls) {
      const how = binding.name === undefined ? `@InjectGenServer(${cls.name})` : `@InjectGenServer('${name}', ${cls.name})`;
      const declaredName = declared.cls.name === declared.typeName ? declared.cls.name : `${declared.cls.name} ("${declared.typeName}")`;
      throw new TypedClientError(cls.name, undefined, messages.clientTypeMismatch(how, name, cls.name, declaredName));
    }
    const [problem] = wireTypesOf(cls).problems();
    if (problem) throw problem;
  }
}
