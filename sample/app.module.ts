import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { fileURLToPath } from 'node:url';
import { GenServerModule, topology, type GenServerModuleOptions } from 'nestjs-genserver';
import { AppController } from './app.controller.js';
import { Clock } from './clock.service.js';
import { RateLimiter } from './rate-limiter.genserver.js';
import { SessionAgent } from './session-agent.genserver.js';
import { SessionsController } from './sessions.controller.js';
import { TtlCache } from './ttl-cache.genserver.js';
import { WorkerAgent } from './worker-agent.genserver.js';

/** The supervision tree and limits live in config/topology.yaml; TOPOLOGY_PATH points elsewhere. */
const topologyPath = process.env.TOPOLOGY_PATH ?? fileURLToPath(new URL('./config/topology.yaml', import.meta.url));

@Module({
  imports: [
    ConfigModule.forRoot({ load: [topology(topologyPath)] }),
    GenServerModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => config.getOrThrow<GenServerModuleOptions>('genserver'),
    }),
  ],
  providers: [Clock, RateLimiter, TtlCache, WorkerAgent, SessionAgent],
  controllers: [AppController, SessionsController],
})
export class AppModule {}
