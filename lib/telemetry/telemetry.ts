import { describeCause } from '../errors/describe-value.js';
import {
  context,
  metrics,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Baggage,
  type Context,
  type Counter,
  type Histogram,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import { MessageCounts, type Outcome, type TypeCounts } from './message-counts.js';
import { decodeBaggage, encodeBaggage, sameSender, spanContextOf, traceCarrier, type TraceCarrier } from './trace-carrier.js';

export type { Outcome } from './message-counts.js';

const SCOPE = 'nestjs-genserver';
/** Messages whose span is not recorded still get their duration measured, one in this many. */
const DURATION_SAMPLE_EVERY = 64;

/** What `beginMessage` reads from an envelope. */
export interface TracedMessage {
  readonly kind: 'call' | 'cast' | 'info';
  readonly type: string | undefined;
  readonly trace: TraceCarrier | undefined;
}

/** What the telemetry of one handled message needs when it ends. */
export interface MessageTrace {
  readonly span: Span | undefined;
  /** `performance.now()` at the start, when this message's duration is recorded; 0 otherwise. */
  readonly startedAt: number;
  readonly kind: 'call' | 'cast' | 'info';
  readonly processType: string;
  /** Where its outcome is counted, when metrics are on. */
  readonly counts: TypeCounts | undefined;
}

/** Live figures the observable instruments read. */
export interface TelemetrySource {
  /** Messages waiting, summed per process type (bounded: one series per type, not per process). */
  mailboxes(): Iterable<readonly [string, number]>;
  liveProcesses(): number;
}

const SPAN_NAMES = { call: 'genserver.call', cast: 'genserver.cast', info: 'genserver.info' } as const;
/** Shared by every span of a kind with no links (the SDK only reads them). */
const SPAN_OPTIONS: Readonly<Record<'call' | 'cast' | 'info', SpanOptions>> = {
  call: { kind: SpanKind.SERVER },
  cast: { kind: SpanKind.CONSUMER },
  info: { kind: SpanKind.CONSUMER },
};

/**
 * Spans and metrics through `@opentelemetry/api` only: the library never starts an SDK. Whether a
 * real tracer or meter provider is registered is checked once a second, so with no SDK the hot
 * path pays one boolean test per message and allocates nothing.
 *
 * With an SDK, per message: the sender's span context travels in the envelope as a plain
 * `TraceCarrier` (W3C headers are written only where a message leaves the Node.js process: see
 * `toW3C`); attributes are set only on spans the sampler records; outcomes are counted in plain
 * numbers and reported through an observable counter; durations go to the histogram for recorded
 * spans and for one in 64 other messages.
 */
export class Telemetry {
  tracing = false;
  metering = false;
  private tracer: Tracer = trace.getTracer(SCOPE);
  private tracerProvider: object | null = null;
  private meterProvider: object | null = null;
  private instruments: { duration: Histogram; restarts: Counter; deadLetters: Counter } | null = null;
  private readonly counts = new MessageCounts();
  private durationTick = 0;
  /** The last baggage carried, and its header value: a request's messages share one Baggage object. */
  private lastBaggage: Baggage | undefined = undefined;
  private lastBaggageHeader: string | undefined = undefined;
  /** The last parent context built from a carrier: a burst from one sender shares it. */
  private lastSender: TraceCarrier | undefined = undefined;
  private lastParent: Context = ROOT_CONTEXT;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly source: TelemetrySource) {}

  start(): void {
    this.refresh();
    this.timer = setInterval(() => this.refresh(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The trace context to carry in an envelope: the active span's, if there is one. */
  carrier(): TraceCarrier | undefined {
    const active = context.active();
    const span = trace.getSpan(active);
    return span === undefined ? undefined : traceCarrier(span.spanContext(), this.baggageHeader(propagation.getBaggage(active)), false);
  }

  /** For a timer: the scheduling span, carried as a link rather than a parent. */
  linkCarrier(): TraceCarrier | undefined {
    const span = trace.getSpan(context.active());
    return span === undefined ? undefined : traceCarrier(span.spanContext(), undefined, true);
  }

  /** Notes when a traced envelope entered its mailbox, and the length it found there. */
  enqueued(envelope: TracedMessage, mailbox: number): void {
    const carrier = envelope.trace;
    if (carrier === undefined) return;
    carrier.enqueuedAt = performance.now();
    carrier.mailbox = mailbox;
  }

  /** Starts the span of a handled message; returns the context to run the handler in. */
  beginMessage(envelope: TracedMessage, process: { name: string; type: string; restarts: number }): { trace: MessageTrace; context: Context } {
    const carrier = envelope.trace;
    const kind = envelope.kind;
    let parent = ROOT_CONTEXT;
    let options = SPAN_OPTIONS[kind];
    if (carrier !== undefined) {
      if (carrier.link) options = { kind: options.kind, links: [{ context: spanContextOf(carrier) }] };
      else parent = this.parentOf(carrier);
    }
    let span: Span | undefined;
    let recording = false;
    if (this.tracing) {
      span = this.tracer.startSpan(SPAN_NAMES[kind], options, parent);
      recording = span.isRecording();
      // A span the sampler dropped gets no attributes: nothing would read them.
      if (recording) {
        span.setAttribute('genserver.process.name', process.name);
        span.setAttribute('genserver.process.type', process.type);
        span.setAttribute('genserver.message.kind', kind);
        span.setAttribute('genserver.restarts', process.restarts);
        if (envelope.type !== undefined) span.setAttribute('genserver.message.type', envelope.type);
        if (carrier !== undefined && carrier.enqueuedAt > 0) {
          span.setAttribute('genserver.mailbox.length', carrier.mailbox);
          span.setAttribute('genserver.queue.wait_ms', performance.now() - carrier.enqueuedAt);
        }
      }
    }
    let counts: TypeCounts | undefined;
    let startedAt = 0;
    if (this.instruments !== null) {
      counts = this.counts.of(process.type);
      if (recording || ++this.durationTick % DURATION_SAMPLE_EVERY === 0) startedAt = performance.now();
    }
    return {
      trace: { span, startedAt, kind, processType: process.type, counts },
      context: span === undefined ? parent : trace.setSpan(parent, span),
    };
  }

  /** The context a carried sender's span is the parent in (with its baggage, if any). */
  private parentOf(carrier: TraceCarrier): Context {
    if (this.lastSender !== undefined && sameSender(this.lastSender, carrier)) return this.lastParent;
    let parent = trace.setSpanContext(ROOT_CONTEXT, spanContextOf(carrier));
    if (carrier.baggage !== undefined) parent = propagation.setBaggage(parent, decodeBaggage(carrier.baggage));
    this.lastSender = carrier;
    this.lastParent = parent;
    return parent;
  }

  private baggageHeader(baggage: Baggage | undefined): string | undefined {
    if (baggage === undefined) return undefined;
    if (baggage !== this.lastBaggage) {
      this.lastBaggage = baggage;
      this.lastBaggageHeader = encodeBaggage(baggage);
    }
    return this.lastBaggageHeader;
  }

  /** Ends a handled message's span and counts its outcome. */
  endMessage(message: MessageTrace, outcome: Outcome, error?: unknown): void {
    const span = message.span;
    if (span !== undefined && span.isRecording()) {
      span.setAttribute('genserver.outcome', outcome);
      if (outcome !== 'ok') recordError(span, outcome, error);
      span.end();
    }
    const counts = message.counts;
    if (counts === undefined) return;
    counts.add(message.kind, outcome);
    if (message.startedAt > 0) {
      this.instruments?.duration.record(performance.now() - message.startedAt, counts.durationAttributes[counts.kindIndex(message.kind)]);
    }
  }

  /**
   * Runs a lifecycle step in a span of its own. `init` is a child of whatever started the process
   * (a request that called `start`, or the restart span); a restart begins a trace of its own.
   * With no SDK registered it only calls `run`, and returns what `run` returns.
   */
  lifecycle<T>(step: 'init' | 'restart', process: { name: string; type: string }, run: () => T | Promise<T>): T | Promise<T> {
    // No SDK: `run` as it is, with not even an await around it.
    return this.tracing ? this.traced(step, process, run) : run();
  }

  private async traced<T>(step: 'init' | 'restart', process: { name: string; type: string }, run: () => T | Promise<T>): Promise<T> {
    const span = this.lifecycleSpan(step, process);
    if (!span) return run();
    try {
      const result = await context.with(trace.setSpan(context.active(), span.span), run);
      span.end('ok');
      return result;
    } catch (error) {
      span.end('error', error);
      throw error;
    }
  }

  /** A lifecycle span the caller ends (for `terminate`, which may be abandoned at `shutdownMs`). */
  lifecycleSpan(step: 'init' | 'restart' | 'terminate', process: { name: string; type: string }): { span: Span; end(outcome: Outcome, error?: unknown): void } | undefined {
    if (!this.tracing) return undefined;
    const parent = step === 'init' ? context.active() : ROOT_CONTEXT;
    const span = this.tracer.startSpan(`genserver.${step}`, undefined, parent);
    if (span.isRecording()) {
      span.setAttribute('genserver.process.name', process.name);
      span.setAttribute('genserver.process.type', process.type);
    }
    return {
      span,
      end(outcome: Outcome, error?: unknown) {
        if (!span.isRecording()) return;
        span.setAttribute('genserver.outcome', outcome);
        if (outcome !== 'ok') recordError(span, outcome, error);
        span.end();
      },
    };
  }

  restarted(processType: string): void {
    this.instruments?.restarts.add(1, { 'genserver.process.type': processType });
  }

  deadLetter(reason: string): void {
    this.instruments?.deadLetters.add(1, { 'genserver.dead_letter.reason': reason });
  }

  /** Checks whether an SDK has registered providers since the last look. */
  refresh(): void {
    try {
      const proxy = trace.getTracerProvider() as { getDelegate?: () => object };
      const tracerProvider = proxy.getDelegate?.() ?? proxy;
      this.tracing = isRegistered(tracerProvider, 'NoopTracerProvider');
      // A provider registered (or replaced) since the last look gets a tracer of its own, taken
      // from it directly rather than through the API's proxy.
      if (tracerProvider !== this.tracerProvider) {
        this.tracerProvider = tracerProvider;
        this.tracer = (tracerProvider as { getTracer(name: string): Tracer }).getTracer(SCOPE);
      }
      const meterProvider = metrics.getMeterProvider();
      this.metering = isRegistered(meterProvider, 'NoopMeterProvider');
      if (meterProvider !== this.meterProvider) {
        this.meterProvider = meterProvider;
        this.instruments = null;
      }
      if (this.metering && !this.instruments) this.createInstruments();
      if (!this.metering) this.instruments = null;
    } catch {
      this.tracing = this.metering = false;
      this.instruments = null;
    }
  }

  private createInstruments(): void {
    const meter = metrics.getMeter(SCOPE);
    this.instruments = {
      duration: meter.createHistogram('genserver.handler.duration', {
        description: 'Handler run time: every message whose span is recorded, and one in 64 others',
        unit: 'ms',
      }),
      restarts: meter.createCounter('genserver.restarts', { description: 'Process restarts' }),
      deadLetters: meter.createCounter('genserver.dead_letters', { description: 'Messages published as dead letters' }),
    };
    meter
      .createObservableCounter('genserver.messages', { description: 'Messages handled, by kind and outcome' })
      .addCallback((result) => this.counts.observe(result));
    meter
      .createObservableGauge('genserver.mailbox.length', { description: 'Messages waiting, per process type' })
      .addCallback((result) => {
        for (const [type, length] of this.source.mailboxes()) result.observe(length, { 'genserver.process.type': type });
      });
    meter
      .createObservableGauge('genserver.processes', { description: 'Live processes' })
      .addCallback((result) => result.observe(this.source.liveProcesses()));
  }
}

function recordError(span: Span, outcome: Outcome, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error === undefined ? outcome : describeCause(error) });
}

function isRegistered(provider: object, noopName: string): boolean {
  return provider.constructor?.name !== noopName;
}
