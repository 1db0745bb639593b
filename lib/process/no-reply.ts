const NO_REPLY: unique symbol = Symbol('genserver:no_reply');

/** What a call handler returns when it will answer later with `this.reply(from, value)`. */
export type NoReply = typeof NO_REPLY;

/**
 * Returned from a `@HandleCall` handler, tells the runtime not to answer now: the handler keeps
 * `from` and answers later with `this.reply(from, value)`. The caller's timeout still applies.
 */
export function noReply(): NoReply {
  return NO_REPLY;
}

export function isNoReply(value: unknown): value is NoReply {
  return value === NO_REPLY;
}
