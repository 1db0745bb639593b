import { Module } from '@nestjs/common';
import { AgentModel } from './agent-model.provider.js';

/** Builds the agents' model once, for GenServerModule's factory to inject (see app.module.ts). */
@Module({
  providers: [{ provide: AgentModel, useFactory: () => AgentModel.create() }],
  exports: [AgentModel],
})
export class AgentModelModule {}
