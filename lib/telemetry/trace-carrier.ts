import { baggageEntryMetadataFromString, createTraceState, propagation, type Baggage, type BaggageEntry, type SpanContext } from '@opentelemetry/api';

/**
 * The trace context an envelope carries from the sender to the process that handles it. Inside one
 * Node.js process it is passed as it is: no header is written or parsed. It is plain data (strings,
 * numbers, booleans), so an envelope stays serializable; where a message leaves the Node.js process,
 * `toW3C` turns it into W3C Trace Context (and Baggage) headers and `fromW3C` reads them back.
 */
export interface TraceCarrier {
  /** The sender's span context: 32 and 16 lowercase hex digits, W3C trace flags. */
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  /** The W3C `tracestate` value, when the sender's span context has one. */
  readonly traceState: string | undefined;
  /** The W3C `baggage` value, when baggage was active at the sender. */
  readonly baggage: string | undefined;
  /** Read from headers (the sender was another Node.js process), not taken from a local span. */
  readonly remote: boolean;
  /** A timer's message: the span that scheduled it becomes a link, not the parent. */
  readonly link: boolean;
  /**
   * Stamped by the receiving mailbox: when the message entered it (`performance.now()` of this
   * process, 0 until then) and the length it found there. Local figures: never written to headers.
   */
  enqueuedAt: number;
  mailbox: number;
}

const TRACEPARENT = 'traceparent';
const TRACESTATE = 'tracestate';
const BAGGAGE = 'baggage';
/** Not a W3C header: marks a timer's context, which links rather than parents. */
const LINK = 'genserver-link';
const TRACEPARENT_FORMAT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_SPAN_ID = '0'.repeat(16);

/** A carrier for a span context taken in this process; `baggage` is the W3C header value, if any. */
export function traceCarrier(
  span: { traceId: string; spanId: string; traceFlags: number; traceState?: { serialize(): string } },
  baggage: string | undefined,
  link: boolean,
): TraceCarrier {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    traceFlags: span.traceFlags,
    traceState: span.traceState?.serialize() || undefined,
    baggage,
    remote: false,
    link,
    enqueuedAt: 0,
    mailbox: 0,
  };
}

/** The span context a carrier holds, as the API takes it. */
export function spanContextOf(carrier: TraceCarrier): SpanContext {
  return {
    traceId: carrier.traceId,
    spanId: carrier.spanId,
    traceFlags: carrier.traceFlags,
    isRemote: carrier.remote,
    traceState: carrier.traceState === undefined ? undefined : createTraceState(carrier.traceState),
  };
}

/** Whether two carriers hold the same sender context (then they share one parent context). */
export function sameSender(a: TraceCarrier, b: TraceCarrier): boolean {
  return (
    a.spanId === b.spanId &&
    a.traceId === b.traceId &&
    a.traceFlags === b.traceFlags &&
    a.traceState === b.traceState &&
    a.baggage === b.baggage &&
    a.remote === b.remote
  );
}

/** The headers that carry `carrier` across a network: `traceparent`, and `tracestate`/`baggage` when set. */
export function toW3C(carrier: TraceCarrier): Record<string, string> {
  const headers: Record<string, string> = {
    [TRACEPARENT]: `00-${carrier.traceId}-${carrier.spanId}-${(carrier.traceFlags & 0xff).toString(16).padStart(2, '0')}`,
  };
  if (carrier.traceState) headers[TRACESTATE] = carrier.traceState;
  if (carrier.baggage) headers[BAGGAGE] = carrier.baggage;
  if (carrier.link) headers[LINK] = '1';
  return headers;
}

/** Reads headers written by `toW3C` (or any W3C Trace Context propagator); undefined when there is no valid `traceparent`. */
export function fromW3C(headers: Readonly<Record<string, string | undefined>>): TraceCarrier | undefined {
  const match = TRACEPARENT_FORMAT.exec(headers[TRACEPARENT]?.trim() ?? '');
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  // Version ff is invalid; version 00 has exactly four fields (later versions may add more).
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === INVALID_TRACE_ID || spanId === INVALID_SPAN_ID) return undefined;
  return {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16),
    traceState: headers[TRACESTATE] || undefined,
    baggage: headers[BAGGAGE] || undefined,
    remote: true,
    link: headers[LINK] === '1',
    enqueuedAt: 0,
    mailbox: 0,
  };
}

/** Baggage as the W3C `baggage` header value. */
export function encodeBaggage(baggage: Baggage): string | undefined {
  const entries = baggage.getAllEntries();
  if (entries.length === 0) return undefined;
  return entries
    .map(([key, entry]) => {
      const metadata = entry.metadata?.toString();
      return `${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}${metadata ? `;${metadata}` : ''}`;
    })
    .join(',');
}

/** Reads a W3C `baggage` header value; entries that do not parse are left out. */
export function decodeBaggage(value: string): Baggage {
  const entries: Record<string, BaggageEntry> = {};
  for (const member of value.split(',')) {
    const [pair, ...properties] = member.split(';');
    const separator = pair!.indexOf('=');
    if (separator <= 0) continue;
    try {
      const key = decodeURIComponent(pair!.slice(0, separator).trim());
      const entryValue = decodeURIComponent(pair!.slice(separator + 1).trim());
      entries[key] = properties.length > 0 ? { value: entryValue, metadata: baggageEntryMetadataFromString(properties.join(';')) } : { value: entryValue };
    } catch {
      // A malformed percent-encoding: that entry is dropped, as the W3C propagator does.
    }
  }
  return propagation.createBaggage(entries);
}
