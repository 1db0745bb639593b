import type { ModuleRef } from '@nestjs/core';
import type { GenServerOptions } from '../interfaces/gen-server-options.interface.js';
import type { GenServerProcess } from '../process/gen-server-process.js';
import type { ProcessType } from '../process/process-type.js';
import type { HandlerTable } from './handler-table.js';
import type { InstanceFactory } from './instance-factory.js';

/** A `@GenServer` class of the app, as the explorer found it. */
export interface GenServerType extends ProcessType {
  readonly cls: new (...args: never[]) => GenServerProcess;
  /** `options.type`, else the class name. */
  readonly typeName: string;
  readonly options: GenServerOptions;
  /** A `HandlerTable`, or one that journals as it finds (see `journaling`). */
  readonly handlers: Pick<HandlerTable, 'find'>;
  /** ModuleRef of the module that provides the class: each incarnation is built in its scope (none for an isolated class the app does not provide). */
  readonly moduleRef?: ModuleRef;
  /** Name of the Nest module that provides it, to tell same-named classes apart in errors. */
  readonly moduleName?: string;
  /** Builds each incarnation (see `instanceFactory`). */
  readonly create: InstanceFactory;
}
