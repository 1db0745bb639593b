import { HANDLE_CAST_METADATA } from '../genserver.constants.js';
import { appendHandlerPattern } from './handler-pattern.js';

/**
 * Handles casts (`cast`: fire-and-forget). The method gets `(payload)`; what it returns is ignored.
 * `pattern` matches messages whose `type` field equals it; without a pattern the method is the
 * catch-all for messages no pattern matches.
 */
export function HandleCast(pattern?: string): MethodDecorator {
  return appendHandlerPattern(HANDLE_CAST_METADATA, pattern);
}
