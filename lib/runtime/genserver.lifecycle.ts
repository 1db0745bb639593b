import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { GenServerExplorer } from '../discovery/genserver.explorer.js';
import { GenServerKernel } from './genserver.kernel.js';

/**
 * Starts the named `@GenServer` providers when the app boots (after every `onModuleInit`, before
 * it listens) and stops all processes, newest first, when it closes. The module is global, so its
 * `onModuleDestroy` runs after your modules' and before any `beforeApplicationShutdown` or
 * `onApplicationShutdown` hook: resources processes use in `terminate` should close in those.
 */
@Injectable()
export class GenServerLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly explorer: GenServerExplorer,
    private readonly kernel: GenServerKernel,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      for (const type of this.explorer.named) {
        await this.kernel.start(type.cls, { name: type.options.name as string });
      }
    } catch (error) {
      // A boot that fails leaves nothing running behind it.
      await this.kernel.shutdown('shutdown');
      throw error;
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.kernel.shutdown('shutdown');
    this.kernel.events.complete();
  }
}
