/**
 * What a call handler returns when it will answer later with `this.reply(from, value)`. Get it
 * from `noReply()`; there is only one.
 */
export class NoReply {
  private static readonly instance = new NoReply();
  /** Brands the type, so a handler's return type says it may defer. */
  readonly deferred = true;

  private constructor() {}

  /** @internal */
  static get(): NoReply {
    return NoReply.instance;
  }
}

/**
 * Returned from a `@HandleCall` handler, tells the runtime not to answer now: the handler keeps
 * `from` and answers later with `this.reply(from, value)`. The caller's timeout still applies.
 */
export function noReply(): NoReply {
  return NoReply.get();
}

export function isNoReply(value: unknown): value is NoReply {
  return value === NoReply.get();
}
