import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** Thrown by `start` (and so by app boot, for named processes) when the process's `init` throws. */
export class ProcessInitError extends GenServerError {
  constructor(readonly process: string, cause: unknown) {
    super(messages.initFailed(process, cause), { cause });
  }
}
