import { Injectable } from '@nestjs/common';
import { GenServer } from '../decorators/gen-server.decorator.js';
import { HandleCall } from '../decorators/handle-call.decorator.js';
import { HandleCast } from '../decorators/handle-cast.decorator.js';
import { HandleInfo } from '../decorators/handle-info.decorator.js';
import type { From } from '../process/from.js';
import { GenServerProcess } from '../process/gen-server-process.js';
import { noReply, type NoReply } from '../process/no-reply.js';
import type { MessageKind } from '../interfaces/genserver.types.js';

/** A message a probe process received. */
export interface ProbeMessage {
  readonly kind: MessageKind;
  readonly payload: unknown;
  /** For a call: whom to answer. */
  readonly from?: From;
}

/** Where probe processes hand what they receive: the `TestProbe` that started them, by id. */
@Injectable()
export class ProbeRegistry {
  private readonly sinks = new Map<number, (message: ProbeMessage, process: ProbeProcess) => void>();
  /** The running process of each probe, while it runs. */
  private readonly running = new Map<number, ProbeProcess>();
  private nextId = 1;

  add(sink: (message: ProbeMessage, process: ProbeProcess) => void): number {
    const id = this.nextId++;
    this.sinks.set(id, sink);
    return id;
  }

  remove(id: number): void {
    this.sinks.delete(id);
  }

  /** Whether the process of probe `id` still runs (it is temporary: once ended, it stays ended). */
  runs(id: number): boolean {
    return this.running.has(id);
  }

  /** @internal Called by the probe process as it starts and ends. */
  track(id: number, process: ProbeProcess | undefined): void {
    if (process === undefined) this.running.delete(id);
    else this.running.set(id, process);
  }

  deliver(id: number, message: ProbeMessage, process: ProbeProcess): void {
    this.sinks.get(id)?.(message, process);
  }
}

/**
 * The process behind a named `TestProbe`: it takes every call, cast and info message, hands it to
 * its probe and answers calls only when the test says so.
 */
@GenServer({ type: 'genserver-testing-probe' })
export class ProbeProcess extends GenServerProcess<null> {
  private probe = 0;

  constructor(private readonly registry: ProbeRegistry) {
    super();
  }

  override init(args?: { probe: number }): void {
    this.probe = args?.probe ?? 0;
    this.state = null;
    this.registry.track(this.probe, this);
  }

  override terminate(): void {
    this.registry.track(this.probe, undefined);
  }

  @HandleCall()
  onCall(payload: unknown, from: From): NoReply {
    this.registry.deliver(this.probe, { kind: 'call', payload, from }, this);
    return noReply();
  }

  @HandleCast()
  onCast(payload: unknown): void {
    this.registry.deliver(this.probe, { kind: 'cast', payload }, this);
  }

  @HandleInfo()
  onInfo(payload: unknown): void {
    this.registry.deliver(this.probe, { kind: 'info', payload }, this);
  }
}
