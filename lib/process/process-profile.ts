import { performance } from 'node:perf_hooks';

/**
 * At most this many handlers are timed per second across the runtime: a clock read costs ~50 ns on
 * some VMs, two per message would cost a cast a tenth of its time. Above it an even sample is timed.
 */
const SAMPLES_PER_SECOND = 50_000;
/** How often the coarse clock that stamps arrivals moves on. */
const TICK_MS = 10;
/** The sampling rate is reconsidered after this many messages. */
const ADAPT_EVERY = 4096;
/** Each second, what was measured before counts this much less: figures follow the last few seconds. */
const DECAY = 0.75;
/** Trace ids of the last handled messages kept per process. */
const TRACE_IDS = 10;
/** 4 sub-buckets per power of two of µs, up to 2³¹ µs: each bucket's width is at most 25% of its start. */
const BUCKETS = 120;

/**
 * What profiling shares across a runtime's processes while it is on: which handlers to time (an
 * even sample once more than `SAMPLES_PER_SECOND` are handled), a coarse clock for arrival stamps
 * and ages, and the second the decaying histograms are at. Made when profiling starts, dropped when
 * it stops. Nothing here depends on a timer firing: under a load that never lets the event loop
 * turn, the sampling rate still adapts (every `ADAPT_EVERY` messages).
 */
export class Profiler {
  /** ms (`performance.now()`), moved on every `TICK_MS` and every `ADAPT_EVERY` messages. */
  tick = performance.now();
  readonly startedAt = this.tick;
  private stride = 1;
  private countdown = 1;
  private seen = 0;
  private windowFrom = this.tick;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => (this.tick = performance.now()), TICK_MS);
    this.timer.unref();
  }

  /** The whole seconds since profiling began (by the coarse clock): histograms decay by it. */
  get second(): number {
    return Math.floor((this.tick - this.startedAt) / 1000);
  }

  /** Whether to time the handler about to run: all of them, or every `stride`-th under load. */
  sample(): boolean {
    if (++this.seen === ADAPT_EVERY) this.adapt();
    if (--this.countdown > 0) return false;
    this.countdown = this.stride;
    return true;
  }

  /** Ms since `queuedAt` (a stamp of this clock; 0: before profiling began, so since then). */
  ageOf(queuedAt: number | undefined): number {
    return Math.max(0, Math.round(this.tick - (queuedAt || this.startedAt)));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private adapt(): void {
    const now = performance.now();
    const perSecond = (this.seen * 1000) / Math.max(1, now - this.windowFrom);
    this.stride = Math.max(1, Math.ceil(perSecond / SAMPLES_PER_SECOND));
    this.countdown = Math.min(this.countdown, this.stride);
    this.seen = 0;
    this.windowFrom = this.tick = now;
  }
}

/** One process's profile: a decaying histogram of handler times and its last trace ids. */
export class ProcessProfile {
  private buckets: Float32Array | null = null;
  /** The histogram's decayed total. */
  private total = 0;
  private second: number;
  /** The percentiles as last computed, and whether the histogram changed since. */
  private cached: { readonly p50: number; readonly p99: number } | undefined = undefined;
  private changed = false;
  private traces: string[] | null = null;

  constructor(readonly profiler: Profiler) {
    this.second = profiler.second;
  }

  /** A handler took `ms`. */
  timed(ms: number): void {
    const buckets = this.decayed();
    buckets[bucketOf(ms * 1000)]! += 1;
    this.total += 1;
    this.changed = true;
  }

  traced(traceId: string): void {
    const traces = (this.traces ??= []);
    traces.push(traceId);
    if (traces.length > TRACE_IDS) traces.shift();
  }

  /** Handler time p50/p99 in ms over the last few seconds; `undefined` before one was timed or after a quiet while. */
  handlerMs(): { readonly p50: number; readonly p99: number } | undefined {
    if (this.buckets === null) return undefined;
    const buckets = this.decayed();
    if (this.changed) {
      this.changed = false;
      this.cached = this.total < 0.5 ? undefined : percentiles(buckets, this.total);
    }
    return this.cached;
  }

  traceIds(): readonly string[] | undefined {
    return this.traces === null ? undefined : [...this.traces];
  }

  private decayed(): Float32Array {
    const buckets = (this.buckets ??= new Float32Array(BUCKETS));
    const second = this.profiler.second;
    if (second > this.second) {
      const factor = DECAY ** (second - this.second);
      for (let i = 0; i < BUCKETS; i++) buckets[i]! *= factor;
      this.total *= factor;
      this.second = second;
      this.changed = true;
    }
    return buckets;
  }
}

/** HDR-style: the power of two of the µs count, then which quarter of it. */
function bucketOf(us: number): number {
  const v = us >= 0x7fffffff ? 0x7fffffff : us < 1 ? 0 : Math.floor(us);
  if (v < 4) return v;
  const power = 31 - Math.clz32(v);
  return 4 * (power - 1) + ((v >>> (power - 2)) & 3);
}

/** The middle of a bucket, in ms, to three significant digits (the buckets are no finer). */
function valueOf(bucket: number): number {
  if (bucket < 4) return (bucket + 0.5) / 1000;
  const power = (bucket >> 2) + 1;
  const width = 2 ** (power - 2);
  return Number((((4 + (bucket & 3)) * width + width / 2) / 1000).toPrecision(3));
}

function percentiles(buckets: Float32Array, total: number): { p50: number; p99: number } {
  let seen = 0;
  let p50 = -1;
  for (let i = 0; i < BUCKETS; i++) {
    seen += buckets[i]!;
    if (p50 < 0 && seen >= total * 0.5) p50 = i;
    if (seen >= total * 0.99) return { p50: valueOf(p50), p99: valueOf(i) };
  }
  return { p50: valueOf(p50 < 0 ? BUCKETS - 1 : p50), p99: valueOf(BUCKETS - 1) };
}
