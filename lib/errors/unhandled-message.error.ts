import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';
import type { MessageKind } from '../interfaces/genserver.types.js';

/** Thrown to the caller of a call that no `@HandleCall` handler matches; the process keeps running. */
export class UnhandledMessageError extends GenServerError {
  constructor(
    readonly process: string,
    readonly kind: MessageKind,
    readonly messageType: string | undefined,
  ) {
    super(messages.unhandledMessage(process, kind, messageType));
  }
}
