import { deserialize, serialize } from 'node:v8';
import type { MessageKind } from '../interfaces/genserver.types.js';
import { briefError, decodeError, encodeError, type WireError } from './error-codec.js';

// Messages between nodes go as V8's structured-clone bytes, not JSON: what the in-process check calls
// plain data (dates, byte arrays, undefined, NaN, shared references) arrives as it was sent.

/** A call or cast on its way to the node that owns its target. */
export interface WireMessage {
  readonly kind: Extract<MessageKind, 'call' | 'cast'>;
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

const KINDS = ['call', 'cast'] as const;

export function encodeMessage(message: WireMessage): Uint8Array {
  return serialize([KINDS.indexOf(message.kind), message.to, message.type, message.payload, message.waitMs, message.caller, message.chain, message.trace]);
}

/** Reads a message; `undefined` when the bytes are not one (never throws). */
export function decodeMessage(bytes: Uint8Array): WireMessage | undefined {
  try {
    const fields = deserialize(bytes) as unknown[];
    if (!Array.isArray(fields) || fields.length !== 8) return undefined;
    const [kind, to, type, payload, waitMs, caller, chain, trace] = fields;
    if ((kind !== 0 && kind !== 1) || typeof to !== 'string' || typeof waitMs !== 'number' || !Array.isArray(chain)) return undefined;
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

/** The answer to a call (its reply or error) or to a cast (accepted, or why not). */
export type WireAnswer = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: WireError };

/** An answer's bytes; `maxBytes`: an error larger than that goes brief (see `briefError`). Throws only for an `ok` value V8 cannot clone. */
export function encodeAnswer(ok: boolean, value: unknown, maxBytes = Infinity): Uint8Array {
  if (ok) return serialize([0, value]);
  const wire = encodeError(value);
  let bytes: Uint8Array;
  try {
    bytes = serialize([1, wire]);
  } catch {
    bytes = serialize([1, briefError(wire)]);
  }
  return bytes.length <= maxBytes ? bytes : serialize([1, briefError(wire)]);
}

/** The answer's value, or the error it carries as the library's own class; `undefined` when unreadable. */
export function decodeAnswer(bytes: Uint8Array): { ok: boolean; value: unknown } | undefined {
  try {
    const fields = deserialize(bytes) as unknown[];
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
