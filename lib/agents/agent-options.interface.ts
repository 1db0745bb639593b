import type { Type } from '@nestjs/common';
import type { FlexibleSchema, LanguageModel } from 'ai';
import type { GenServerOptions } from '../interfaces/gen-server-options.interface.js';

/** Price of a model in USD per million tokens. */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
}

/** `GenServerModule.forRoot({ agents })`: what every agent of the app shares. */
export interface AgentModuleOptions {
  /** The AI SDK language model agents use unless `@Agent({ model })` names another. */
  model?: LanguageModel;
  /** Prices by model id, for the `cost` counter. A model without a price costs 0. */
  prices?: Readonly<Record<string, ModelPrice>>;
  /** Longest `Retry-After` a 429 is honoured for (ms); a longer one waits this long. Default 60 000. */
  maxRetryAfterMs?: number;
  /** Requests per second each provider (by `model.provider`, e.g. `'openai.chat'`) is sent at most, app- or cluster-wide. Default: no limit. */
  requestsPerSecond?: Readonly<Record<string, number>>;
}

/** An MCP server started over stdio for an agent: its tools are offered under their MCP names. */
export interface McpServerOptions {
  readonly name: string;
  readonly command: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/** What happens to a task that arrives while a turn runs. */
export type BusyPolicy = 'queue' | 'reject' | 'interrupt';

/** `@Agent({ … })`: the agent's own options, and any `@GenServer` option. */
export interface AgentOptions extends GenServerOptions {
  /** Overrides the module's `agents.model`. */
  model?: LanguageModel;
  /** The system prompt, sent before the conversation. */
  system?: string;
  /** `@Injectable()` providers whose `@Tool` methods the agent offers (Nest's instances). */
  tools?: readonly Type<object>[];
  mcp?: readonly McpServerOptions[];
  /** Default `'queue'`. */
  busy?: BusyPolicy;
  /** Record every inbound message (see `runtime.journal`, `replayAgent`). Default false. */
  journal?: boolean;
}

/**
 * An agent's options for one process (`runtime.start(Agent, { name, agent })`, a child spec's
 * `agent`, YAML `agent:`): they override the class's `@Agent` options of the same names.
 */
export interface AgentOverrides {
  system?: string;
  mcp?: readonly McpServerOptions[];
  busy?: BusyPolicy;
  journal?: boolean;
}

/** `@Tool({ … })` on a method. */
export interface ToolOptions {
  readonly description: string;
  /** The arguments' schema: a zod object schema (or any schema the AI SDK takes). */
  readonly parameters: FlexibleSchema<unknown>;
  /** The call parks the turn until an `approve` or `deny` message answers it. */
  readonly needsApproval?: boolean;
}

/** What a tool method gets besides its arguments. */
export interface ToolContext {
  /** The model's id for this call; also the key that makes the call run at most once. */
  readonly toolCallId: string;
  /** Aborted when the task is cancelled or interrupted. */
  readonly abortSignal: AbortSignal;
}

/** A task: `runtime.call(agent, { type: 'task', input })`. */
export interface AgentTask {
  readonly type: 'task';
  readonly input: string;
  /** Idempotency key; default: generated. */
  readonly id?: string;
  /** Where it waits if a turn runs: higher runs sooner, FIFO within one priority (default 0). */
  readonly priority?: number;
}

/** Tokens used. */
export interface TokenUsage {
  readonly input: number;
  readonly output: number;
}

/** One tool call of a task, as the task's reply lists it. */
export interface ToolCallRecord {
  readonly id: string;
  readonly name: string;
  readonly args: unknown;
  readonly result: unknown;
}

/** The reply to a task: its final text, usage and tool calls. */
export interface TaskReply {
  readonly id: string;
  readonly text: string;
  readonly usage: TokenUsage;
  readonly toolCalls: readonly ToolCallRecord[];
}

/** `runtime.status(name).agent`. */
export interface AgentStatus {
  /** Tasks waiting for the running one. */
  readonly queued: number;
  /** Tool calls running now. */
  readonly inFlightTools: number;
  /** Since the agent started (its state's lifetime): tokens, cost from `prices`, tool calls run, errors. */
  readonly tokens: TokenUsage;
  readonly cost: number;
  readonly toolCalls: number;
  /** Tool calls that threw, and model requests that failed for good. */
  readonly errors: number;
  /** The running task's id, if one runs. */
  readonly running: string | null;
}

interface EventBase {
  /** 1, 2, 3… per task. */
  readonly seq: number;
  readonly taskId: string;
}

/** What `runtime.stream` emits for a task; `done` or `error` is last. */
export type AgentEvent =
  | (EventBase & { readonly type: 'text-delta'; readonly text: string })
  | (EventBase & { readonly type: 'tool-call'; readonly toolCallId: string; readonly toolName: string; readonly args: unknown })
  | (EventBase & { readonly type: 'tool-result'; readonly toolCallId: string; readonly toolName: string; readonly result: unknown })
  | (EventBase & { readonly type: 'approval-request'; readonly approvalId: string; readonly toolCallId: string; readonly toolName: string; readonly args: unknown })
  | (EventBase & { readonly type: 'usage'; readonly input: number; readonly output: number })
  | (EventBase & { readonly type: 'done'; readonly text: string; readonly usage: TokenUsage })
  | (EventBase & { readonly type: 'error'; readonly error: { readonly name: string; readonly message: string } });

/** An event before the hub numbers it. */
export type AgentEventBody = AgentEvent extends infer E ? (E extends AgentEvent ? Omit<E, 'seq' | 'taskId'> : never) : never;
