import { Module } from '@nestjs/common';
import { GenServerModule } from 'nestjs-genserver';
import { AppController } from './app.controller.js';
import { Clock } from './clock.service.js';
import { RateLimiter } from './rate-limiter.genserver.js';
import { TtlCache } from './ttl-cache.genserver.js';
import { WorkerAgent } from './worker-agent.genserver.js';

@Module({
  imports: [GenServerModule.forRoot({ callTimeout: 2000 })],
  providers: [Clock, RateLimiter, TtlCache, WorkerAgent],
  controllers: [AppController],
})
export class AppModule {}
