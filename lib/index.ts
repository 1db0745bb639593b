export { GenServerModule } from './genserver.module.js';
export { GENSERVER_MODULE_OPTIONS } from './genserver-module.definition.js';
export * from './decorators/index.js';
export * from './errors/index.js';
export * from './interfaces/index.js';
export { GenServerProcess } from './process/gen-server-process.js';
export { From } from './process/from.js';
export { TimerRef } from './process/timer-ref.js';
export { MonitorRef } from './process/monitor-ref.js';
export type { DownMessage } from './runtime/monitor-table.js';
export * from './interfaces/supervision.interface.js';
export { Supervisor, DynamicSupervisor } from './supervisor/supervision-spec.js';
export type { Clock } from './supervisor/restart-intensity.js';
export { noReply, NoReply } from './process/no-reply.js';
export { type ExitReason, isNormalExit } from './process/exit-reason.js';
export { GenServerRuntime } from './runtime/genserver.runtime.js';
export * from './client/index.js';
export * from './topology/index.js';
export * from './state/index.js';
export type { Envelope, MessageKind } from './process/envelope.js';
export { toW3C, fromW3C, type TraceCarrier } from './telemetry/index.js';
export type { Router } from './runtime/router.js';
export type {
  GenServerEvent,
  StartedEvent,
  CrashedEvent,
  RestartedEvent,
  StoppedEvent,
  DeadLetterEvent,
  EscalatedEvent,
  FatalEvent,
  StuckEvent,
  StateCorruptEvent,
  NodeEvent,
  FencedEvent,
} from './runtime/genserver-events.js';
export type { ClusterNodeInfo } from './cluster/cluster-node.js';
export { GenServerExceptionFilter, statusOf, type GenServerErrorBody } from './http/genserver-exception.filter.js';
export type { SendAfterOptions } from './process/gen-server-process.js';
export { Agent } from './agents/agent.decorator.js';
export { Tool } from './agents/tool.decorator.js';
export { AgentProcess, type AgentState, type RunningTask, type AgentJournal, type JournalEntry } from './agents/agent-process.js';
export { replayAgent } from './agents/replay-agent.js';
export { AgentHub } from './agents/agent-hub.js';
export type * from './agents/agent-options.interface.js';
