import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** Thrown by `start` when `options.supervisor` names no supervisor of the tree. */
export class NoSuchSupervisorError extends GenServerError {
  constructor(readonly supervisor: string, known: readonly string[]) {
    super(messages.noSuchSupervisor(supervisor, known));
  }
}
