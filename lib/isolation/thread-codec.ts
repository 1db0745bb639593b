import { decodeAnswer, encodeAnswerText, encodeMessageText, type WireMessage } from '../cluster/wire-codec.js';
import type { ExitReason } from '../interfaces/genserver.types.js';

// The wire codec's encodings, fit to cross to another thread: the JSON form as a string (cloned
// cheaper than bytes), and V8 bytes of their own. A small Buffer is a view into Node's shared 8 KB
// pool, and postMessage clones the whole ArrayBuffer behind a view: each message would carry 8 KB.

/** What crosses: JSON text, or V8 structured-clone bytes (the wire codec's decoders take both). */
export type ThreadBytes = string | Uint8Array;

export function threadAnswer(ok: boolean, value: unknown): ThreadBytes {
  return own(encodeAnswerText(ok, value));
}

/** `threadAnswer`, or when the value cannot cross, an error answer saying why. */
export function safeThreadAnswer(ok: boolean, value: unknown): ThreadBytes {
  try {
    return threadAnswer(ok, value);
  } catch (error) {
    return threadAnswer(false, error);
  }
}

export function threadMessage(message: WireMessage): ThreadBytes {
  return own(encodeMessageText(message));
}

function own(encoded: string | Uint8Array): ThreadBytes {
  if (typeof encoded === 'string' || (encoded.byteOffset === 0 && encoded.byteLength === encoded.buffer.byteLength)) return encoded;
  return new Uint8Array(encoded);
}

/** An exit reason crosses as an answer: an error one as an error, so it arrives as the same class. */
export function encodeReason(reason: ExitReason): ThreadBytes {
  return reason instanceof Error ? threadAnswer(false, reason) : safeThreadAnswer(true, reason);
}

export function reasonOf(bytes: ThreadBytes): ExitReason {
  const answer = decodeAnswer(bytes);
  return answer === undefined ? 'unreadable reason' : (answer.value as ExitReason);
}
