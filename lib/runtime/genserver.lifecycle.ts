import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { GenServerExplorer } from '../discovery/genserver.explorer.js';
import { SupervisionTree } from './supervision-tree.js';
import { GenServerKernel } from './genserver.kernel.js';
import { checkClientBindings } from '../client/client-bindings.check.js';
import { recordedClientBindings } from '../client/client-token.js';

/**
 * Builds and starts the supervision tree when the app boots (after every `onModuleInit`, before
 * it listens) and stops it, newest first, when the app closes. The module is global, so its
 * `onModuleDestroy` runs after your modules' and before any `beforeApplicationShutdown` or
 * `onApplicationShutdown` hook: resources processes use in `terminate` should close in those.
 */
@Injectable()
export class GenServerLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly explorer: GenServerExplorer,
    private readonly tree: SupervisionTree,
    private readonly kernel: GenServerKernel,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Two classes answering to one type name fail the boot here, before anything starts.
    for (const type of this.explorer.types) this.kernel.registerType(type);
    this.kernel.startTelemetry();
    this.tree.check();
    // What types cannot see of the typed clients the app injects, before anything starts.
    checkClientBindings(recordedClientBindings(), {
      inApp: (cls) => this.explorer.appClasses.has(cls),
      declaredClass: (name) => this.tree.declaredType(name) ?? this.explorer.named.find((type) => type.options.name === name),
    });
    await this.kernel.joinCluster();
    // A boot that fails leaves nothing running behind it (the tree stops what it started).
    try {
      await this.tree.boot(this.explorer.named);
    } catch (error) {
      // Nest does not close an app whose boot failed: the cluster connection would keep it alive.
      await this.kernel.leaveCluster();
      throw error;
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.kernel.leaving = true;
    await this.tree.shutdown('shutdown');
    await this.kernel.leaveCluster();
    await this.tree.closeStores();
    this.kernel.closeCalls();
    this.kernel.events.complete();
  }
}
