import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** Thrown by a store's `load` when a record cannot be read; the runtime moves it aside and starts from `init`. */
export class CorruptStateError extends GenServerError {
  constructor(readonly process: string, readonly reason: string) {
    super(messages.corruptState(process, reason));
  }
}
