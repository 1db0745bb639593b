import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/**
 * Thrown when a payload or reply is not plain data (functions, symbols, promises, class
 * instances): messages must stay serializable so a networked router can carry them unchanged.
 */
export class InvalidPayloadError extends GenServerError {
  constructor(
    readonly process: string,
    readonly what: 'payload' | 'reply',
    readonly messageType: string | undefined,
    found: string,
  ) {
    super(messages.invalidPayload(process, what, messageType, found));
  }
}
