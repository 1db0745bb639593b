import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { GenServerModuleOptions } from './interfaces/genserver-module-options.interface.js';

export const {
  ConfigurableModuleClass: GenServerConfigurableModule,
  MODULE_OPTIONS_TOKEN: GENSERVER_MODULE_OPTIONS,
  OPTIONS_TYPE: GENSERVER_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: GENSERVER_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<GenServerModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

/** The options every service reads: those given, with a `topology` read and merged in. */
export const GENSERVER_OPTIONS = Symbol('genserver:options');
