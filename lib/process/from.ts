/**
 * The reply address of a call, handed to `@HandleCall` handlers as their second argument. Keep it
 * to answer later with `this.reply(from, value)` after returning `noReply()`.
 */
export class From {
  constructor(
    /** Identifies the waiting call; unique per runtime. */
    readonly ref: number,
    /** Name of the calling process, or `null` when the caller is not a process (a controller). */
    readonly caller: string | null,
  ) {}

  /** What crosses a wire or lands in a checkpoint: the address, never the local waiting call. */
  toJSON(): { ref: number; caller: string | null } {
    return { ref: this.ref, caller: this.caller };
  }
}
