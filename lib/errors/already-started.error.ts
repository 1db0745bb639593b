import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** Thrown by `start` when the name is already held by a running process. */
export class AlreadyStartedError extends GenServerError {
  constructor(readonly process: string) {
    super(messages.alreadyStarted(process));
  }
}
