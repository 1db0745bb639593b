import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { fileURLToPath } from 'node:url';
import { GenServerModule, topology, type GenServerModuleOptions } from 'nestjs-genserver';
import { GenServerDashboardModule } from 'nestjs-genserver/dashboard';
import { AgentModel } from './agent-model.provider.js';
import { AgentModelModule } from './agent-model.module.js';
import { AgentsController } from './agents.controller.js';
import { AppController } from './app.controller.js';
import { Clock } from './clock.service.js';
import { ClusterController } from './cluster.controller.js';
import { NodeName } from './node-name.service.js';
import { OpsGuard } from './ops.guard.js';
import { RateLimiter } from './rate-limiter.genserver.js';
import { SessionAgent } from './session-agent.genserver.js';
import { SessionsController } from './sessions.controller.js';
import { SupportAgent } from './support-agent.agent.js';
import { TtlCache } from './ttl-cache.genserver.js';
import { WorkerAgent } from './worker-agent.genserver.js';

const configFile = (name: string) => fileURLToPath(new URL(`./config/${name}`, import.meta.url));

/**
 * The supervision tree and limits live in config/topology.yaml (TOPOLOGY_PATH points elsewhere).
 * With NATS_URL set, the `cluster` section of config/cluster.yaml (CLUSTER_PATH) joins them: the
 * instance becomes a node of a cluster on that NATS server. Without it, nothing of NATS is loaded.
 */
function genserverConfig(): { genserver: GenServerModuleOptions } {
  const { genserver } = topology(process.env.TOPOLOGY_PATH ?? configFile('topology.yaml'))();
  if (!process.env.NATS_URL) return { genserver };
  const cluster = topology(process.env.CLUSTER_PATH ?? configFile('cluster.yaml'))().genserver;
  return { genserver: { ...genserver, ...cluster } };
}

@Module({
  imports: [
    ConfigModule.forRoot({ load: [genserverConfig] }),
    GenServerModule.forRootAsync({
      imports: [ConfigModule, AgentModelModule],
      inject: [ConfigService, AgentModel],
      // YAML cannot hold a model object: the agents' model joins the options here.
      useFactory: (config: ConfigService, agentModel: AgentModel): GenServerModuleOptions => ({
        ...config.getOrThrow<GenServerModuleOptions>('genserver'),
        agents: { model: agentModel.model },
      }),
    }),
    // The live dashboard at /genserver, open to this machine only, with its restart/stop/cancel buttons.
    GenServerDashboardModule.forRoot({ path: '/genserver', guard: OpsGuard, actions: true }),
  ],
  providers: [OpsGuard, Clock, NodeName, RateLimiter, TtlCache, WorkerAgent, SessionAgent, SupportAgent],
  controllers: [AppController, SessionsController, ClusterController, AgentsController],
})
export class AppModule {}
