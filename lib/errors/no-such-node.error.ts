import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** Thrown by `start` when `options.node` names no live node of the cluster (or there is no cluster). */
export class NoSuchNodeError extends GenServerError {
  constructor(readonly node: string, readonly liveNodes: readonly string[]) {
    super(messages.noSuchNode(node, liveNodes));
  }
}
