import { performance } from 'node:perf_hooks';

/**
 * At most about this many handlers are timed per second across the runtime; above it an even sample
 * is, so a process's share of the samples is its share of the messages. A timed handler costs two
 * clock reads (~50 ns each on this VM) and a histogram update that, at 10 000 processes, misses the
 * CPU's caches: ~1 µs in all. 50 000 a second cost 11% of throughput under load (bench (p)), 10 000
 * about 2%; this many, about 0.5%.
 */
const SAMPLES_PER_SECOND = 5_000;
/** How often the coarse clock that stamps arrivals moves on, and its unit. */
const TICK_MS = 10;
/** The largest stamp that stays a small integer (2³⁰ − 1 units of 10 ms: 124 days of profiling). */
const MAX_STAMP = 2 ** 30 - 1;
/** Weights are brought back to 1 past this (far from a double's range, which ends near 1e308). */
const RESCALE_ABOVE = 1e100;
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
 * turn, the sampling rate still adapts (every `ADAPT_EVERY` messages) and the clock moves on.
 */
export class Profiler {
  /**
   * The coarse clock: `TICK_MS` units since profiling began, plus 1 (0 marks a message queued before).
   * A small integer on purpose: it is stored in every envelope, and a fractional value there would
   * turn the field into a boxed double, one more allocation per message from then on, page or not.
   */
  stamp = 1;
  private readonly startedAt = performance.now();
  private stride = 1;
  private countdown = 1;
  private seen = 0;
  private windowFrom = this.startedAt;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.moveOn(performance.now()), TICK_MS);
    this.timer.unref();
  }

  /** The whole seconds since profiling began (by the coarse clock): histograms decay by it. */
  get second(): number {
    return Math.floor(((this.stamp - 1) * TICK_MS) / 1000);
  }

  /** Whether to time the handler about to run: all of them, or every `stride`-th under load. */
  sample(): boolean {
    if (++this.seen === ADAPT_EVERY) this.adapt();
    if (--this.countdown > 0) return false;
    this.countdown = this.stride;
    return true;
  }

  /** Moves the coarse clock on to `now` (`performance.now()`), read by a caller anyway. */
  moveOn(now: number): void {
    const elapsed = now - this.startedAt;
    // `| 0` keeps it a small integer in optimized code too (see `stamp`).
    this.stamp = elapsed < MAX_STAMP * TICK_MS ? ((elapsed / TICK_MS) | 0) + 1 : MAX_STAMP;
  }

  /** Ms since `stamp` (0: queued before profiling began, so since then). */
  ageOf(stamp: number | undefined): number {
    return (this.stamp - (stamp || 1)) * TICK_MS;
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
    this.windowFrom = now;
    this.moveOn(now);
  }
}

/**
 * One process's profile: a decaying histogram of handler times and its last trace ids. Decay costs
 * nothing per second: a sample recorded `s` seconds after the histogram's origin weighs
 * `DECAY^-s`, so older samples shrink relatively; the weights are brought back near 1 when they grow large.
 */
export class ProcessProfile {
  private buckets: Float64Array | null = null;
  /** The weighted total of the histogram. */
  private total = 0;
  /** What a sample recorded now weighs. */
  private weight = 1;
  private second: number;
  /** The percentiles as last computed, and whether a sample came in since. */
  private cached: { readonly p50: number; readonly p99: number } | undefined = undefined;
  private sampled = false;
  private traces: string[] | null = null;

  constructor(readonly profiler: Profiler) {
    this.second = profiler.second;
  }

  /** A handler took `ms`. */
  timed(ms: number): void {
    const buckets = (this.buckets ??= new Float64Array(BUCKETS));
    this.advance();
    buckets[bucketOf(ms * 1000)]! += this.weight;
    this.total += this.weight;
    this.sampled = true;
  }

  traced(traceId: string): void {
    const traces = (this.traces ??= []);
    traces.push(traceId);
    if (traces.length > TRACE_IDS) traces.shift();
  }

  /** Handler time p50/p99 in ms over the last few seconds; `undefined` before one was timed or after a quiet while. */
  handlerMs(): { readonly p50: number; readonly p99: number } | undefined {
    if (this.buckets === null) return undefined;
    this.advance();
    // What is left of the samples, in samples recorded now: under half of one means a quiet while.
    if (this.total < this.weight / 2) return undefined;
    if (this.sampled) {
      this.sampled = false;
      this.cached = percentiles(this.buckets, this.total);
    }
    return this.cached;
  }

  traceIds(): readonly string[] | undefined {
    return this.traces === null ? undefined : [...this.traces];
  }

  private advance(): void {
    const second = this.profiler.second;
    if (second === this.second) return;
    this.weight /= DECAY ** (second - this.second);
    this.second = second;
    if (this.weight < RESCALE_ABOVE) return;
    const buckets = this.buckets;
    if (buckets !== null) for (let i = 0; i < BUCKETS; i++) buckets[i]! /= this.weight;
    this.total /= this.weight;
    this.weight = 1;
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

function percentiles(buckets: Float64Array, total: number): { p50: number; p99: number } {
  let seen = 0;
  let p50 = -1;
  for (let i = 0; i < BUCKETS; i++) {
    seen += buckets[i]!;
    if (p50 < 0 && seen >= total * 0.5) p50 = i;
    if (seen >= total * 0.99) return { p50: valueOf(p50), p99: valueOf(i) };
  }
  return { p50: valueOf(p50 < 0 ? BUCKETS - 1 : p50), p99: valueOf(BUCKETS - 1) };
}
