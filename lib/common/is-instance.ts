/**
 * `value instanceof cls`, false instead of a throw for a Proxy whose `getPrototypeOf` trap throws:
 * user values reach places (crash paths, replies) where a throw would be a second failure.
 */
export function isInstance<T>(value: unknown, cls: abstract new (...args: never[]) => T): value is T {
  try {
    return value instanceof cls;
  } catch {
    return false;
  }
}
