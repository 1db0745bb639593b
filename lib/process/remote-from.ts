import { From } from './from.js';

/**
 * The reply address of a call that came from another node: answering it publishes the reply on the
 * caller's inbox subject. It is answered at most once, like a local call.
 */
export class RemoteFrom extends From {
  settled = false;
  /** The calls an incarnation owes an answer, when one deferred this call with `noReply()`. */
  owedIn: Set<From> | null = null;

  constructor(
    ref: number,
    caller: string | null,
    /** The target process: error texts name it. */
    readonly to: string,
    /** The caller's reply subject. */
    readonly replyTo: string,
    /** Processes blocked on this call on other nodes, outermost first (ending with `caller`). */
    readonly chain: readonly string[],
    /** When the caller stops waiting, in this node's `Date.now()` (`Infinity`: never). */
    readonly deadline: number,
  ) {
    super(ref, caller);
  }
}

/**
 * Whether `from` answers a call of another node. Its own `instanceof` site (not the shared
 * `isInstance`, which sees every class of the library and is megamorphic), guarded the same way.
 */
export function isRemoteFrom(from: unknown): from is RemoteFrom {
  try {
    return from instanceof RemoteFrom;
  } catch {
    return false;
  }
}
