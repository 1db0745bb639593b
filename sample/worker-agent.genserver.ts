import { From, GenServer, GenServerProcess, HandleCall, HandleInfo, noReply } from 'nestjs-genserver';
import type { AcquireReply } from './rate-limiter.genserver.js';
import type { CacheReply } from './ttl-cache.genserver.js';

export type WorkReply =
  | { status: 'ok'; result: string; cached: boolean; remaining: number }
  | { error: 'rate limited'; remaining: number };

/**
 * An agent in the seed's shape: it asks the rate limiter, answers from the cache when it can, and
 * otherwise starts a slow "tool" and parks the caller (`noReply`) until the tool's result arrives
 * as a message. Meanwhile it keeps serving other requests.
 */
@GenServer('worker')
export class WorkerAgent extends GenServerProcess<{ parked: Map<number, { from: From; text: string; remaining: number }>; nextJob: number }> {
  override init() {
    this.state = { parked: new Map(), nextJob: 1 };
  }

  @HandleCall('work')
  async work(msg: { type: 'work'; text: string }, from: From) {
    const limit = await this.call<AcquireReply>('rate_limiter', { type: 'acquire' }, { timeout: 1000 });
    if (!limit.ok) return { error: 'rate limited', remaining: limit.remaining } satisfies WorkReply;
    const cached = await this.call<CacheReply>('cache', { type: 'get', key: `work:${msg.text}` });
    if (cached.hit) return { status: 'ok', result: String(cached.value), cached: true, remaining: limit.remaining } satisfies WorkReply;
    const job = this.state.nextJob++;
    this.state.parked.set(job, { from, text: msg.text, remaining: limit.remaining });
    // The "tool" answers later, as a message; a real agent would cast from a worker or an API client.
    this.sendAfter(20, { type: 'tool_result', job, result: msg.text.split('').reverse().join('') });
    return noReply();
  }

  @HandleInfo('tool_result')
  async toolResult(msg: { type: 'tool_result'; job: number; result: string }) {
    const parked = this.state.parked.get(msg.job);
    if (!parked) return;
    this.state.parked.delete(msg.job);
    await this.call('cache', { type: 'set', key: `work:${parked.text}`, value: msg.result, ttlMs: 30_000 });
    this.reply(parked.from, { status: 'ok', result: msg.result, cached: false, remaining: parked.remaining } satisfies WorkReply);
  }
}
