import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { GenServerProcess } from '../process/gen-server-process.js';
import { GenServerMetadataAccessor } from './genserver-metadata.accessor.js';
import { journaling } from '../agents/agent-journal.js';
import type { GenServerType } from './genserver-type.js';
import { instanceFactory } from './instance-factory.js';

/**
 * Finds the `@GenServer` providers of the app at bootstrap, reads their handlers once, and
 * lists them as types, for the module to register with the runtime.
 */
@Injectable()
export class GenServerExplorer implements OnModuleInit {
  private readonly logger = new Logger('GenServer');
  /** Every `@GenServer` type found, in discovery order. */
  readonly types: GenServerType[] = [];
  /** Types with a process name, in discovery order: the processes started at boot. */
  readonly named: GenServerType[] = [];
  /** Every provider and controller class of the app: typed clients are checked for these only. */
  readonly appClasses = new Set<Function>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly accessor: GenServerMetadataAccessor,
    private readonly ownModuleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const cls = this.classOf(wrapper);
      if (cls) this.appClasses.add(cls);
    }
    const seen = new Set<Function>();
    for (const wrapper of this.discovery.getProviders()) {
      const cls = this.classOf(wrapper);
      if (!cls || seen.has(cls)) continue;
      const options = this.accessor.getOptions(cls);
      if (!options) continue;
      seen.add(cls);
      if (!wrapper.isDependencyTreeStatic()) {
        this.logger.warn(`${cls.name} is request-scoped; a GenServer must be a singleton provider, so it is skipped`);
        continue;
      }
      const moduleRef = this.moduleRefOf(wrapper);
      const type: GenServerType = {
        cls: cls as GenServerType['cls'],
        typeName: options.type ?? cls.name,
        options,
        handlers: journaling(cls, this.accessor.getHandlers(cls)),
        moduleRef,
        moduleName: wrapper.host?.name,
        create: instanceFactory(wrapper, cls as GenServerType['cls'], moduleRef),
      };
      this.types.push(type);
      if (options.name !== undefined) this.named.push(type);
    }
  }

  /** The class behind a provider, also when it was registered with `useFactory` or `useValue`. */
  private classOf(wrapper: InstanceWrapper): Function | undefined {
    const instance = wrapper.instance as GenServerProcess | undefined;
    if (wrapper.metatype && !wrapper.inject && typeof wrapper.metatype === 'function') return wrapper.metatype;
    const ctor = instance && Object.getPrototypeOf(instance)?.constructor;
    return typeof ctor === 'function' ? ctor : undefined;
  }

  private moduleRefOf(wrapper: InstanceWrapper): ModuleRef {
    const host = wrapper.host?.getProviderByKey(ModuleRef)?.instance as ModuleRef | undefined;
    return host ?? this.ownModuleRef;
  }
}
