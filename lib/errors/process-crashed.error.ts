import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/**
 * Thrown to a caller whose call was being handled (or had been deferred with `noReply()`) when the
 * process crashed. `cause` is what the handler threw.
 */
export class ProcessCrashedError extends GenServerError {
  constructor(readonly process: string, readonly messageType: string | undefined, cause: unknown) {
    super(messages.processCrashed(process, messageType, cause), { cause });
  }
}
