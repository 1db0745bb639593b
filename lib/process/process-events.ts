import type { ExitReason } from '../interfaces/genserver.types.js';
import type { Envelope } from './envelope.js';

interface EventBase {
  /** Process name. */
  readonly name: string;
  /** When it happened: epoch ms (the module `clock`'s time when it has timers, such as the testing kit's VirtualClock). */
  readonly at: number;
}

/** A process finished `init` for the first time and takes messages. */
export interface StartedEvent extends EventBase {
  readonly type: 'started';
  readonly processType: string;
}
/** A handler (or `init` during a restart) threw. */
export interface CrashedEvent extends EventBase {
  readonly type: 'crashed';
  readonly reason: unknown;
  /** Type of the message being handled; undefined for a failed restart or checkpoint. */
  readonly messageType: string | undefined;
  /** The state as `formatState`/`redact` present it, when the crash came from a handler. */
  readonly state?: unknown;
}
/** A fresh incarnation replaced a crashed one. */
export interface RestartedEvent extends EventBase {
  readonly type: 'restarted';
  readonly restarts: number;
}
/** The process ended and its name is free. */
export interface StoppedEvent extends EventBase {
  readonly type: 'stopped';
  readonly reason: ExitReason;
}
/**
 * A message accepted into a mailbox that no handler took: it crashed its handler (`'crashed'`),
 * matched no cast/info handler (`'unhandled'`), was queued when the process stopped (`'stopped'`),
 * or a timer, an info message or a `broadcast` met a mailbox that refused it (the error's name).
 */
export interface DeadLetterEvent extends EventBase {
  readonly type: 'dead-letter';
  readonly reason: string;
  readonly envelope: Envelope;
}

/** A supervisor reached its restart intensity, shut its children down and exited to its parent. */
export interface EscalatedEvent extends EventBase {
  readonly type: 'escalated';
  /** The exit that was one restart too many. */
  readonly reason: unknown;
}
/** The root supervisor gave up: no process runs any more (see `onRootFailure`). */
export interface FatalEvent extends EventBase {
  readonly type: 'fatal';
  readonly reason: unknown;
}
/** The supervisor's heartbeat found work waiting and nothing handled for a whole beat. */
export interface StuckEvent extends EventBase {
  readonly type: 'stuck';
  readonly mailbox: number;
  /** Type of the message whose handler is running, if one is. */
  readonly handling: string | undefined;
}

/** A stored state record could not be read: it was moved aside and the process started from `init`. */
export interface StateCorruptEvent extends EventBase {
  readonly type: 'state-corrupt';
  readonly reason: string;
}

/**
 * A node of the cluster came up or went down (its heartbeat stopped for a whole lease TTL, or it
 * left). `name` is the node's name too, so every event has one.
 */
export interface NodeEvent extends EventBase {
  readonly type: 'node-up' | 'node-down';
  readonly node: string;
}

/** A cluster-wide process was fenced here: its lease was not renewed in time, so it stopped handling messages. */
export interface FencedEvent extends EventBase {
  readonly type: 'fenced';
  readonly epoch: number;
}

/** Lifecycle events of every process and supervisor of the runtime, and of the cluster's nodes. */
export type GenServerEvent =
  | StartedEvent
  | CrashedEvent
  | RestartedEvent
  | StoppedEvent
  | DeadLetterEvent
  | EscalatedEvent
  | FatalEvent
  | StuckEvent
  | StateCorruptEvent
  | NodeEvent
  | FencedEvent;
