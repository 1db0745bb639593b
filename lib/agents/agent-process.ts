import { Inject, Optional } from '@nestjs/common';
import type { LanguageModel, ModelMessage } from 'ai';
import { AGENT_METADATA } from '../genserver.constants.js';
import { HandleCall } from '../decorators/handle-call.decorator.js';
import { HandleInfo } from '../decorators/handle-info.decorator.js';
import { AgentBusyError } from '../errors/agent-busy.error.js';
import { describeCause } from '../errors/describe-value.js';
import { describeNonPlainDataDeep } from '../runtime/plain-data.js';
import { GenServerError } from '../errors/genserver.error.js';
import { InvalidPayloadError } from '../errors/invalid-payload.error.js';
import { TaskCancelledError } from '../errors/task-cancelled.error.js';
import type { From } from '../process/from.js';
import { GenServerProcess, STATUS_DETAILS } from '../process/gen-server-process.js';
import { noReply, type NoReply } from '../process/no-reply.js';
import { AgentHub } from './agent-hub.js';
import type { AgentMetadata } from './agent.decorator.js';
import type { AgentEventBody, AgentOverrides, AgentStatus, AgentTask, TaskReply, TokenUsage, ToolCallRecord } from './agent-options.interface.js';
import { toolTable, type AgentTool } from './agent-tools.js';
import { runModelStep, type LiveUsage, type StepOutcome } from './model-step.js';
import { connectMcp, type McpConnection } from './mcp-tools.js';
import { AGENT_OVERRIDES } from './agent-overrides.js';
import { agentTelemetry } from './agent-telemetry.js';
import type { Span } from '@opentelemetry/api';

/** Finished tasks whose replies are kept, for a task sent again with the same id. */
const KEPT_REPLIES = 100;

/** The task being worked on: JSON, checkpointed with the rest of the state. */
export interface RunningTask {
  readonly id: string;
  readonly input: string;
  /** The model step in progress (0 for the first). */
  step: number;
  usage: TokenUsage;
  text: string;
  toolCalls: ToolCallRecord[];
  /** Tool calls asked for by the last step and not answered yet, by id. */
  pending: Record<string, { readonly name: string; readonly args: unknown }>;
  /** Tool calls parked until an `approve` or `deny`, by approval id. */
  approvals: Record<string, { readonly toolCallId: string; readonly name: string; readonly args: unknown }>;
  /** `context` that arrived while tool calls were open: it joins the conversation after their results. */
  context?: string[];
}

/** An agent's state: JSON data, checkpointed like any process's. */
export interface AgentState {
  /** Every task's user message, model step and tool result, in order: what the model is sent. */
  conversation: ModelMessage[];
  /** Waiting tasks, highest `priority` first, FIFO within one priority. */
  queue: { readonly id: string; readonly input: string; priority: number }[];
  running: RunningTask | null;
  /** The last finished tasks' replies, oldest first. */
  finished: TaskReply[];
  counters: { tokens: TokenUsage; cost: number; toolCalls: number; errors: number };
  /** Numbers the tasks sent without an id (`task-1`, `task-2`…): ids follow from the messages alone, so a replay finds the same. */
  nextTask: number;
}

/** A model step's outcome as the agent receives it: an info message to itself. */
interface StepMessage {
  readonly type: 'model_step';
  readonly taskId: string;
  readonly step: number;
  /** Its cost, from the module's prices when it came back (so a replay needs no prices). */
  readonly outcome?: StepOutcome & { readonly cost: number };
  readonly error?: { readonly name: string; readonly message: string };
  /** The step was aborted (its task cancelled or interrupted): the usage it had reached, to count. */
  readonly aborted?: { readonly usage: TokenUsage; readonly cost: number };
}

/** A tool call's outcome, keyed by the tool call's id. */
interface ToolResultMessage {
  readonly type: 'tool_result';
  readonly taskId: string;
  readonly toolCallId: string;
  readonly result?: unknown;
  readonly error?: string;
  /** Denied by a `deny` message: not run, not counted. */
  readonly denied?: true;
}

