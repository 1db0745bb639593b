import { GenServerError } from './genserver.error.js';
import { describeCause } from './describe-value.js';
import { messages } from './messages.js';

/** Thrown by `start` (and so by app boot, for named processes) when the process's `init` throws. */
export class ProcessInitError extends GenServerError {
  /** `'init_timeout'` when `init` overran `initTimeoutMs`; otherwise the text of what it threw. */
  readonly reason: string;

  constructor(readonly process: string, cause: unknown) {
    super(messages.initFailed(process, cause), { cause });
    this.reason = describeCause(cause);
  }
}
