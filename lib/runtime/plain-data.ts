/**
 * Says what makes `value` unfit to be a message or reply, or `undefined` when it is plain data at
 * the top level: primitives, arrays, plain or null-prototype objects, Dates and byte arrays. Only
 * the top level is checked so the hot path stays O(1).
 */
/**
 * A reply that could not leave the thread it was made on (an isolated process's worker), in its
 * place: the caller gets `InvalidPayloadError` saying what `found`, as for any reply that is not
 * plain data, and the process goes on.
 */
export class UnsendableReply {
  constructor(readonly found: string) {}
}

/** `value` as an `UnsendableReply`, if it is one; never throws (a Proxy's traps may). */
export function asUnsendable(value: unknown): UnsendableReply | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  try {
    return value instanceof UnsendableReply ? value : undefined;
  } catch {
    return undefined;
  }
}

export function describeNonPlainData(value: unknown): string | undefined {
  try {
    return describeTopLevel(value);
  } catch {
    // a Proxy whose traps throw, a `then` getter that throws: nothing that can cross a wire
    return 'a value that cannot be inspected';
  }
}

function describeTopLevel(value: unknown): string | undefined {
  switch (typeof value) {
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    case 'object': {
      if (value === null || Array.isArray(value)) return undefined;
      // Any realm's Object.prototype (structuredClone and vm contexts make objects of other realms).
      const prototype: object | null = Object.getPrototypeOf(value);
      if (prototype === null || Object.getPrototypeOf(prototype) === null) return undefined;
      if (isDateOrBytes(value)) return undefined;
      if (typeof (value as { then?: unknown }).then === 'function') return 'a promise';
      return `an instance of ${(value as object).constructor?.name ?? 'an unknown class'}`;
    }
    default:
      return undefined;
  }
}

/**
 * A Date or a byte array of any realm: a message read off the wire (V8's deserializer) or made in a
 * vm context has another realm's classes, which `instanceof` does not recognize.
 */
function isDateOrBytes(value: object): boolean {
  if (value instanceof Date || value instanceof Uint8Array) return true;
  const tag = Object.prototype.toString.call(value);
  return tag === '[object Date]' || tag === '[object Uint8Array]';
}

/** Values a deep check looks at before it gives up (a message that large is refused anyway). */
const DEEP_BUDGET = 100_000;

/**
 * Like `describeNonPlainData`, at every depth, for a payload or reply about to leave the Node.js
 * process (in-process messages are checked at the top level only, to keep the hot path O(1)).
 * Says where and what, e.g. `at $.items[2].run: a function` or `at $.self: a cycle (back to $)`,
 * or `undefined` when the whole value is plain data. Symbol keys and non-enumerable properties are
 * refused too: the wire would drop them.
 */
export function describeNonPlainDataDeep(value: unknown): string | undefined {
  const ancestors = new Map<object, string>();
  let budget = DEEP_BUDGET;
  const visit = (item: unknown, path: string): string | undefined => {
    if (--budget < 0) return `at ${path}: more than ${DEEP_BUDGET} values`;
    const found = describeNonPlainData(item);
    if (found !== undefined) return `at ${path}: ${found}`;
    if (item === null || typeof item !== 'object' || isDateOrBytes(item)) return undefined;
    const seen = ancestors.get(item);
    if (seen !== undefined) return `at ${path}: a cycle (back to ${seen})`;
    ancestors.set(item, path);
    try {
      if (Array.isArray(item)) {
        for (let i = 0; i < item.length; i++) {
          const inner = visit(item[i], `${path}[${i}]`);
          if (inner !== undefined) return inner;
        }
      } else {
        // What the wire (V8's structured clone) would drop silently: symbol keys, hidden properties.
        if (Object.getOwnPropertySymbols(item).length > 0) return `at ${path}: a symbol-keyed property`;
        const keys = Object.keys(item);
        if (Object.getOwnPropertyNames(item).length !== keys.length && !isDateOrBytes(item)) return `at ${path}: a non-enumerable property`;
        for (const key of keys) {
          const at = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
          let child: unknown;
          try {
            child = (item as Record<string, unknown>)[key];
          } catch {
            return `at ${at}: a value that cannot be read`;
          }
          const inner = visit(child, at);
          if (inner !== undefined) return inner;
        }
      }
    } catch {
      return `at ${path}: a value that cannot be inspected`;
    } finally {
      // Shared (not cyclic) references are plain data: only the current path counts as a cycle.
      ancestors.delete(item);
    }
    return undefined;
  };
  return visit(value, '$');
}
