export * from './gen-server-options.interface.js';
export * from './genserver-module-options.interface.js';
export * from './process-info.interface.js';
export * from './cluster-options.interface.js';
