import {
  context,
  metrics,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type Link,
  type Span,
} from '@opentelemetry/api';
import type { Envelope, MessageKind } from '../runtime/envelope.js';

const SCOPE = 'nestjs-genserver';
const ENQUEUED_AT = 'genserver-enqueued-at';
const MAILBOX_AT_ENQUEUE = 'genserver-mailbox';
const LINK_PREFIX = 'genserver-link-';

/** How a handled message ended, as spans and metrics report it. */
export type Outcome = 'ok' | 'error' | 'timeout' | 'crashed';

/** What the telemetry of one handled message needs when it ends. */
export interface MessageTrace {
  readonly span: Span | undefined;
  readonly startedAt: number;
  readonly kind: MessageKind;
  readonly processType: string;
}

/** Live figures the observable instruments read. */
export interface TelemetrySource {
  /** Messages waiting, summed per process type (bounded: one series per type, not per process). */
  mailboxes(): Iterable<readonly [string, number]>;
  liveProcesses(): number;
}

/**
 * Spans and metrics through `@opentelemetry/api` only: the library never starts an SDK. Whether a
 * real tracer or meter provider is registered is checked once a second, so with no SDK the hot
 * path pays one boolean test per message and allocates nothing.
 */
export class Telemetry {
  tracing = false;
  metering = false;
  private tracer = trace.getTracer(SCOPE);
  private tracerProvider: object | null = null;
  private meterProvider: object | null = null;
  private instruments: { messages: Counter; duration: Histogram; restarts: Counter; deadLetters: Counter } | null = null;
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
  carrier(): Record<string, string> | undefined {
    const active = context.active();
    if (trace.getSpan(active) === undefined) return undefined;
    const carrier: Record<string, string> = {};
    propagation.inject(active, carrier);
    return carrier;
  }

  /** For a timer: the scheduling span, carried as a link rather than a parent. */
  linkCarrier(): Record<string, string> | undefined {
    const inner = this.carrier();
    if (!inner) return undefined;
    return Object.fromEntries(Object.entries(inner).map(([key, value]) => [LINK_PREFIX + key, value]));
  }

  /** Notes when a traced envelope entered its mailbox, and the length it found there. */
  enqueued(envelope: Envelope, mailbox: number): void {
    const carrier = envelope.trace as Record<string, string> | undefined;
    if (!carrier) return;
    carrier[ENQUEUED_AT] = String(Date.now());
    carrier[MAILBOX_AT_ENQUEUE] = String(mailbox);
  }

  /** Starts the span of a handled message; returns the context to run the handler in. */
  beginMessage(envelope: Envelope, process: { name: string; type: string; restarts: number }): { trace: MessageTrace; context: Context } {
    const carrier = envelope.trace;
    let parent = ROOT_CONTEXT;
    const links: Link[] = [];
    if (carrier) {
      const linked = Object.keys(carrier).some((key) => key.startsWith(LINK_PREFIX));
      if (linked) {
        const link = Object.fromEntries(
          Object.entries(carrier).filter(([key]) => key.startsWith(LINK_PREFIX)).map(([key, value]) => [key.slice(LINK_PREFIX.length), value]),
        );
        const scheduled = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, link));
        if (scheduled) links.push({ context: scheduled });
      } else {
        parent = propagation.extract(ROOT_CONTEXT, carrier);
      }
    }
    const attributes: Attributes = {
      'genserver.process.name': process.name,
      'genserver.process.type': process.type,
      'genserver.message.kind': envelope.kind,
      'genserver.restarts': process.restarts,
    };
    if (envelope.type !== undefined) attributes['genserver.message.type'] = envelope.type;
    if (carrier?.[MAILBOX_AT_ENQUEUE] !== undefined) attributes['genserver.mailbox.length'] = Number(carrier[MAILBOX_AT_ENQUEUE]);
    if (carrier?.[ENQUEUED_AT] !== undefined) attributes['genserver.queue.wait_ms'] = Date.now() - Number(carrier[ENQUEUED_AT]);
    const span = this.tracing
      ? this.tracer.startSpan(`genserver.${envelope.kind}`, { kind: envelope.kind === 'call' ? SpanKind.SERVER : SpanKind.CONSUMER, attributes, links }, parent)
      : undefined;
    return {
      trace: { span, startedAt: this.metering ? performance.now() : 0, kind: envelope.kind, processType: process.type },
      context: span ? trace.setSpan(parent, span) : parent,
    };
  }

  /** Ends a handled message's span and records its metrics. */
  endMessage(message: MessageTrace, outcome: Outcome, error?: unknown): void {
    const span = message.span;
    if (span) {
      span.setAttribute('genserver.outcome', outcome);
      if (outcome !== 'ok') {
        if (error instanceof Error) span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error ?? outcome) });
      }
      span.end();
    }
    if (this.instruments && message.startedAt > 0) {
      const attributes = { 'genserver.message.kind': message.kind, 'genserver.outcome': outcome, 'genserver.process.type': message.processType };
      this.instruments.messages.add(1, attributes);
      this.instruments.duration.record(performance.now() - message.startedAt, { 'genserver.message.kind': message.kind, 'genserver.process.type': message.processType });
    }
  }

  /**
   * Runs a lifecycle step in a span of its own. `init` is a child of whatever started the process
   * (a request that called `start`, or the restart span); a restart begins a trace of its own.
   */
  async lifecycle<T>(step: 'init' | 'restart', process: { name: string; type: string }, run: () => Promise<T>): Promise<T> {
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
    const span = this.tracer.startSpan(`genserver.${step}`, { attributes: { 'genserver.process.name': process.name, 'genserver.process.type': process.type } }, parent);
    return {
      span,
      end(outcome: Outcome, error?: unknown) {
        span.setAttribute('genserver.outcome', outcome);
        if (outcome !== 'ok') {
          if (error instanceof Error) span.recordException(error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error ?? outcome) });
        }
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
      const tracerProvider = trace.getTracerProvider() as { getDelegate?: () => object };
      this.tracing = isRegistered(tracerProvider.getDelegate?.() ?? tracerProvider, 'NoopTracerProvider');
      // A provider registered (or replaced) since the last look gets a tracer of its own.
      if (tracerProvider !== this.tracerProvider) {
        this.tracerProvider = tracerProvider;
        this.tracer = trace.getTracer(SCOPE);
      }
      const meterProvider = metrics.getMeterProvider();
      this.metering = isRegistered(meterProvider, 'NoopMeterProvider');
      if (meterProvider !== this.meterProvider) {
        this.meterProvider = meterProvider;
        this.instruments = null;
      }
      if (this.metering && !this.instruments) this.createInstruments();
    } catch {
      this.tracing = this.metering = false;
    }
  }

  private createInstruments(): void {
    const meter = metrics.getMeter(SCOPE);
    this.instruments = {
      messages: meter.createCounter('genserver.messages', { description: 'Messages handled, by kind and outcome' }),
      duration: meter.createHistogram('genserver.handler.duration', { description: 'Handler run time', unit: 'ms' }),
      restarts: meter.createCounter('genserver.restarts', { description: 'Process restarts' }),
      deadLetters: meter.createCounter('genserver.dead_letters', { description: 'Messages published as dead letters' }),
    };
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

function isRegistered(provider: object, noopName: string): boolean {
  return provider.constructor?.name !== noopName;
}
