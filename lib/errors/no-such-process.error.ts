import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** Thrown at once when a message is addressed to a name no running process holds. */
export class NoSuchProcessError extends GenServerError {
  constructor(readonly process: string) {
    super(messages.noSuchProcess(process));
  }
}
