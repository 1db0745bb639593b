import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/**
 * Thrown at once when a call would wait on a process that is itself waiting in the same call chain
 * (a call to itself, or A -> B -> A), which could only end in a timeout.
 */
export class CallCycleError extends GenServerError {
  constructor(readonly chain: readonly string[]) {
    super(messages.callCycle(chain));
  }
}
