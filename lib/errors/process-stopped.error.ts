import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** Thrown to callers of a process that is stopping or stopped: new messages and queued calls alike. */
export class ProcessStoppedError extends GenServerError {
  constructor(readonly process: string, readonly reason: string) {
    super(messages.processStopped(process, reason));
  }
}
