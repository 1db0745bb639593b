import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { GenServerMetadataAccessor } from './discovery/genserver-metadata.accessor.js';
import { GenServerExplorer } from './discovery/genserver.explorer.js';
import {
  GENSERVER_ASYNC_OPTIONS_TYPE,
  GENSERVER_MODULE_OPTIONS,
  GENSERVER_OPTIONS,
  GENSERVER_OPTIONS_TYPE,
  GenServerConfigurableModule,
} from './genserver-module.definition.js';
import { withClientProviders } from './client/client-providers.js';
import { resolveModuleOptions } from './topology/resolve-module-options.js';
import { GenServerEvents } from './runtime/genserver-events.js';
import { GenServerKernel } from './runtime/genserver.kernel.js';
import { GenServerLifecycle } from './runtime/genserver.lifecycle.js';
import { GenServerRuntime } from './runtime/genserver.runtime.js';
import { SupervisionTree } from './runtime/supervision-tree.js';
import { StateStores } from './state/state-stores.js';
import { AgentHub } from './agents/agent-hub.js';
import { ModelGatewayProcess } from './agents/model-gateway.process.js';

/**
 * The GenServer runtime as a (global) Nest module. Import it once, in the root module:
 * `GenServerModule.forRoot({ callTimeout: 5000 })`, or `forRootAsync({ imports, inject,
 * useFactory })` to take options from configuration. `GenServerRuntime` is then injectable
 * everywhere, and every `@GenServer` provider of the app is discovered at bootstrap. Each typed
 * client injected with `@InjectGenServer` is provided (and exported) by this module as well.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: GENSERVER_OPTIONS, inject: [GENSERVER_MODULE_OPTIONS], useFactory: resolveModuleOptions },
    GenServerEvents,
    GenServerKernel,
    GenServerMetadataAccessor,
    GenServerExplorer,
    GenServerLifecycle,
    GenServerRuntime,
    SupervisionTree,
    StateStores,
    AgentHub,
    ModelGatewayProcess,
  ],
  exports: [GenServerRuntime, AgentHub],
})
export class GenServerModule extends GenServerConfigurableModule {
  static override forRoot(options: typeof GENSERVER_OPTIONS_TYPE): DynamicModule {
    return withClientProviders(super.forRoot(options), GenServerRuntime);
  }

  static override forRootAsync(options: typeof GENSERVER_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withClientProviders(super.forRootAsync(options), GenServerRuntime);
  }
}
