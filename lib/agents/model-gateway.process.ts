import { Logger } from '@nestjs/common';
import { GenServer } from '../decorators/gen-server.decorator.js';
import { HandleCall } from '../decorators/handle-call.decorator.js';
import { HandleInfo } from '../decorators/handle-info.decorator.js';
import type { From } from '../process/from.js';
import { GenServerProcess } from '../process/gen-server-process.js';
import { noReply, type NoReply } from '../process/no-reply.js';

/** A 429 without a usable `Retry-After` waits this long (ms). */
const DEFAULT_BACKOFF_MS = 1000;
/** Shortest wait after a 429, whatever `Retry-After` says: `0` must not become a tight loop. */
export const MIN_BACKOFF_MS = 100;

/** How a gateway is started: its provider and limits. */
export interface GatewayArgs {
  readonly provider: string;
  /** Token bucket: requests per second leaving for this provider (`Infinity`: no limit). */
  readonly requestsPerSecond: number;
  readonly maxRetryAfterMs: number;
}

interface GatewayState {
  provider: string;
  blockedUntil: number;
  tokens: number;
  refilledAt: number;
  throttles: number;
}

/**
 * The door to one model provider, as a process (`model-gateway:<provider>`): every agent of the
 * app asks it before each model request (`admit`, answered when the request may leave) and tells
 * it of a 429 (`throttled`). A token bucket spaces requests (`agents.requestsPerSecond`); after a
 * 429 nothing is admitted before its `Retry-After` (capped). In a cluster it is one process for the
 * whole cluster, so the limits hold across nodes.
 */
@GenServer({ type: 'genserver.model_gateway', restart: 'permanent' })
export class ModelGatewayProcess extends GenServerProcess<GatewayState> {
  private readonly waiting: From[] = [];
  private limits!: GatewayArgs;
  private releasing = false;

  override init(args: GatewayArgs): void {
    this.limits = args;
    const burst = Number.isFinite(args.requestsPerSecond) ? Math.max(1, args.requestsPerSecond) : Infinity;
    this.state = { provider: args.provider, blockedUntil: 0, tokens: burst, refilledAt: Date.now(), throttles: 0 };
  }

  /** Replies `true` when a request may leave now; callers wait in FIFO order. */
  @HandleCall('admit')
  admit(_message: unknown, from: From): true | NoReply {
    if (this.waiting.length === 0 && this.take()) return true;
    this.waiting.push(from);
    this.schedule();
    return noReply();
  }

  /** A request got a 429: nothing is admitted before its `Retry-After` (capped, at least 100 ms). */
  @HandleCall('throttled')
  throttled(message: { retryAfter?: string }): number {
    const waitMs = Math.max(MIN_BACKOFF_MS, Math.min(retryAfterMs(message?.retryAfter) ?? DEFAULT_BACKOFF_MS, this.limits.maxRetryAfterMs));
    this.state.blockedUntil = Math.max(this.state.blockedUntil, Date.now() + waitMs);
    this.state.throttles++;
    Logger.warn(`model provider "${this.state.provider}" answered 429: no request before ${waitMs} ms`, this.name);
    return waitMs;
  }

  @HandleInfo('release')
  release(): void {
    this.releasing = false;
    while (this.waiting.length > 0 && this.take()) this.reply(this.waiting.shift()!, true);
    if (this.waiting.length > 0) this.schedule();
  }

  /** A token, if the provider is not blocked and the bucket has one. */
  private take(): boolean {
    const now = Date.now();
    if (now < this.state.blockedUntil) return false;
    const rate = this.limits.requestsPerSecond;
    if (!Number.isFinite(rate)) return true;
    const state = this.state;
    state.tokens = Math.min(Math.max(1, rate), state.tokens + ((now - state.refilledAt) / 1000) * rate);
    state.refilledAt = now;
    if (state.tokens < 1) return false;
    state.tokens -= 1;
    return true;
  }

  /** One timer at a time: when the block ends or the next token is due. */
  private schedule(): void {
    if (this.releasing) return;
    this.releasing = true;
    const now = Date.now();
    const rate = this.limits.requestsPerSecond;
    const tokenIn = Number.isFinite(rate) && this.state.tokens < 1 ? ((1 - this.state.tokens) / rate) * 1000 : 0;
    this.sendAfter(Math.max(0, this.state.blockedUntil - now, Math.ceil(tokenIn)), { type: 'release' });
  }
}

/** `Retry-After` in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: unknown): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
