const REDACTED = '[redacted]';

/**
 * The state as status, logs and events show it: the process's `formatState(state)` if it has one,
 * else a copy with the values of every `redact` key (at any depth) replaced.
 */
export function presentState(instance: { state?: unknown; formatState?: (state: unknown) => unknown } | null, redact: readonly string[] | undefined): unknown {
  if (!instance) return undefined;
  if (typeof instance.formatState === 'function') return instance.formatState(instance.state);
  return redactValue(instance.state, new Set(redact ?? []), 0);
}

function redactValue(value: unknown, keys: ReadonlySet<string>, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  // Deeper than this, nothing is shown rather than something unredacted.
  if (depth > 20) return '[redacted: too deep]';
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, keys.has(String(k)) ? REDACTED : redactValue(v, keys, depth + 1)]));
  if (value instanceof Set) return new Set([...value].map((item) => redactValue(item, keys, depth + 1)));
  if (Array.isArray(value)) return value.map((item) => redactValue(item, keys, depth + 1));
  if (value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, keys.has(k) ? REDACTED : redactValue(v, keys, depth + 1)]),
  );
}

/** The presented state as one log line (Maps and Sets shown as objects and arrays). */
export function stateForLog(state: unknown): string {
  try {
    return JSON.stringify(state, (_key, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v instanceof Set ? [...v] : v)) ?? 'undefined';
  } catch {
    return '[unserializable]';
  }
}
