import type { From } from '../process/from.js';
import type { TraceCarrier } from '../telemetry/trace-carrier.js';

/** Which handler family a message goes to. */
export type MessageKind = 'call' | 'cast' | 'info';

/**
 * What travels between processes. Every field is plain data so that a networked router can
 * serialize an envelope as it is; the in-process router passes it by reference.
 */
export interface Envelope {
  /** Unique per runtime; orders nothing, identifies the message in events and logs. */
  readonly id: number;
  readonly kind: MessageKind;
  /** Target process name. */
  readonly to: string;
  /** Where the reply goes (calls only). */
  readonly from: From | null;
  /** `payload.type` when it is a string: what handler patterns match. */
  readonly type: string | undefined;
  readonly payload: unknown;
  /** Epoch ms after which the caller no longer waits (calls only). */
  readonly deadline: number | undefined;
  /** Processes waiting, in order, on the call this message belongs to (cycle detection). */
  readonly chain: readonly string[] | undefined;
  /**
   * The sender's trace context, when an OpenTelemetry SDK is registered: plain data, passed as it
   * is in-process; a networked router writes it as W3C headers with `toW3C` and reads it with `fromW3C`.
   */
  readonly trace: TraceCarrier | undefined;
}

/** Reads the `type` field a handler pattern matches against. */
export function messageTypeOf(payload: unknown): string | undefined {
  if (payload !== null && typeof payload === 'object') {
    const type = (payload as { type?: unknown }).type;
    if (typeof type === 'string') return type;
  }
  return undefined;
}
