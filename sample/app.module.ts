import { Module } from '@nestjs/common';
import { DynamicSupervisor, GenServerModule, Supervisor } from 'nestjs-genserver';
import { AppController } from './app.controller.js';
import { Clock } from './clock.service.js';
import { RateLimiter } from './rate-limiter.genserver.js';
import { SessionAgent } from './session-agent.genserver.js';
import { SessionsController } from './sessions.controller.js';
import { TtlCache } from './ttl-cache.genserver.js';
import { WorkerAgent } from './worker-agent.genserver.js';

/**
 * The supervision tree: the shared services first (the worker depends on both, so rest_for_one
 * restarts it whenever one of them restarts), then a dynamic supervisor for chat sessions.
 */
const supervision = Supervisor({
  name: 'root',
  strategy: 'one_for_one',
  children: [
    Supervisor({
      name: 'services',
      strategy: 'rest_for_one',
      maxRestarts: 5,
      withinMs: 10_000,
      backoff: { type: 'exponential', baseMs: 10, maxMs: 1000, jitter: 0.1 },
      children: [
        { name: 'rate_limiter', type: RateLimiter },
        { name: 'cache', type: TtlCache },
        { name: 'worker', type: WorkerAgent, handlerTimeoutMs: 1500 },
      ],
    }),
    DynamicSupervisor({ name: 'sessions', maxChildren: 1000, maxRestarts: 100, withinMs: 1000 }),
  ],
});

@Module({
  imports: [GenServerModule.forRoot({ callTimeout: 2000, supervision })],
  providers: [Clock, RateLimiter, TtlCache, WorkerAgent, SessionAgent],
  controllers: [AppController, SessionsController],
})
export class AppModule {}
