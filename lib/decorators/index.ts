export * from './gen-server.decorator.js';
export * from './handle-call.decorator.js';
export * from './handle-cast.decorator.js';
export * from './handle-info.decorator.js';