/** What one incarnation holds for the running task beyond the state: its abort controller and live usage. */
interface Turn {
  readonly taskId: string;
  readonly controller: AbortController;
  live: LiveUsage;
  tools: number;
  /** The task's `invoke_agent` span: its model steps and tool calls are its children. */
  readonly span: Span;
}

/** @internal The key of the agent's `AgentHub` (a symbol: no name of a subclass's can collide with it). */
export const AGENT_HUB: unique symbol = Symbol('genserver:agent-hub');
/** @internal Set on an instance that `replayAgent` drives: nothing leaves it, no step or tool runs. */
export const REPLAYING = Symbol('genserver:agent-replaying');
/** @internal The journal so far (see `runtime.journal`). */
export const JOURNAL = Symbol('genserver:agent-journal');
/** @internal Records an inbound message in the journal (see `journaling`). */
export const RECORD = Symbol('genserver:agent-record');

/** One recorded inbound message, or the state an incarnation started from. */
export type JournalEntry =
  | { readonly kind: 'init'; readonly state: unknown }
  | { readonly kind: 'call' | 'cast' | 'info'; readonly payload: unknown };

/** `runtime.journal(name)`: what `replayAgent` rebuilds the state from. */
export interface AgentJournal {
  readonly agent: string;
  readonly entries: readonly JournalEntry[];
}

/**
 * Base class of an agent (`@Agent`): a GenServer that keeps one conversation and runs tasks with a
 * language model and tools. A task is a call whose reply is the turn's final answer. A turn never
 * holds the mailbox: each model step and each tool call runs as a task of the process whose result
 * comes back as a message (`model_step`, `tool_result`), so meanwhile the agent answers `status`,
 * handles `cancel`, `approve`/`deny` and its own handlers, and queues or refuses new tasks by its
 * `busy` policy. Subclasses need no `init`; they may add handlers and tools. Its own members are
 * private (`#`) or keyed by symbols, but for its handlers, named `agent…`: any other name is free
 * for a subclass's tools and methods.
 */
export abstract class AgentProcess<S extends object = Record<never, never>> extends GenServerProcess<AgentState & S> {
  /** Set by Nest: absent only when replaying a journal, where nothing leaves the process. */
  @Optional() @Inject(AgentHub) readonly [AGENT_HUB]?: AgentHub;
  #turn: Turn | null = null;
  /** Callers waiting for each task, by task id (calls cannot be state: they end with the incarnation). */
  readonly #waiters = new Map<string, From[]>();
  #toolCache: Map<string, AgentTool> | null = null;
  #journalEntries: JournalEntry[] | null = null;
  /** The MCP servers this incarnation started (`@Agent({ mcp })`). */
  #mcp: McpConnection | null = null;
  /** @internal */
  [REPLAYING] = false;

  override init(_args?: unknown, restored?: AgentState & S): void | Promise<void> {
    this.state = (restored ?? this.state ?? freshState()) as AgentState & S;
    if (!isAgentState(this.state)) this.state = { ...(this.state as object), ...freshState() } as AgentState & S;
    this.state.nextTask ??= 0;
    if (this.#metadata().journal === true) this.#journalEntries = [{ kind: 'init', state: restored === undefined ? null : jsonCopy(restored) }];
    const servers = this.#metadata().mcp ?? [];
    if (servers.length === 0 || this[REPLAYING]) return this.#resumeRunning();
    return connectMcp(this.name, servers).then((connection) => {
      this.#mcp = connection;
      this.#toolCache = null;
      this.#resumeRunning();
    });
  }

  /** A turn cut short by a crash or a restart goes on from what the state recorded. */
  #resumeRunning(): void {
    if (this.state.running !== null) this.#resume(this.state.running);
  }

