import { SHOWN_AS } from '../genserver.constants.js';

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

  /** How status, logs and events show it: `From(ref 12, caller "x")`, never the waiting call. */
  [SHOWN_AS](): string {
    return `From(ref ${this.ref}, caller ${this.caller === null ? 'null' : JSON.stringify(this.caller)})`;
  }

  /** What crosses a wire or lands in a checkpoint: the address, never the local waiting call. */
  toJSON(): { ref: number; caller: string | null } {
    return { ref: this.ref, caller: this.caller };
  }
}
