import { deserialize, serialize } from 'node:v8';
import type { MessageKind } from '../interfaces/genserver.types.js';
import { briefError, decodeError, encodeError, type WireError } from './error-codec.js';

// Messages between nodes arrive as they were sent: what the in-process check calls plain data (dates,
// byte arrays, bigints, undefined, NaN, shared references) comes out the same on the other node. A
// message that JSON carries exactly (strings, finite numbers, booleans, null, dense arrays, plain
// objects, each object once) goes as JSON; any other as V8's structured-clone bytes, which cost
// several times as much for a small message (node:v8 makes a serializer object per message, with a
// weak handle the garbage collector has to process). The first byte tells which: '[' for JSON, 0xFF
// (V8's version tag) for the other.

const JSON_START = 0x5b; // '['
const TEXT = new TextDecoder();
/** What every accepted cast is answered with, encoded once. */
const ACCEPTED = Buffer.from('[0]');

/** A call or cast on its way to the node that owns its target (or a message of any kind to an isolated process's worker). */
export interface WireMessage {
  readonly kind: MessageKind;
  readonly to: string;
  readonly type: string | undefined;
  readonly payload: unknown;
  /** Ms the caller still waits (`-1`: for ever); clocks of nodes are not compared. */
  readonly waitMs: number;
  /** The calling process, if any. */
  readonly caller: string | null;
  /** Processes blocked on this call, outermost first (cycle detection across nodes). */
  readonly chain: readonly string[];
  /** W3C trace headers of the sender's span, when traced. */
  readonly trace: Record<string, string> | undefined;
}

const KINDS = ['call', 'cast', 'info'] as const;

export function encodeMessage(message: WireMessage): Uint8Array {
  const encoded = encodeMessageText(message);
  return typeof encoded === 'string' ? Buffer.from(encoded) : encoded;
}

/**
 * The same encoding with the JSON form left as text: what crosses to another thread, where a string
 * is cloned cheaper than bytes (the decoders take either).
 */
export function encodeMessageText(message: WireMessage): string | Uint8Array {
  const fields = [KINDS.indexOf(message.kind), message.to, message.type ?? null, message.payload, message.waitMs, message.caller, message.chain, message.trace ?? null];
  return isJsonExact(message.payload) ? JSON.stringify(fields) : serialize(fields);
}

/** Reads a message; `undefined` when the bytes are not one (never throws). */
export function decodeMessage(bytes: Uint8Array | string): WireMessage | undefined {
  try {
    const fields = read(bytes) as unknown[];
    if (!Array.isArray(fields) || fields.length !== 8) return undefined;
    const [kind, to, type, payload, waitMs, caller, chain, trace] = fields;
    if ((kind !== 0 && kind !== 1 && kind !== 2) || typeof to !== 'string' || typeof waitMs !== 'number' || !Array.isArray(chain)) return undefined;
    return {
      kind: KINDS[kind],
      to,
      type: typeof type === 'string' ? type : undefined,
      payload,
      waitMs,
      caller: typeof caller === 'string' ? caller : null,
      chain: chain.filter((name): name is string => typeof name === 'string'),
      trace: traceHeaders(trace),
    };
  } catch {
    return undefined;
  }
}


/** An answer's bytes; `maxBytes`: an error larger than that goes brief (see `briefError`). Throws only for an `ok` value V8 cannot clone. */
export function encodeAnswer(ok: boolean, value: unknown, maxBytes = Infinity): Uint8Array {
  if (ok) return value === undefined ? ACCEPTED : isJsonExact(value) ? Buffer.from(JSON.stringify([0, value])) : serialize([0, value]);
  const wire = encodeError(value);
  let bytes: Uint8Array;
  try {
    bytes = serialize([1, wire]);
  } catch {
    bytes = serialize([1, briefError(wire)]);
  }
  return bytes.length <= maxBytes ? bytes : serialize([1, briefError(wire)]);
}

/** `encodeAnswer` with the JSON form left as text (see `encodeMessageText`). */
export function encodeAnswerText(ok: boolean, value: unknown): string | Uint8Array {
  if (ok && value !== undefined && isJsonExact(value)) return JSON.stringify([0, value]);
  return encodeAnswer(ok, value);
}

/** The answer's value, or the error it carries as the library's own class; `undefined` when unreadable. */
export function decodeAnswer(bytes: Uint8Array | string): { ok: boolean; value: unknown } | undefined {
  try {
    if (typeof bytes !== 'string' && bytes.length === 3 && bytes[0] === JSON_START && bytes[1] === 0x30 && bytes[2] === 0x5d) return { ok: true, value: undefined };
    const fields = read(bytes) as unknown[];
    if (!Array.isArray(fields) || (fields[0] !== 0 && fields[0] !== 1)) return undefined;
    return fields[0] === 0 ? { ok: true, value: fields[1] } : { ok: false, value: decodeError(fields[1] as WireError) };
  } catch {
    return undefined;
  }
}

/** Trace headers as sent: string values only (anything else from a peer is dropped, never trusted). */
function traceHeaders(value: unknown): Record<string, string> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const headers: Record<string, string> = {};
  for (const [key, header] of Object.entries(value)) if (typeof header === 'string') headers[key] = header;
  return headers;
}

function read(bytes: Uint8Array | string): unknown {
  if (typeof bytes === 'string') return JSON.parse(bytes);
  return bytes[0] === JSON_START ? JSON.parse(TEXT.decode(bytes)) : deserialize(bytes);
}

/** Values looked at, objects remembered: a larger message goes as V8 bytes without a longer look. */
const MAX_VALUES = 256;
const MAX_OBJECTS = 32;

/**
 * Whether JSON carries `value` exactly: it parses back to the same types and shape. Not so for
 * undefined, NaN, ±Infinity, −0, holes, dates, byte arrays, bigints, an object reached twice (V8
 * keeps the sharing, JSON would copy it) or any class instance.
 */
export function isJsonExact(value: unknown): boolean {
  const objects: object[] = [];
  let budget = MAX_VALUES;
  const exact = (item: unknown): boolean => {
    if (--budget < 0) return false;
    switch (typeof item) {
      case 'string':
      case 'boolean':
        return true;
      case 'number':
        return Number.isFinite(item) && !Object.is(item, -0);
      case 'object': {
        if (item === null) return true;
        if (objects.length === MAX_OBJECTS || objects.includes(item)) return false;
        objects.push(item);
        if (Array.isArray(item)) {
          if (Object.keys(item).length !== item.length) return false;
          for (const inner of item) if (!exact(inner)) return false;
          return true;
        }
        const prototype: object | null = Object.getPrototypeOf(item);
        if (prototype !== null && Object.getPrototypeOf(prototype) !== null) return false;
        for (const key of Object.keys(item)) if (key === '__proto__' || !exact((item as Record<string, unknown>)[key])) return false;
        return true;
      }
      default:
        return false;
    }
  };
  try {
    return exact(value);
  } catch {
    return false;
  }
}
