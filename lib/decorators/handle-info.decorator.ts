import { HANDLE_INFO_METADATA } from '../genserver.constants.js';
import { appendHandlerPattern } from './handler-pattern.js';

/**
 * Handles info messages: `sendAfter` timers and other system messages. The method gets `(payload)`.
 * `pattern` matches messages whose `type` field equals it; without a pattern the method is the
 * catch-all for messages no pattern matches.
 */
export function HandleInfo(pattern?: string): MethodDecorator {
  return appendHandlerPattern(HANDLE_INFO_METADATA, pattern);
}
