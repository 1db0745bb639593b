import { GenServer, GenServerProcess, HandleCall, HandleCast, HandleInfo } from 'nestjs-genserver';
import { NodeName } from './node-name.service.js';

const REFILL_EVERY_MS = 1000;

/** `args` of the topology child (config/topology.yaml). */
export interface RateLimiterArgs {
  capacity?: number;
  refill_per_second?: number;
}

export interface AcquireReply {
  ok: boolean;
  remaining: number;
  /** In a cluster: the node that runs the rate limiter. */
  limiterNode?: string;
}

/** The seed's token bucket: one process owns the count, so no two requests race for a token. */
@GenServer('rate_limiter')
export class RateLimiter extends GenServerProcess<{ tokens: number }> {
  private capacity = 100;
  private refillBy = 10;

  constructor(private readonly node: NodeName) {
    super();
  }

  override init(args: RateLimiterArgs = {}) {
    this.capacity = args.capacity ?? this.capacity;
    this.refillBy = args.refill_per_second ?? this.refillBy;
    this.state = { tokens: this.capacity };
    this.sendAfter(REFILL_EVERY_MS, { type: 'refill' });
  }

  @HandleCall('acquire')
  acquire(): AcquireReply {
    const where = this.node.value === undefined ? {} : { limiterNode: this.node.value };
    if (this.state.tokens === 0) return { ok: false, remaining: 0, ...where };
    this.state.tokens--;
    return { ok: true, remaining: this.state.tokens, ...where };
  }

  @HandleCall()
  other() {
    return { error: 'unknown call' };
  }

  @HandleCast('reset')
  reset() {
    this.state.tokens = this.capacity;
  }

  @HandleInfo('refill')
  refill() {
    this.state.tokens = Math.min(this.capacity, this.state.tokens + this.refillBy);
    this.sendAfter(REFILL_EVERY_MS, { type: 'refill' });
  }
}
