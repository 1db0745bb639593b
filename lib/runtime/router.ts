import type { GenServerError } from '../errors/genserver.error.js';
import type { From } from '../process/from.js';
import type { Envelope } from '../process/envelope.js';

/**
 * The one seam every message crosses. The in-process router hands envelopes to local mailboxes;
 * a networked router can send the same (serializable) envelopes to other nodes without any
 * process noticing.
 */
export interface Router {
  /** Puts the envelope in its target's mailbox, or returns why it cannot (never throws). */
  route(envelope: Envelope): GenServerError | undefined;
  /** Settles the call `from` waits on: with `value` when `ok`, else with the error `value`. */
  settle(from: From, ok: boolean, value: unknown): void;
}
