import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** Thrown to the sender when the target's mailbox holds `maxMailbox` messages: backpressure, not loss. */
export class MailboxFullError extends GenServerError {
  constructor(readonly process: string, readonly maxMailbox: number) {
    super(messages.mailboxFull(process, maxMailbox));
  }
}
