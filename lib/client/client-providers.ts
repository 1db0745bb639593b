import type { DynamicModule, InjectionToken, Provider } from '@nestjs/common';
import { processNameOf, recordedClientBindings } from './client-token.js';
import { TypedGenServerClient, type ClientTransport } from './gen-server-client.js';

/**
 * The module definition with a provider (and export) per typed client recorded by
 * `@InjectGenServer`. They are read when Nest scans the module, not when `forRoot` runs, so a
 * client first injected by a file imported after `forRoot()` was called is provided too. `runtime` is
 * the token of the `GenServerRuntime` each client sends through.
 */
export function withClientProviders(definition: DynamicModule, runtime: InjectionToken): DynamicModule {
  const providers = definition.providers ?? [];
  const exported = definition.exports ?? [];
  const clients = (): Provider[] =>
    recordedClientBindings().map((binding) => ({
      provide: binding.token,
      inject: [runtime],
      // An unnamed class is not refused here: the bootstrap check reports it with the class's name.
      useFactory: (transport: ClientTransport) => new TypedGenServerClient(binding.name ?? processNameOf(binding.cls!) ?? '', transport, binding.cls),
    }));
  const lazy = { ...definition };
  return Object.defineProperties(lazy, {
    providers: { enumerable: true, configurable: true, get: () => [...providers, ...clients()] },
    exports: { enumerable: true, configurable: true, get: () => [...exported, ...recordedClientBindings().map((b) => b.token)] },
  });
}
