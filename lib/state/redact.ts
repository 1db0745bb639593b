import { describeValue } from '../errors/describe-value.js';
import { SHOWN_AS } from '../genserver.constants.js';

// Status, crash logs and `crashed` events show a process's state: anything a handler put there,
// including graphs with shared and cyclic references, `From`s of deferred calls (which are the
// runtime's pending-call records), Proxies and getters that throw. Showing it must cost time linear
// in the objects it holds, never throw, and never show what the runtime keeps inside a `From`.

const REDACTED = '[redacted]';
/** In place of an object already shown on the path from the root: `[circular: $.list]`. */
const circular = (path: string) => `[circular: ${path}]`;
/** In place of an object already shown elsewhere: `[shared: $.froms[0]]`. */
const shared = (path: string) => `[shared: ${path}]`;
/** In place of what lies deeper than `MAX_DEPTH`: nothing is shown rather than something unredacted. */
const TOO_DEEP = '[too deep]';
/** The last entry of a container cut short because the walk showed `MAX_NODES` values already. */
const TRUNCATED = '[truncated]';
/** Key under which an object or Map holds the `TRUNCATED` marker. */
const TRUNCATED_KEY = '…';
const GETTER_THREW = '[getter threw]';
const UNREADABLE = '[unreadable]';
const FORMAT_STATE_THREW = '[formatState threw]';

const MAX_DEPTH = 20;
const MAX_NODES = 10_000;

/**
 * The state as status, logs and events show it: the process's `formatState(state)` if it has one
 * (taken as it returns it; `'[formatState threw]'` if it throws), else a copy in which
 * - the value of every `redact` key, at any depth, is `'[redacted]'`;
 * - a `From` is its short form, `From(ref 12, caller "x")` — never the pending call behind it;
 * - an object met a second time is a marker naming where it was first shown: `[circular: $.a]`
 *   when it contains itself, `[shared: $.a]` otherwise;
 * - objects nested deeper than 20 are `'[too deep]'`; after 10 000 values the container being
 *   shown ends with `'[truncated]'` (objects and Maps under the key `'…'`);
 * - class instances and null-prototype objects become plain objects of their own enumerable
 *   fields; a getter that throws is `'[getter threw]'`, an object that cannot be read `'[unreadable]'`.
 * Maps, Sets, arrays and Dates keep their kind. Never throws.
 */
export function presentState(instance: { state?: unknown; formatState?: (state: unknown) => unknown } | null, redact: readonly string[] | undefined): unknown {
  if (!instance) return undefined;
  try {
    if (typeof instance.formatState === 'function') return instance.formatState(instance.state);
  } catch {
    return FORMAT_STATE_THREW;
  }
  return redactValue(instance.state, redact ?? []);
}

/** `value` as `presentState` shows a state (see there), with the values of `redact` keys replaced. Never throws. */
export function redactValue(value: unknown, redact: readonly string[] = []): unknown {
  return new Presenter(new Set(redact), false).show(value);
}

/**
 * The presented state as one log line: JSON in which Maps are objects, Sets arrays, BigInts `12n`,
 * functions and symbols described, and shared, cyclic, deep or numerous values the markers
 * `presentState` uses. Never throws.
 */
export function stateForLog(state: unknown): string {
  try {
    return JSON.stringify(new Presenter(new Set(), true).show(state)) ?? 'undefined';
  } catch {
    return '[unserializable]';
  }
}

/** One walk: remembers each object it has shown (and where) and counts the values it has shown. */
class Presenter {
  private readonly seen = new Map<object, string>();
  /** Objects on the path from the root to the value being shown. */
  private readonly ancestors = new Set<object>();
  private budget = MAX_NODES;

  constructor(
    private readonly redact: ReadonlySet<string>,
    /** Plain JSON values only: Maps as objects, Sets as arrays, BigInts, functions and symbols as text. */
    private readonly json: boolean,
  ) {}

