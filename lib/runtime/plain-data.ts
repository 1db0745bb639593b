/**
 * Says what makes `value` unfit to be a message or reply, or `undefined` when it is plain data at
 * the top level: primitives, arrays, plain or null-prototype objects, Dates and byte arrays. Only
 * the top level is checked so the hot path stays O(1).
 */
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
      if (value instanceof Date || value instanceof Uint8Array) return undefined;
      if (typeof (value as { then?: unknown }).then === 'function') return 'a promise';
      return `an instance of ${(value as object).constructor?.name ?? 'an unknown class'}`;
    }
    default:
      return undefined;
  }
}