  /** A task: replies with the turn's final answer (see `TaskReply`). */
  @HandleCall('task')
  agentTask(message: AgentTask, from: From): TaskReply | NoReply {
    const read = readFields(message, ['input', 'id', 'priority']);
    const refused = typeof read === 'string' ? read
      : typeof read.input !== 'string' ? "a task without a string input (send { type: 'task', input: string, id?: string })"
      : read.id !== undefined && (typeof read.id !== 'string' || read.id === '') ? 'a task id that is not a non-empty string'
      : read.priority !== undefined && !isPriority(read.priority) ? 'a task priority that is not a finite number'
      : undefined;
    if (refused !== undefined) {
      return this.#refuse(from, 'task', refused);
    }
    const { input, priority } = read as { input: string; id?: string; priority?: number };
    const id = (read as { id?: string }).id ?? `task-${++this.state.nextTask}`;
    const done = this.state.finished.find((reply) => reply.id === id);
    // Callers get copies: a reply is passed by reference in process, and this one is state.
    if (done !== undefined) return jsonCopy(done);
    const running = this.state.running;
    if (running?.id === id || this.state.queue.some((task) => task.id === id)) return this.#wait(id, from);
    if (running !== null) {
      const busy = this.#metadata().busy ?? 'queue';
      if (busy === 'reject') {
        this.replyError(from, new AgentBusyError(this.name, id, running.id));
        return noReply();
      }
      if (busy === 'interrupt') this.#endRunning(new TaskCancelledError(this.name, running.id, `interrupted by task ${id}`));
      else {
        this.#enqueue({ id, input, priority: priority ?? 0 });
        return this.#wait(id, from);
      }
    }
    this.#start({ id, input });
    return this.#wait(id, from);
  }