  show(value: unknown, path = '$', depth = 0): unknown {
    this.budget--;
    if (value === null) return null;
    switch (typeof value) {
      case 'object':
        break;
      case 'function':
      case 'symbol':
        return this.json ? describeValue(value) : value;
      case 'bigint':
        return this.json ? `${value}n` : value;
      default:
        return value;
    }
    try {
      const shownAs = (value as { [SHOWN_AS]?: unknown })[SHOWN_AS];
      if (typeof shownAs === 'function') return String(shownAs.call(value));
    } catch {
      return UNREADABLE; // a Proxy whose trap throws
    }
    const first = this.seen.get(value);
    if (first !== undefined) return this.ancestors.has(value) ? circular(first) : shared(first);
    if (depth > MAX_DEPTH) return TOO_DEEP;
    this.seen.set(value, path);
    this.ancestors.add(value);
    try {
      return this.container(value, path, depth + 1);
    } catch {
      return UNREADABLE;
    } finally {
      this.ancestors.delete(value);
    }
  }

  private container(value: object, path: string, depth: number): unknown {
    if (value instanceof Date) return this.json ? dateText(value) : value;
    // Bytes are shown by kind and size: listing their indexes would cost their whole length.
    if (ArrayBuffer.isView(value)) return `[${value.constructor?.name ?? 'ArrayBufferView'}: ${value.byteLength} bytes]`;
    if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return `[${value.constructor.name}: ${value.byteLength} bytes]`;
    if (value instanceof Map) return this.map(value, path, depth);
    if (value instanceof Set) {
      const items: unknown[] = [];
      let i = 0;
      for (const item of value) {
        if (this.budget <= 0) {
          items.push(TRUNCATED);
          break;
        }
        items.push(this.show(item, `${path}[#${i++}]`, depth));
      }
      return this.json ? items : new Set(items);
    }
    if (Array.isArray(value)) {
      const items: unknown[] = [];
      for (let i = 0; i < value.length; i++) {
        if (this.budget <= 0) {
          items.push(TRUNCATED);
          break;
        }
        items.push(this.show(value[i], `${path}[${i}]`, depth));
      }
      return items;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (this.budget <= 0) {
        put(out, TRUNCATED_KEY, TRUNCATED);
        break;
      }
      put(out, key, this.redact.has(key) ? this.redacted() : this.show(this.field(value, key), `${path}${keyPath(key)}`, depth));
    }
    return out;
  }

  private map(value: Map<unknown, unknown>, path: string, depth: number): unknown {
    const entries: [unknown, unknown][] = [];
    let i = 0;
    for (const [key, item] of value) {
      if (this.budget <= 0) {
        entries.push([TRUNCATED_KEY, TRUNCATED]);
        break;
      }
      const primitive = key === null || (typeof key !== 'object' && typeof key !== 'function');
      const at = `${path}[${primitive ? describeValue(key) : `#${i}`}]`;
      i++;
      const shownKey = primitive ? this.show(key, at, depth) : this.show(key, `${at}.key`, depth);
      const shownItem = primitive && this.redact.has(String(key)) ? this.redacted() : this.show(item, at, depth);
      entries.push([this.json && typeof shownKey !== 'string' ? stateForLog(shownKey) : shownKey, shownItem]);
    }
    if (!this.json) return new Map(entries);
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) put(out, key as string, item);
    return out;
  }

  /** An own enumerable field, read once; a getter that throws shows as a marker. */
  private field(value: object, key: string): unknown {
    try {
      return (value as Record<string, unknown>)[key];
    } catch {
      return GETTER_THREW;
    }
  }

  private redacted(): string {
    this.budget--;
    return REDACTED;
  }
}

function dateText(date: Date): string {
  const time = date.getTime();
  return Number.isNaN(time) ? 'Invalid Date' : date.toISOString();
}

function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** Sets a key on a plain object, `__proto__` included (as an own field, not the prototype). */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
