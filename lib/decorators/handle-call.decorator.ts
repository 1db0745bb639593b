import { HANDLE_CALL_METADATA } from '../genserver.constants.js';
import { appendHandlerPattern } from './handler-pattern.js';

/**
 * Handles calls (`call`: the caller waits). The method gets `(payload, from)` and returns the reply,
 * sync or async, or `noReply()` to answer later with `this.reply(from, value)`.
 * `pattern` matches messages whose `type` field equals it; without a pattern the method is the
 * catch-all for messages no pattern matches.
 */
export function HandleCall(pattern?: string): MethodDecorator {
  return appendHandlerPattern(HANDLE_CALL_METADATA, pattern);
}