  /** `{ type: 'status' }`: the agent's counters (as `runtime.status(name).agent`). */
  @HandleCall('status')
  agentStatus(): AgentStatus {
    const { counters, queue, running } = this.state;
    return { queued: queue.length, inFlightTools: this.#turn?.tools ?? 0, tokens: { ...counters.tokens }, cost: counters.cost, toolCalls: counters.toolCalls, errors: counters.errors, running: running?.id ?? null };
  }

  /**
   * `{ type: 'cancel', taskId? }`: cancels that task (queued or running), or without `taskId` the
   * running one; true if it did. A `taskId` that is not a string names no task: nothing is cancelled.
   */
  @HandleCall('cancel')
  agentCancel(message: { type: 'cancel'; taskId?: string }, from: From): boolean | NoReply {
    const read = readFields(message, ['taskId']);
    if (typeof read === 'string') {
      return this.#refuse(from, 'cancel', read);
    }
    if (read.taskId !== undefined && typeof read.taskId !== 'string') return false;
    const taskId = (read.taskId as string | undefined) ?? this.state.running?.id;
    if (taskId === undefined) return false;
    const error = new TaskCancelledError(this.name, taskId);
    if (this.state.running?.id === taskId) {
      this.#endRunning(error);
      this.#next();
      return true;
    }
    const at = this.state.queue.findIndex((task) => task.id === taskId);
    if (at < 0) return false;
    this.state.queue.splice(at, 1);
    this.#failWaiters(taskId, error);
    return true;
  }

  /**
   * `{ type: 'priority', taskId, priority }`: moves a queued task by its priority (higher runs
   * sooner; FIFO within one priority); `{ ok: false }` if the task is not queued.
   */
  @HandleCall('priority')
  agentPriority(message: { type: 'priority'; taskId: string; priority: number }, from: From): { ok: boolean } | NoReply {
    const read = readFields(message, ['taskId', 'priority']);
    if (typeof read === 'string' || !isPriority(read.priority)) {
      return this.#refuse(from, 'priority', typeof read === 'string' ? read : 'a priority that is not a finite number');
    }
    const at = this.state.queue.findIndex((task) => task.id === read.taskId);
    if (at < 0) return { ok: false };
    const [task] = this.state.queue.splice(at, 1);
    this.#enqueue({ ...task, priority: read.priority });
    return { ok: true };
  }

  /**
   * `{ type: 'context', text }`: adds to the agent's working context: a system message in the
   * conversation, which every later model step (of the running task too) is sent.
   */
  @HandleCall('context')
  agentContext(message: { type: 'context'; text: string }, from: From): { ok: true } | NoReply {
    const read = readFields(message, ['text']);
    if (typeof read === 'string' || typeof read.text !== 'string' || read.text === '') {
      return this.#refuse(from, 'context', typeof read === 'string' ? read : 'a context without a non-empty text');
    }
    // Between a step's tool calls and their results nothing may stand: it waits for the results.
    const running = this.state.running;
    if (running !== null && Object.keys(running.pending).length > 0) (running.context ??= []).push(read.text);
    else this.state.conversation.push({ role: 'system', content: read.text });
    return { ok: true };
  }

  /** `{ type: 'approve', approvalId }`: runs the parked tool call; `{ ok: false }` if it was answered already (or never asked). */
  @HandleCall('approve')
  agentApprove(message: { type: 'approve'; approvalId: string }, from: From): { ok: boolean } | NoReply {
    const parked = this.#takeApproval(message, from);
    if (parked === null) return noReply();
    if (parked === undefined) return { ok: false };
    this.#dispatch(parked.taskId, parked.call.toolCallId, parked.call.name, parked.call.args);
    return { ok: true };
  }

  /** `{ type: 'deny', approvalId }`: the parked tool call does not run; the model is sent `{ denied: true }`. */
  @HandleCall('deny')
  agentDeny(message: { type: 'deny'; approvalId: string }, from: From): { ok: boolean } | NoReply {
    const parked = this.#takeApproval(message, from);
    if (parked === null) return noReply();
    if (parked === undefined) return { ok: false };
    this.agentToolResult({ type: 'tool_result', taskId: parked.taskId, toolCallId: parked.call.toolCallId, result: { denied: true }, denied: true });
    return { ok: true };
  }

  @HandleInfo('model_step')
  agentModelStep(message: StepMessage): void {
    // The usage of a step cut short counts, whatever runs now.
    if (message.aborted !== undefined) return this.#count(message.aborted.usage, message.aborted.cost);
    const running = this.state.running;
    // A step of a task that was cancelled, or of an earlier attempt: its outcome is moot.
    if (running === null || running.id !== message.taskId || running.step !== message.step) return;
    if (message.outcome === undefined) {
      this.state.counters.errors++;
      this.#endRunning(new GenServerError(`agent "${this.name}": the model request of task "${running.id}" failed: ${message.error?.message ?? 'unknown error'}`), message.error);
      this.#next();
      return;
    }
    const { text, toolCalls, usage, cost } = message.outcome;
    this.#count(usage, cost);
    running.usage = { input: running.usage.input + usage.input, output: running.usage.output + usage.output };
    running.text = text;
    this.#emit(running.id, { type: 'usage', input: usage.input, output: usage.output });
    const content: ({ type: 'text'; text: string } | { type: 'tool-call'; toolCallId: string; toolName: string; input: unknown })[] = [];
    if (text !== '') content.push({ type: 'text', text });
    for (const call of toolCalls) content.push({ type: 'tool-call', toolCallId: call.toolCallId, toolName: call.toolName, input: call.input ?? {} });
    this.state.conversation.push({ role: 'assistant', content } as ModelMessage);
    if (toolCalls.length === 0) return this.#finish(running);
    for (const call of toolCalls) {
      this.#emit(running.id, { type: 'tool-call', toolCallId: call.toolCallId, toolName: call.toolName, args: call.input });
      // Copies: the state holds no object twice (status shows shared ones as references).
      running.pending[call.toolCallId] = { name: call.toolName, args: jsonCopy(call.input) };
      const tool = this.#tools().get(call.toolName);
      if (call.invalid !== undefined || tool === undefined) {
        this.#deliver({ type: 'tool_result', taskId: running.id, toolCallId: call.toolCallId, error: call.invalid ?? `no tool named "${call.toolName}"` });
      } else if (tool.options.needsApproval === true) {
        const approvalId = `approval-${call.toolCallId}`;
        running.approvals[approvalId] = { toolCallId: call.toolCallId, name: call.toolName, args: jsonCopy(call.input) };
        this.#emit(running.id, { type: 'approval-request', approvalId, toolCallId: call.toolCallId, toolName: call.toolName, args: call.input });
      } else this.#runTool(running.id, call.toolCallId, tool, call.input);
    }
  }

  @HandleInfo('tool_result')
  agentToolResult(message: ToolResultMessage): void {
    const running = this.state.running;
    const pending = running?.id === message.taskId ? running.pending[message.toolCallId] : undefined;
    // Already recorded (a result delivered twice), or of a task no longer running.
    if (running == null || pending === undefined) return;
    delete running.pending[message.toolCallId];
    const counters = this.state.counters;
    if (message.denied !== true) counters.toolCalls++;
    if (message.error !== undefined) counters.errors++;
    const result = jsonCopy(message.error !== undefined ? { error: message.error } : (message.result ?? null));
    running.toolCalls.push({ id: message.toolCallId, name: pending.name, args: pending.args, result: jsonCopy(result) });
    this.state.conversation.push({
      role: 'tool',
      content: [{ type: 'tool-result', toolCallId: message.toolCallId, toolName: pending.name, output: typeof result === 'string' ? { type: 'text', value: result } : { type: 'json', value: result as never } }],
    } as ModelMessage);
    this.#emit(running.id, { type: 'tool-result', toolCallId: message.toolCallId, toolName: pending.name, result });
    if (Object.keys(running.pending).length === 0) {
      this.#flushContext(running);
      running.step++;
      this.#step(running);
    }
  }

  /** @internal What `runtime.status(name)` and `runtime.tree()` add for an agent. */
  [STATUS_DETAILS](): { agent: AgentStatus } | undefined {
    return isAgentState(this.state) ? { agent: this.agentStatus() } : undefined;
  }

  override terminate(): void | Promise<void> {
    // Whatever still streams or runs for this incarnation stops: its results would be stale.
    const turn = this.#turn;
    if (turn !== null) {
      const stopped = new GenServerError(`agent "${this.name}" stopped`);
      turn.controller.abort(stopped);
      agentTelemetry.taskEnded(turn.span, this.state.running?.usage ?? { input: 0, output: 0 }, stopped);
    }
    this.#turn = null;
    const mcp = this.#mcp;
    this.#mcp = null;
    return mcp?.close();
  }

  // ---- turns ----

  #start(task: { id: string; input: string }): void {
    this.state.conversation.push({ role: 'user', content: task.input });
    const running: RunningTask = { id: task.id, input: task.input, step: 0, usage: { input: 0, output: 0 }, text: '', toolCalls: [], pending: {}, approvals: {} };
    this.state.running = running;
    this.#step(running);
  }

