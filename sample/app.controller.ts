import { Body, Controller, Get, HttpCode, Param, Post, Put, UseFilters } from '@nestjs/common';
import { GenServerExceptionFilter, GenServerRuntime, InjectGenServer, type GenServerClient, type ProcessStatus } from 'nestjs-genserver';
import { NodeName } from './node-name.service.js';
import { RateLimiter, type AcquireReply } from './rate-limiter.genserver.js';
import { TtlCache, type CacheReply } from './ttl-cache.genserver.js';
import { WorkerAgent, type WorkReply } from './worker-agent.genserver.js';

@Controller()
@UseFilters(GenServerExceptionFilter)
export class AppController {
  constructor(
    private readonly runtime: GenServerRuntime,
    private readonly node: NodeName,
    // Typed clients: message names, payloads and replies are checked against the handlers.
    @InjectGenServer(RateLimiter) private readonly limiter: GenServerClient<RateLimiter>,
    @InjectGenServer(TtlCache) private readonly cache: GenServerClient<TtlCache>,
    @InjectGenServer(WorkerAgent) private readonly worker: GenServerClient<WorkerAgent>,
  ) {}

  /** In a cluster, the reply names the node that runs the rate limiter and the one that took the request. */
  @Post('acquire')
  @HttpCode(200)
  async acquire(): Promise<AcquireReply & { httpNode?: string }> {
    const reply = await this.limiter.call('acquire');
    return this.node.value === undefined ? reply : { ...reply, httpNode: this.node.value };
  }

  @Get('cache/:key')
  get(@Param('key') key: string): Promise<CacheReply> {
    return this.cache.call('get', { key });
  }

  @Put('cache/:key')
  put(@Param('key') key: string, @Body() body: { value: unknown; ttlMs?: number }) {
    return this.cache.call('set', { key, value: body.value, ttlMs: body.ttlMs });
  }

  @Post('work')
  @HttpCode(200)
  work(@Body() body: { text: string }): Promise<WorkReply> {
    return this.worker.call('work', { text: String(body.text ?? '') });
  }

  @Get('processes')
  processes(): ProcessStatus[] {
    return this.runtime.list().map((name) => this.runtime.status(name));
  }
}
