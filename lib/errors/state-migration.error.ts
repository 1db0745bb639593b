import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** `migrateState` threw (or is missing): the start fails and the record stays as it is. */
export class StateMigrationError extends GenServerError {
  constructor(readonly process: string, readonly fromVersion: number, readonly toVersion: number, cause: unknown) {
    super(messages.stateMigrationFailed(process, fromVersion, toVersion, cause), { cause });
  }
}
