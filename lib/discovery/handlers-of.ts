import { HANDLE_CALL_METADATA, HANDLE_CAST_METADATA, HANDLE_INFO_METADATA } from '../genserver.constants.js';
import type { MessageKind } from '../process/envelope.js';
import { HandlerTable, type HandlerMethod } from './handler-table.js';

const KIND_KEYS: readonly (readonly [MessageKind, string])[] = [
  ['call', HANDLE_CALL_METADATA],
  ['cast', HANDLE_CAST_METADATA],
  ['info', HANDLE_INFO_METADATA],
];

/**
 * Builds the handler table of a class from what its handler decorators recorded, inherited
 * handlers included. `methodNames`: the app passes Nest's `MetadataScanner`'s; an isolated
 * process's worker walks the prototypes itself (see `methodNamesOf`), so it need not load Nest's core.
 */
export function handlersOf(cls: Function, methodNames: Iterable<string> = methodNamesOf(cls.prototype as object)): HandlerTable {
  const table = new HandlerTable(cls.name);
  const prototype = cls.prototype as Record<string, unknown>;
  for (const methodName of methodNames) {
    const method = prototype[methodName] as HandlerMethod;
    for (const [kind, key] of KIND_KEYS) {
      const patterns: (string | undefined)[] | undefined = Reflect.getMetadata(key, method);
      for (const pattern of patterns ?? []) table.add(kind, pattern, method);
    }
  }
  return table;
}

/** The methods of a prototype chain (not accessors, not constructors), nearest first, as Nest's scanner finds them. */
export function methodNamesOf(prototype: object | null): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  for (let at = prototype; at !== null && at !== Object.prototype; at = Reflect.getPrototypeOf(at)) {
    for (const property of Object.getOwnPropertyNames(at)) {
      if (seen.has(property)) continue;
      seen.add(property);
      const descriptor = Object.getOwnPropertyDescriptor(at, property) as PropertyDescriptor;
      if (descriptor.get === undefined && descriptor.set === undefined && property !== 'constructor' && typeof descriptor.value === 'function') names.push(property);
    }
  }
  return names;
}
