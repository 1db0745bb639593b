import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/**
 * Thrown when a payload or reply is not plain data (functions, symbols, promises, class
 * instances), or, sent to another node, not plain data at some depth or larger than the transport's
 * max payload: messages must stay serializable so a networked router can carry them unchanged.
 */
export class InvalidPayloadError extends GenServerError {
  constructor(
    readonly process: string,
    readonly what: 'payload' | 'reply',
    readonly messageType: string | undefined,
    found: string,
    /** Set when the message was plain data but too large for the cluster's transport. */
    readonly size?: { readonly bytes: number; readonly maxBytes: number },
  ) {
    super(size ? messages.payloadTooLarge(process, what, messageType, size.bytes, size.maxBytes) : messages.invalidPayload(process, what, messageType, found));
  }
}
