import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** The stored record is newer than the code (`stateVersion`): the start fails and the record stays as it is. */
export class StateVersionError extends GenServerError {
  constructor(readonly process: string, readonly recordVersion: number, readonly codeVersion: number) {
    super(messages.stateTooNew(process, recordVersion, codeVersion));
  }
}
