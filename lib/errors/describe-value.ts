// Error texts, logs and events describe values a user handed us: anything at all, including
// Proxies whose traps throw, objects without a prototype, getters that throw and cyclic graphs.
// Describing must never throw, or the crash path that reports a failure becomes a failure itself.

const LIMIT = 200;
const UNDESCRIBABLE = '[a value that cannot be described]';

/** A value as it appears after "got …" in an error: strings quoted, objects as short JSON. Never throws. */
export function describeValue(value: unknown): string {
  try {
    switch (typeof value) {
      case 'string':
        return clip(JSON.stringify(value));
      case 'symbol':
        return value.toString();
      case 'function':
        return `a function${typeof value.name === 'string' && value.name ? ` (${value.name})` : ''}`;
      case 'object':
        return value === null ? 'null' : describeObject(value);
      default:
        return String(value);
    }
  } catch {
    return UNDESCRIBABLE;
  }
}

/**
 * The text of a reason or cause: an `Error`'s message, a string as it is, anything else as
 * `describeValue` shows it. Never throws.
 */
export function describeCause(cause: unknown): string {
  try {
    if (typeof cause === 'string') return cause;
    if (isError(cause)) {
      const message: unknown = cause.message;
      return typeof message === 'string' ? message : describeValue(message);
    }
  } catch {
    return UNDESCRIBABLE;
  }
  return describeValue(cause);
}

/** The stack of a thrown value, when it has a readable one. Never throws. */
export function stackOf(thrown: unknown): string | undefined {
  try {
    if (isError(thrown) && typeof thrown.stack === 'string') return thrown.stack;
  } catch {
    // a throwing `stack` getter
  }
  return undefined;
}

function describeObject(value: object): string {
  if (isError(value)) return `${value.name}: ${describeCause(value)}`;
  const seen = new WeakSet<object>();
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'symbol' || typeof v === 'function') return describeValue(v);
    if (v !== null && typeof v === 'object') {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return v;
  });
  if (text === undefined) return UNDESCRIBABLE;
  const prototype: unknown = Object.getPrototypeOf(value);
  const name = prototype === null ? 'null-prototype object' : (prototype as { constructor?: { name?: unknown } }).constructor?.name;
  return clip(typeof name === 'string' && name !== 'Object' && name !== 'Array' ? `${name} ${text}` : text);
}

/** An `Error` of this realm or another (a vm context, jest's sandbox, a worker's structured clone). */
function isError(value: unknown): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

function clip(text: string): string {
  return text.length > LIMIT ? `${text.slice(0, LIMIT)}…` : text;
}
