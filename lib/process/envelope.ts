import type { TraceCarrier } from '../telemetry/trace-carrier.js';
import type { From } from './from.js';

import type { MessageKind } from '../interfaces/genserver.types.js';
export type { MessageKind } from '../interfaces/genserver.types.js';

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
  /**
   * Timer and DOWN messages: the incarnation of the target they belong to. A later incarnation
   * drops them as stale (dead letter `'stale'`).
   */
  readonly incarnation: number | undefined;
  /**
   * The sender's trace context, when an OpenTelemetry SDK is registered: plain data, passed as it
   * is in-process; a networked router writes it as W3C headers with `toW3C` and reads it with `fromW3C`.
   */
  readonly trace: TraceCarrier | undefined;
  /**
   * While the runtime is profiled: when the message entered the mailbox, in the profiler's coarse
   * clock (a small integer; 0 when it came in before profiling began).
   */
  queuedAt?: number;
}

/**
 * How the kernel builds every envelope. A class rather than an object literal on purpose: V8 keeps
 * an allocation site per object literal, and once a burst of casts has kept many envelopes from
 * that one literal alive through scavenges it may switch the site to old-space allocation
 * (allocation-site pretenuring). From then on every call's envelope would be born old and keep its
 * young pending-call record alive through each scavenge, which made whole runs 2–3× slower.
 * Objects made with `new` have no allocation site, so they always start young.
 */
export class MessageEnvelope implements Envelope {
  constructor(
    readonly id: number,
    readonly kind: MessageKind,
    readonly to: string,
    readonly from: From | null,
    readonly type: string | undefined,
    readonly payload: unknown,
    readonly deadline: number | undefined,
    readonly incarnation: number | undefined,
    readonly trace: TraceCarrier | undefined,
  ) {}

  // Declared with a value so every envelope has the field from birth: stamping it later must not change its shape.
  queuedAt = 0;
}

/** Reads the `type` field a handler pattern matches against (a getter that throws, throws). */
export function messageTypeOf(payload: unknown): string | undefined {
  if (payload !== null && typeof payload === 'object') {
    const type = (payload as { type?: unknown }).type;
    if (typeof type === 'string') return type;
  }
  return undefined;
}