  /** The `context` that waited for the step's tool results joins the conversation. */
  #flushContext(running: RunningTask): void {
    for (const text of running.context ?? []) this.state.conversation.push({ role: 'system', content: text });
    delete running.context;
  }

  /** Into the queue behind every task of the same or a higher priority. */
  #enqueue(task: { id: string; input: string; priority: number }): void {
    const queue = this.state.queue;
    let at = queue.length;
    while (at > 0 && (queue[at - 1].priority ?? 0) < task.priority) at--;
    queue.splice(at, 0, task);
  }

  /** The next queued task, if any, starts. */
  #next(): void {
    const task = this.state.queue.shift();
    if (task !== undefined) this.#start(task);
  }

  /** After a restart: re-runs what had not come back (a tool without a recorded result, or the model step). */
  #resume(running: RunningTask): void {
    const calls = Object.entries(running.pending);
    if (calls.length === 0 && Object.keys(running.approvals).length === 0) return this.#step(running);
    for (const [toolCallId, call] of calls) {
      const parked = Object.values(running.approvals).some((approval) => approval.toolCallId === toolCallId);
      if (!parked) this.#dispatch(running.id, toolCallId, call.name, call.args);
    }
  }

  /** Runs the model step `running.step` as a task of this process; its outcome comes back as `model_step`. */
  #step(running: RunningTask): void {
    if (this[REPLAYING]) return; // its outcome is the journal's next model_step
    const turn = this.#turnOf(running.id);
    const live: LiveUsage = { input: 0, output: 0, reported: false };
    turn.live = live;
    const model = this.#model();
    const hub = this.#hub();
    const tools = Object.fromEntries([...this.#tools()].map(([name, tool]) => [name, { description: tool.options.description, parameters: tool.options.parameters }]));
    const { id: taskId, step } = running;
    const span = agentTelemetry.chat(turn.span, model);
    const startedAt = performance.now();
    runModelStep({
      model,
      system: this.#metadata().system,
      messages: this.state.conversation,
      tools,
      signal: turn.controller.signal,
      gateway: hub.gateway(model),
      live,
      onText: (text) => this.#emit(taskId, { type: 'text-delta', text }),
    }).then(
      (outcome) => {
        const cost = this.#costOf(outcome.usage);
        agentTelemetry.stepEnded(span, model, outcome.usage, cost, startedAt);
        this.#deliver({ type: 'model_step', taskId, step, outcome: { ...outcome, cost } });
      },
      (error: unknown) => {
        const usage = { input: live.input, output: live.output };
        const cost = this.#costOf(usage);
        agentTelemetry.stepEnded(span, model, usage, cost, startedAt, turn.controller.signal.aborted ? turn.controller.signal.reason : error);
        if (!turn.controller.signal.aborted) return this.#deliver({ type: 'model_step', taskId, step, error: errorBody(error) });
        if (usage.input > 0 || usage.output > 0) this.#deliver({ type: 'model_step', taskId, step, aborted: { usage, cost } });
      },
    );
  }

  /** Runs a tool call by its tool's name; a name the agent has no tool for is answered with an error. */
  #dispatch(taskId: string, toolCallId: string, name: string, args: unknown): void {
    const tool = this.#tools().get(name);
    if (tool === undefined) this.#deliver({ type: 'tool_result', taskId, toolCallId, error: `no tool named "${name}"` });
    else this.#runTool(taskId, toolCallId, tool, args);
  }

  /** Runs one tool call as a task of this process; its result comes back as `tool_result`. */
  #runTool(taskId: string, toolCallId: string, tool: AgentTool, args: unknown): void {
    if (this[REPLAYING]) return; // its result is the journal's next tool_result
    const turn = this.#turnOf(taskId);
    turn.tools++;
    const context = { toolCallId, abortSignal: turn.controller.signal };
    const span = agentTelemetry.tool(turn.span, tool.name, toolCallId);
    new Promise<unknown>((resolve) => resolve(tool.method.call(tool.owner, args, context))).then(
      (result) => {
        turn.tools--;
        agentTelemetry.toolEnded(span, tool.name);
        if (turn.controller.signal.aborted) return;
        // The model and the state get JSON: a class instance or a Date as its JSON form; what JSON
        // cannot carry (a function, a cycle, a BigInt) is the tool's error.
        const json = toolJson(tool.name, result);
        this.#deliver(typeof json === 'string' ? { type: 'tool_result', taskId, toolCallId, error: json } : { type: 'tool_result', taskId, toolCallId, result: json.value });
      },
      (error: unknown) => {
        turn.tools--;
        agentTelemetry.toolEnded(span, tool.name, error);
        if (!turn.controller.signal.aborted) this.#deliver({ type: 'tool_result', taskId, toolCallId, error: describeCause(error) });
      },
    );
  }

  #finish(running: RunningTask): void {
    const reply: TaskReply = { id: running.id, text: running.text, usage: running.usage, toolCalls: running.toolCalls };
    this.state.finished.push(reply);
    if (this.state.finished.length > KEPT_REPLIES) this.state.finished.shift();
    this.state.running = null;
    if (this.#turn !== null) agentTelemetry.taskEnded(this.#turn.span, reply.usage);
    this.#turn = null;
    const waiting = this.#waiters.get(running.id) ?? [];
    this.#waiters.delete(running.id);
    for (const from of waiting) this.reply(from, jsonCopy(reply));
    this.#emit(running.id, { type: 'done', text: reply.text, usage: reply.usage });
    this.#next();
  }

  /**
   * Ends the running task with `error`: its stream and tools are aborted, the usage so far is
   * counted, and the conversation is left well formed (an answer for every tool call it holds).
   */
  #endRunning(error: Error, body?: { name: string; message: string }): void {
    const running = this.state.running;
    if (running === null) return;
    const turn = this.#turn;
    // Its step, aborted, reports the usage it had reached as a message of its own (see `step`).
    if (turn !== null && turn.taskId === running.id) {
      turn.controller.abort(error);
      agentTelemetry.taskEnded(turn.span, running.usage, error);
    }
    for (const [toolCallId, call] of Object.entries(running.pending)) {
      this.state.conversation.push({ role: 'tool', content: [{ type: 'tool-result', toolCallId, toolName: call.name, output: { type: 'json', value: { cancelled: true } } }] } as ModelMessage);
    }
    this.#flushContext(running);
    this.state.running = null;
    this.#turn = null;
    this.#failWaiters(running.id, error, body);
  }

  #failWaiters(taskId: string, error: Error, body?: { name: string; message: string }): void {
    const waiting = this.#waiters.get(taskId) ?? [];
    this.#waiters.delete(taskId);
    for (const from of waiting) this.replyError(from, error);
    this.#emit(taskId, { type: 'error', error: body ?? { name: error.name, message: error.message } });
  }

  // ---- helpers ----

  /** Answers a call whose message is not one the agent can take with `InvalidPayloadError` saying why. */
  #refuse(from: From, messageType: string, why: string): NoReply {
    this.replyError(from, new InvalidPayloadError(this.name, 'payload', messageType, why));
    return noReply();
  }

  /** The parked call an approval answers, taken out so that a second answer finds nothing. */
  #takeApproval(message: { approvalId?: unknown }, from: From): { taskId: string; call: RunningTask['approvals'][string] } | undefined | null {
    const read = readFields(message, ['approvalId']);
    if (typeof read === 'string') {
      this.#refuse(from, 'approval', read);
      return null;
    }
    const running = this.state.running;
    const approvalId = read.approvalId;
    if (running === null || typeof approvalId !== 'string') return undefined;
    const call = running.approvals[approvalId];
    if (call === undefined) return undefined;
    delete running.approvals[approvalId];
    return { taskId: running.id, call };
  }

  #wait(id: string, from: From): NoReply {
    const waiting = this.#waiters.get(id);
    if (waiting === undefined) this.#waiters.set(id, [from]);
    else waiting.push(from);
    return noReply();
  }

  #turnOf(taskId: string): Turn {
    if (this.#turn === null || this.#turn.taskId !== taskId) {
      this.#turn = { taskId, controller: new AbortController(), live: { input: 0, output: 0, reported: false }, tools: 0, span: agentTelemetry.invoke(this.name, taskId, this.#model()) };
    }
    return this.#turn;
  }

  /** A result of a task of this process comes back as a message to this incarnation. */
  #deliver(message: StepMessage | ToolResultMessage): void {
    if (!this[REPLAYING]) this.sendAfter(0, message);
  }

  #emit(taskId: string, body: AgentEventBody): void {
    if (!this[REPLAYING]) this[AGENT_HUB]?.emit(this.name, taskId, body);
  }

  #count(usage: TokenUsage, cost: number): void {
    const counters = this.state.counters;
    counters.tokens = { input: counters.tokens.input + usage.input, output: counters.tokens.output + usage.output };
    counters.cost += cost;
  }

  /** What `usage` of this agent's model costs, by the module's `prices` (0 without a price). */
  #costOf(usage: TokenUsage): number {
    const model = this.#model();
    const price = this.#hub().options.prices?.[typeof model === 'string' ? model : model.modelId];
    return price === undefined ? 0 : (usage.input * price.input + usage.output * price.output) / 1_000_000;
  }

  /** @internal The journal so far (`runtime.journal`); `undefined` without `journal: true`. */
  [JOURNAL](): AgentJournal | undefined {
    return this.#journalEntries === null ? undefined : { agent: this.name, entries: jsonCopy(this.#journalEntries) };
  }

  /** @internal An inbound message, recorded before its handler runs. */
  [RECORD](kind: 'call' | 'cast' | 'info', payload: unknown): void {
    this.#journalEntries?.push({ kind, payload: journalCopy(payload) });
  }

  /** The class's `@Agent` options, with this process's own (`agent` start option or child spec) over them. */
  #metadata(): AgentMetadata {
    const declared = (Reflect.getMetadata(AGENT_METADATA, this.constructor) as AgentMetadata | undefined) ?? {};
    const own = (this as unknown as { [AGENT_OVERRIDES]?: AgentOverrides })[AGENT_OVERRIDES];
    return own === undefined ? declared : { ...declared, ...own };
  }

  #hub(): AgentHub {
    if (this[AGENT_HUB] === undefined) throw new GenServerError(`agent "${this.name}" was not built by Nest (list its class in a module's providers)`);
    return this[AGENT_HUB];
  }

  #model(): LanguageModel {
    const model = this.#metadata().model ?? this.#hub().options.model;
    if (model === undefined) throw new GenServerError(`agent "${this.name}" has no model: set GenServerModule.forRoot({ agents: { model } }) or @Agent({ model })`);
    return model;
  }

  #tools(): Map<string, AgentTool> {
    if (this.#toolCache === null) {
      // A replay runs no tool: the providers' classes tell which tools there are and which need approval.
      const providers = (this.#metadata().tools ?? []).map((cls) => (this[REPLAYING] ? (Object.create(cls.prototype) as object) : this.#hub().provider(cls)));
      this.#toolCache = toolTable(this.name, [this, ...providers], this.#mcp?.tools ?? []);
    }
    return this.#toolCache;
  }
}

