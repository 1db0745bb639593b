import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** Thrown by `start` when the dynamic supervisor already runs `maxChildren` children. */
export class MaxChildrenError extends GenServerError {
  constructor(readonly supervisor: string, readonly maxChildren: number) {
    super(messages.maxChildren(supervisor, maxChildren));
  }
}
