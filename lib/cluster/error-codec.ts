import * as errors from '../errors/index.js';
import { GenServerError } from '../errors/genserver.error.js';
import { describeCause } from '../errors/describe-value.js';
import { describeNonPlainDataDeep } from '../runtime/plain-data.js';

/** An error as it crosses the wire: its class name, its message, its own fields and its cause. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
  readonly cause?: WireError;
  /** One of the library's own errors (a user error that merely shares a class name is not). */
  readonly library?: true;
}

/** Longest message a brief error keeps (an error message is not a place for megabytes). */
const BRIEF_MESSAGE = 16 * 1024;

/** Every error class of the library by name, so a remote error comes back as the same class. */
const CLASSES = new Map<string, typeof GenServerError>(
  Object.values(errors)
    .filter((value): value is typeof GenServerError => typeof value === 'function' && (value === GenServerError || value.prototype instanceof GenServerError))
    .map((cls) => [cls.name, cls]),
);

/**
 * Plain data for an error that leaves the Node.js process. The library's errors keep their class
 * and fields; anything else (what a handler threw) becomes its name and message. A field that is not
 * plain data is sent as its description, so nothing that cannot cross the wire is ever sent.
 */
export function encodeError(error: unknown, depth = 0): WireError {
  try {
    return encodeReadable(error, depth);
  } catch {
    // an error whose fields throw when read: its description is all that can be sent
    return { name: 'Error', message: describeCause(error), fields: {} };
  }
}

function encodeReadable(error: unknown, depth: number): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: describeCause(error), fields: {} };
  const library = error instanceof GenServerError ? { library: true as const } : {};
  // A name or message that is not a string (or too long to be a message) travels as its description.
  const name = typeof error.name === 'string' ? error.name : 'Error';
  const message = typeof error.message === 'string' ? error.message : describeCause(error.message);
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (key === 'name' || key === 'message' || key === 'cause') continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    fields[key] = describeNonPlainDataDeep(value) === undefined ? value : describeCause(value);
  }
  const cause = error.cause !== undefined && depth < 4 ? encodeError(error.cause, depth + 1) : undefined;
  return { name, message, fields, ...(cause ? { cause } : {}), ...library };
}

/**
 * What crosses when the full error cannot (too large for the transport): the same class and the
 * fields that are short strings, numbers or booleans, the message clipped, the cause's message only.
 */
export function briefError(wire: WireError): WireError {
  const fields = Object.fromEntries(Object.entries(wire.fields).filter(([, value]) => (typeof value === 'string' && value.length <= 1024) || typeof value === 'number' || typeof value === 'boolean'));
  const clip = (text: string) => (text.length > BRIEF_MESSAGE ? `${text.slice(0, BRIEF_MESSAGE)}... (${text.length} characters)` : text);
  const cause = wire.cause ? { name: wire.cause.name, message: clip(wire.cause.message), fields: {} } : undefined;
  return { name: wire.name, message: clip(wire.message), fields, ...(cause ? { cause } : {}), ...(wire.library ? { library: true as const } : {}) };
}

/**
 * The error a `WireError` stands for: an instance of the same library class, with the same message
 * and fields (so `instanceof ProcessCrashedError` and `error.process` work on every node), or a
 * plain `Error` of that name for errors of user code.
 */
export function decodeError(wire: WireError): Error {
  const cls = wire.library ? CLASSES.get(wire.name) : undefined;
  const error: Error = cls ? Object.create(cls.prototype) : new Error(wire.message);
  Object.defineProperty(error, 'message', { value: wire.message, writable: true, configurable: true });
  error.name = wire.name; // an own, enumerable field, as GenServerError's constructor sets it
  Object.assign(error, wire.fields);
  if (wire.cause) Object.defineProperty(error, 'cause', { value: decodeError(wire.cause), writable: true, configurable: true });
  return error;
}