function freshState(): AgentState {
  return { conversation: [], queue: [], running: null, finished: [], counters: { tokens: { input: 0, output: 0 }, cost: 0, toolCalls: 0, errors: 0 }, nextTask: 0 };
}

function isPriority(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * The fields of a message, each read once; a message that is not an object, or a field whose read
 * throws (a getter, a Proxy trap), gives why as a string instead.
 */
function readFields(message: unknown, keys: readonly string[]): Record<string, unknown> | string {
  if (message === null || typeof message !== 'object') return `a message that is not an object (${describeCause(message)})`;
  const read: Record<string, unknown> = {};
  for (const key of keys) {
    try {
      read[key] = (message as Record<string, unknown>)[key];
    } catch (error) {
      return `a value that cannot be read at ${key} (${describeCause(error)})`;
    }
  }
  return read;
}

/**
 * A tool's result as JSON data, or why it has none: JSON's own rules (`toJSON`, a class instance's
 * fields, a Date's ISO text), but a function, a symbol, a BigInt or a cycle is refused.
 */
function toolJson(tool: string, result: unknown): { value: unknown } | string {
  if (result === undefined) return { value: null };
  let text: string | undefined;
  try {
    text = JSON.stringify(result, (_key, value: unknown) => {
      if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') throw new TypeError(`a ${typeof value}`);
      return value;
    });
  } catch (error) {
    return `tool "${tool}" returned a value that is not JSON data (${describeNonPlainDataDeep(result) ?? describeCause(error)})`;
  }
  return { value: text === undefined ? null : JSON.parse(text) };
}

/**
 * What the journal keeps of a message: its JSON copy; a cycle or a BigInt (which the handler may
 * not even read) is written as a marker, a value that cannot be read as its description. Never throws.
 */
function journalCopy(payload: unknown): unknown {
  try {
    return jsonCopy(payload);
  } catch {
    const seen = new WeakSet<object>();
    try {
      const text = JSON.stringify(payload, (_key, value: unknown) => {
        if (typeof value === 'bigint') return `${value}n`;
        if (value !== null && typeof value === 'object') {
          if (seen.has(value)) return '[cycle]';
          seen.add(value);
        }
        return value;
      });
      return text === undefined ? null : JSON.parse(text);
    } catch (error) {
      return { unreadable: describeCause(error) };
    }
  }
}

/** A deep copy through JSON: what a journal holds is JSON data, whatever the message held. */
export function jsonCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function isAgentState(state: unknown): state is AgentState {
  return state !== null && typeof state === 'object' && Array.isArray((state as AgentState).conversation) && Array.isArray((state as AgentState).queue) && typeof (state as AgentState).counters === 'object';
}

function errorBody(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: describeCause(error) };
}
