import { GenServer, GenServerProcess, HandleCall, HandleCast, HandleInfo } from 'nestjs-genserver';

const CAPACITY = 100;
const REFILL_EVERY_MS = 1000;
const REFILL_BY = 10;

export interface AcquireReply {
  ok: boolean;
  remaining: number;
}

/** The seed's token bucket: one process owns the count, so no two requests race for a token. */
@GenServer('rate_limiter')
export class RateLimiter extends GenServerProcess<{ tokens: number }> {
  override init() {
    this.state = { tokens: CAPACITY };
    this.sendAfter(REFILL_EVERY_MS, { type: 'refill' });
  }

  @HandleCall('acquire')
  acquire(): AcquireReply {
    if (this.state.tokens === 0) return { ok: false, remaining: 0 };
    this.state.tokens--;
    return { ok: true, remaining: this.state.tokens };
  }

  @HandleCall()
  other() {
    return { error: 'unknown call' };
  }

  @HandleCast('reset')
  reset() {
    this.state.tokens = CAPACITY;
  }

  @HandleInfo('refill')
  refill() {
    this.state.tokens = Math.min(CAPACITY, this.state.tokens + REFILL_BY);
    this.sendAfter(REFILL_EVERY_MS, { type: 'refill' });
  }
}
