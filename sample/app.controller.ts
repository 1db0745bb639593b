import { Body, Controller, Get, HttpCode, Param, Post, Put, UseFilters } from '@nestjs/common';
import { GenServerExceptionFilter, GenServerRuntime, type ProcessStatus } from 'nestjs-genserver';
import { NodeName } from './node-name.service.js';
import type { AcquireReply } from './rate-limiter.genserver.js';
import type { CacheReply } from './ttl-cache.genserver.js';
import type { WorkReply } from './worker-agent.genserver.js';

@Controller()
@UseFilters(GenServerExceptionFilter)
export class AppController {
  constructor(
    private readonly runtime: GenServerRuntime,
    private readonly node: NodeName,
  ) {}

  /** In a cluster, the reply names the node that runs the rate limiter and the one that took the request. */
  @Post('acquire')
  @HttpCode(200)
  async acquire(): Promise<AcquireReply & { httpNode?: string }> {
    const reply = await this.runtime.call<AcquireReply>('rate_limiter', { type: 'acquire' });
    return this.node.value === undefined ? reply : { ...reply, httpNode: this.node.value };
  }

  @Get('cache/:key')
  get(@Param('key') key: string): Promise<CacheReply> {
    return this.runtime.call('cache', { type: 'get', key });
  }

  @Put('cache/:key')
  put(@Param('key') key: string, @Body() body: { value: unknown; ttlMs?: number }) {
    return this.runtime.call('cache', { type: 'set', key, value: body.value, ttlMs: body.ttlMs });
  }

  @Post('work')
  @HttpCode(200)
  work(@Body() body: { text: string }): Promise<WorkReply> {
    return this.runtime.call('worker', { type: 'work', text: String(body.text ?? '') });
  }

  @Get('processes')
  processes(): ProcessStatus[] {
    return this.runtime.list().map((name) => this.runtime.status(name));
  }
}
