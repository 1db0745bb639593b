import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** Thrown to the caller when a `call` gets no reply within its timeout; a late reply is discarded. */
export class CallTimeoutError extends GenServerError {
  constructor(readonly process: string, readonly timeoutMs: number) {
    super(messages.callTimedOut(process, timeoutMs));
  }
}
