import { isInstance } from '../common/is-instance.js';
import type { Envelope } from '../process/envelope.js';
import { RemoteFrom } from '../process/remote-from.js';
import { PendingCall } from './pending-calls.js';

/**
 * The processes blocked if `caller` blocks now while handling `during`, outermost first and ending
 * with `caller`: the callers of the calls still waiting on each other, across nodes (a call that
 * came from another node brings the chain of its side). A caller outside any handler blocks nothing.
 * As in OTP, a call that was answered or timed out, or whose caller's handler has moved on, breaks it.
 */
export function blockedChain(caller: string, during: Envelope | null): string[] {
  if (during === null) return [];
  const chain = [caller];
  while (during !== null && during.kind === 'call') {
    const from: unknown = during.from;
    if (isInstance(from, PendingCall)) {
      if (!from.waiting || from.caller === null) break;
      chain.push(from.caller);
      during = from.during;
    } else {
      if (isInstance(from, RemoteFrom)) for (let i = from.chain.length - 1; i >= 0; i--) chain.push(from.chain[i]!);
      break;
    }
  }
  return chain.reverse();
}
