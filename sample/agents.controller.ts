import { BadRequestException, Body, Controller, Get, Headers, HttpCode, MisdirectedException, NotFoundException, Param, Post, Query, Sse, UseFilters, type MessageEvent } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { GenServerExceptionFilter, GenServerRuntime, NoSuchProcessError, type AgentStatus, type TaskReply } from 'nestjs-genserver';

/** A task may take a model several steps and tools; the app's default call timeout (2 s) is for quick calls. */
const TASK_TIMEOUT_MS = 120_000;

/**
 * The sample's agents over HTTP (`:id` is the agent's name, e.g. `support`). A task's id makes it
 * idempotent: sending it again, by POST or by the event stream, waits for or returns the same task.
 */
@Controller('agents/:id')
@UseFilters(GenServerExceptionFilter)
export class AgentsController {
  constructor(private readonly runtime: GenServerRuntime) {}

  /** Its counters: tokens, tool calls, errors, the running task and the queue. */
  @Get()
  status(@Param('id') id: string): AgentStatus {
    this.checkAgent(id, true);
    return this.runtime.status(id).agent!;
  }

  /** Runs a task and answers with its reply, once the turn has finished. */
  @Post('tasks')
  @HttpCode(200)
  task(@Param('id') id: string, @Body() body: { input?: unknown; id?: unknown }): Promise<TaskReply> {
    this.checkAgent(id, false);
    // Passed on as given: the agent refuses a task that is not one with InvalidPayloadError (400).
    return this.runtime.call<TaskReply>(id, { type: 'task', input: body?.input, ...(body?.id === undefined ? {} : { id: body.id }) }, { timeout: TASK_TIMEOUT_MS });
  }

  /**
   * Submits the task (or re-attaches to it: the same id never runs twice) and streams its events as
   * SSE: `id: <seq>`, `event: <type>`, `data: <json>`, ending after `done` or `error`. An EventSource
   * that reconnects sends `Last-Event-ID` and gets only the events after it.
   */
  @Sse('tasks/:taskId/events')
  events(@Param('id') id: string, @Param('taskId') taskId: string, @Query('input') input: string | undefined, @Headers('last-event-id') lastEventId?: string): Observable<MessageEvent> {
    // The events are published where the agent runs: in a cluster, stream from that node.
    this.checkAgent(id, true);
    if (typeof input !== 'string' || input === '') throw new BadRequestException('the task is given by ?input=… (the same input on every reconnect)');
    const afterSeq = lastEventId === undefined ? 0 : Number(lastEventId);
    if (!Number.isInteger(afterSeq) || afterSeq < 0) throw new BadRequestException(`Last-Event-ID must be an event's seq, not "${lastEventId}"`);
    return this.runtime.stream(id, { type: 'task', input, id: taskId }, { afterSeq }).pipe(map((event) => ({ id: String(event.seq), type: event.type, data: event })));
  }

  /** Cancels a queued or running task: its callers get TaskCancelledError (409), its stream an `error` event. */
  @Post('tasks/:taskId/cancel')
  @HttpCode(200)
  async cancel(@Param('id') id: string, @Param('taskId') taskId: string): Promise<{ cancelled: boolean }> {
    this.checkAgent(id, false);
    return { cancelled: await this.runtime.cancel(id, taskId) };
  }

  /**
   * 404 for a name no process has or whose process is not an agent. A process another node of a
   * cluster runs cannot be looked into: calls go through, and `local` ones answer 421 naming its node.
   */
  private checkAgent(id: string, local: boolean): void {
    const where = this.runtime.whereis(id);
    if (where === undefined) throw new NoSuchProcessError(id);
    if (where.node !== undefined && where.node !== this.runtime.node) {
      if (local) throw new MisdirectedException(`agent "${id}" runs on node ${where.node}: ask that node`);
      return;
    }
    if (this.runtime.status(id).agent === undefined) throw new NotFoundException(`"${id}" is a process, not an agent`);
  }
}
