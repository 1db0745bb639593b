import { Inject, Injectable, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Observable, Subject } from 'rxjs';
import type { LanguageModel } from 'ai';
import { GENSERVER_OPTIONS } from '../genserver-module.definition.js';
import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import type { AgentEvent, AgentEventBody, AgentModuleOptions } from './agent-options.interface.js';
import { DEFAULT_MAX_RETRY_AFTER_MS, modelGateway, type ModelGateway } from './model-gateway.js';
import type { GenServerRuntime } from '../runtime/genserver.runtime.js';
import { checkAgentModuleOptions } from './agent-option-checks.js';
import { GenServerError } from '../errors/genserver.error.js';

/** Tasks whose events are kept for late subscribers and `Last-Event-ID` resumes. */
const KEPT_TASKS = 1000;

interface TaskEvents {
  readonly events: AgentEvent[];
  readonly live: Subject<AgentEvent>;
  ended: boolean;
}

/**
 * What the agents of an app share: the module's `agents` options, one gateway per model provider,
 * the tool providers Nest built, and the events of each task for `runtime.stream`.
 */
@Injectable()
export class AgentHub {
  private readonly gateways = new Map<string, ModelGateway>();
  private readonly tasks = new Map<string, TaskEvents>();
  private boundRuntime: GenServerRuntime | null = null;
  /** The module's `agents` options, checked at boot. */
  readonly options: AgentModuleOptions;

  constructor(
    @Inject(GENSERVER_OPTIONS) moduleOptions: GenServerModuleOptions,
    private readonly moduleRef: ModuleRef,
  ) {
    this.options = checkAgentModuleOptions(moduleOptions.agents);
  }

  /** The gateway of the model's provider: one process per provider name, shared by every agent. */
  gateway(model: LanguageModel): ModelGateway {
    const provider = typeof model === 'string' ? 'gateway' : model.provider;
    let gateway = this.gateways.get(provider);
    if (gateway === undefined) {
      const args = { provider, requestsPerSecond: this.options.requestsPerSecond?.[provider] ?? Infinity, maxRetryAfterMs: this.options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS };
      this.gateways.set(provider, (gateway = modelGateway(() => this.runtime(), args)));
    }
    return gateway;
  }

  /** The runtime tells the hub of itself (it depends on the hub, so the hub cannot inject it). */
  bind(runtime: GenServerRuntime): void {
    this.boundRuntime = runtime;
  }

  private runtime(): GenServerRuntime {
    if (this.boundRuntime === null) throw new GenServerError('AgentHub used before the GenServerRuntime was built');
    return this.boundRuntime;
  }

  /** Nest's instance of a tool provider listed in `@Agent({ tools })`. */
  provider<T extends object>(cls: Type<T>): T {
    return this.moduleRef.get(cls, { strict: false });
  }

  /** Numbers and publishes an event of a task; `done` and `error` end the task's stream. */
  emit(agent: string, taskId: string, body: AgentEventBody): void {
    const task = this.task(agent, taskId);
    if (task.ended) return;
    const event = { ...body, seq: task.events.length + 1, taskId } as AgentEvent;
    task.events.push(event);
    task.live.next(event);
    if (event.type === 'done' || event.type === 'error') {
      task.ended = true;
      task.live.complete();
    }
  }

  /** A task's events after `afterSeq` (those kept, then live ones); completes after `done` or `error`. */
  events(agent: string, taskId: string, afterSeq = 0): Observable<AgentEvent> {
    return new Observable<AgentEvent>((subscriber) => {
      const task = this.task(agent, taskId);
      for (const event of task.events) if (event.seq > afterSeq) subscriber.next(event);
      if (task.ended) {
        subscriber.complete();
        return undefined;
      }
      const subscription = task.live.subscribe({
        next: (event) => {
          if (event.seq > afterSeq) subscriber.next(event);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => subscription.unsubscribe();
    });
  }

  /** The number of the last event of a task so far (0: none). */
  lastSeq(agent: string, taskId: string): number {
    return this.tasks.get(`${agent}\u0000${taskId}`)?.events.length ?? 0;
  }

  private task(agent: string, taskId: string): TaskEvents {
    const key = `${agent}\u0000${taskId}`;
    let task = this.tasks.get(key);
    if (task === undefined) {
      this.tasks.set(key, (task = { events: [], live: new Subject<AgentEvent>(), ended: false }));
      // The oldest go first: a Map keeps insertion order.
      if (this.tasks.size > KEPT_TASKS) {
        for (const [oldKey, old] of this.tasks) {
          if (this.tasks.size <= KEPT_TASKS) break;
          if (!old.ended) continue;
          this.tasks.delete(oldKey);
        }
      }
    }
    return task;
  }
}
