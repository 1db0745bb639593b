import { performance } from 'node:perf_hooks';

/**
 * At most this many handlers are timed per second across the runtime: a clock read costs ~50 ns on
 * some VMs, two per message would cost a cast a tenth of its time. Above it an even sample is timed.
 */
const SAMPLES_PER_SECOND = 50_000;
/** How often the coarse clock that stamps arrivals moves on. */
const TICK_MS = 10;
/** Each second, what was measured before counts this much less: figures follow the last few seconds. */
const DECAY = 0.75;
/** Trace ids of the last handled messages kept per process. */
const TRACE_IDS = 10;
/** 4 sub-buckets per power of two of µs, up to 2³¹ µs: each bucket's width is at most 25% of its start. */
const BUCKETS = 120;

/** A process's figures while it is profiled (see `GenServerRuntime.profile`). */
export interface ProfileFigures {
  /** Handler time in ms, over a sample of the messages handled in the last few seconds. */
  readonly handlerMs?: { readonly p50: number; readonly p99: number };
  /** Ms the oldest waiting message has been in the mailbox (from when profiling began, for one queued earlier). */
  readonly oldestMs?: number;
  /** Trace ids of the last handled messages that carried a trace context, newest last. */
  readonly traceIds?: readonly string[];
}

/**
 * What profiling shares across a runtime's processes while it is on: which handlers to time (an
 * even sample once there are more than `SAMPLES_PER_SECOND`), a coarse clock for arrival stamps,
 * and the second the decayed histograms are at. Made when profiling starts, dropped when it stops.
 */
export class Profiler {
  /** ms (`performance.now()`), moved on every `TICK_MS` and at each timed handler. */
  tick = performance.now();
  readonly startedAt = this.tick;
  /** The seconds since profiling began: a histogram last touched in an earlier one decays on its next use. */
  second = 0;
  private stride = 1;
  private countdown = 1;
  private seen = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly secondTimer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => (this.tick = performance.now()), TICK_MS);
    this.timer.unref();
    this.secondTimer = setInterval(() => this.nextSecond(), 1000);
    this.secondTimer.unref();
  }

  /** Whether to time the handler about to run: all of them, or every `stride`-th under load. */
  sample(): boolean {
    this.seen++;
    if (--this.countdown > 0) return false;
    this.countdown = this.stride;
    return true;
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.secondTimer);
  }

  private nextSecond(): void {
    this.second++;
    this.stride = Math.max(1, Math.ceil(this.seen / SAMPLES_PER_SECOND));
    this.seen = 0;
  }
}

/** One process's profile: a decaying histogram of handler times and its last trace ids. */
export class ProcessProfile {
  private buckets: Float32Array | null = null;
  private second: number;
  private traces: string[] | null = null;

  constructor(readonly profiler: Profiler) {
    this.second = profiler.second;
  }

  /** A handler took `ms`. */
  timed(ms: number): void {
    const buckets = this.decayed();
    buckets[bucketOf(ms * 1000)]! += 1;
  }

  traced(traceId: string): void {
    const traces = (this.traces ??= []);
    traces.push(traceId);
    if (traces.length > TRACE_IDS) traces.shift();
  }

  /** The figures now; `oldestQueuedAt` is the arrival stamp of the oldest waiting message, if any. */
  figures(oldestQueuedAt: number | undefined): ProfileFigures {
    const handlerMs = this.buckets === null ? undefined : percentiles(this.decayed());
    const oldestMs = oldestQueuedAt === undefined ? undefined : Math.max(0, Math.round(performance.now() - (oldestQueuedAt || this.profiler.startedAt)));
    return {
      ...(handlerMs === undefined ? {} : { handlerMs }),
      ...(oldestMs === undefined ? {} : { oldestMs }),
      ...(this.traces === null ? {} : { traceIds: [...this.traces] }),
    };
  }

  private decayed(): Float32Array {
    const buckets = (this.buckets ??= new Float32Array(BUCKETS));
    const elapsed = this.profiler.second - this.second;
    if (elapsed > 0) {
      const factor = DECAY ** elapsed;
      for (let i = 0; i < BUCKETS; i++) buckets[i]! *= factor;
      this.second = this.profiler.second;
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

/** The middle of a bucket, in ms. */
function valueOf(bucket: number): number {
  if (bucket < 4) return (bucket + 0.5) / 1000;
  const power = (bucket >> 2) + 1;
  const width = 2 ** (power - 2);
  return ((4 + (bucket & 3)) * width + width / 2) / 1000;
}

function percentiles(buckets: Float32Array): { p50: number; p99: number } | undefined {
  let total = 0;
  for (let i = 0; i < BUCKETS; i++) total += buckets[i]!;
  if (total < 0.5) return undefined; // nothing handled for a while: no figure rather than a stale one
  return { p50: round(valueOf(at(buckets, total * 0.5))), p99: round(valueOf(at(buckets, total * 0.99))) };
}

function at(buckets: Float32Array, rank: number): number {
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += buckets[i]!;
    if (seen >= rank) return i;
  }
  return BUCKETS - 1;
}

/** Three significant digits: the buckets are no finer. */
function round(ms: number): number {
  return Number(ms.toPrecision(3));
}
