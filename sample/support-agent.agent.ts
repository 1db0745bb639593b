import { Agent, AgentProcess, Tool } from 'nestjs-genserver';
import { z } from 'zod';
import type { AcquireReply } from './rate-limiter.genserver.js';
import type { CacheReply } from './ttl-cache.genserver.js';

/** Notes outlive the cache's default TTL (a minute): a user comes back for them later. */
const NOTE_TTL_MS = 60 * 60_000;

/** What `cacheNote` tells the model. */
export type NoteResult = { key: string; saved: true; value: string } | { key: string; found: true; value: unknown } | { key: string; found: false };

const SYSTEM = [
  'You are the support agent of a NestJS sample app. Answer in one or two sentences.',
  'When the user asks about their rate limit or quota, call acquireToken and tell them what it answered.',
  'When the user asks you to remember a note, call cacheNote with its key and value; to recall one, call cacheNote with its key only.',
].join(' ');

/**
 * The sample's agent: its tools are calls to the sample's own processes, so a task's answer is as
 * current as the rate limiter's count and the cache's entries. Started at boot (it has a name); the
 * model comes from the module's `agents.model` (see agent-model.provider.ts).
 */
@Agent({ name: 'support', system: SYSTEM })
export class SupportAgent extends AgentProcess {
  @Tool({ description: "Takes one token from the user's rate limiter: whether they are within their quota, and how many tokens remain", parameters: z.object({}) })
  acquireToken(): Promise<AcquireReply> {
    return this.call<AcquireReply>('rate_limiter', { type: 'acquire' });
  }

  @Tool({
    description: 'Writes a note to the shared cache when a value is given; reads it back when only the key is',
    parameters: z.object({ key: z.string().min(1), value: z.string().optional() }),
  })
  async cacheNote({ key, value }: { key: string; value?: string }): Promise<NoteResult> {
    if (value !== undefined) {
      await this.call('cache', { type: 'set', key, value, ttlMs: NOTE_TTL_MS });
      return { key, saved: true, value };
    }
    const entry = await this.call<CacheReply>('cache', { type: 'get', key });
    return entry.hit ? { key, found: true, value: entry.value } : { key, found: false };
  }
}
