import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** Thrown by `start` when the type is neither a `@GenServer` provider of the app nor its type name. */
export class UnknownTypeError extends GenServerError {
  constructor(readonly type: string, readonly known: readonly string[]) {
    super(messages.unknownType(type, known));
  }
}
