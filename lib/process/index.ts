// `nestjs-genserver/process`: what the file declaring a process class needs, and nothing that loads
// Nest's core or the runtime. An isolated process's worker imports that file, so a class imported
// from here starts its worker in tens of milliseconds instead of hundreds (see README, "Isolation").
// Every name here is the same binding as in the package's main entry.
export * from '../decorators/index.js';
export * from '../errors/index.js';
export type * from '../interfaces/index.js';
export { GenServerProcess, type SendAfterOptions } from './gen-server-process.js';
export { From } from './from.js';
export { TimerRef } from './timer-ref.js';
export { MonitorRef } from './monitor-ref.js';
export { noReply, NoReply } from './no-reply.js';
export { type ExitReason, isNormalExit } from './exit-reason.js';
export type { Envelope, MessageKind } from './envelope.js';
export type { DownMessage } from '../runtime/monitor-table.js';
