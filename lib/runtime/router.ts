import type { GenServerError } from '../errors/genserver.error.js';
import type { From } from '../process/from.js';
import type { Envelope } from '../process/envelope.js';

/**
 * The one seam every message crosses. The in-process router hands envelopes to local mailboxes;
 * a networked router can send the same (serializable) envelopes to other nodes without any
 * process noticing.
 */
export interface Router {
  /**
   * Puts the envelope in its target's mailbox, or returns why it cannot (never throws). A cast to a
   * process on another node returns a promise instead, settled when that node's mailbox accepted
   * the message or refused it.
   */
  route(envelope: Envelope): GenServerError | undefined | Promise<void>;
  /** Settles the call `from` waits on: with `value` when `ok`, else with the error `value`. */
  settle(from: From, ok: boolean, value: unknown): void;
}
