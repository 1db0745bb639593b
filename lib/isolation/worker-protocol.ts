import type { ThreadBytes } from './thread-codec.js';

/** How stale the state an isolated process without a store shows in status may be (ms). */
export const STATE_EVERY_MS = 100;

// The messages between an isolated process's cell (app thread) and its worker. Process messages
// and answers cross as the cluster's wire codec encodes them (`encodeMessage`, `encodeAnswer`):
// one codec for every boundary a message crosses.

/** What the worker is told when it starts (`workerData`). */
export interface WorkerBoot {
  /** `file:` URL of the module that exports the class (and the Nest module, if any). */
  readonly file: string;
  readonly className: string;
  /** Export name of the Nest module to boot an application context from. */
  readonly module: string | undefined;
  readonly name: string;
}

/** App thread → worker. */
export type ToWorker =
  /** A warm worker is told which class to build. */
  | { readonly op: 'assign'; readonly boot: WorkerBoot }
  /** `everyState`: the state is wanted after every callback (checkpoints), else at most every `STATE_EVERY_MS`. */
  | { readonly op: 'init'; readonly seq: number; readonly args: ThreadBytes; readonly restored: ThreadBytes; readonly everyState: boolean }
  /** A process message (`encodeMessage`); `from`: the call's reference, for a later `this.reply`. */
  | { readonly op: 'handle'; readonly seq: number; readonly message: ThreadBytes; readonly from: number | null }
  | { readonly op: 'terminate'; readonly seq: number; readonly reason: ThreadBytes }
  /** The answer to the worker's `request`. */
  | { readonly op: 'answer'; readonly seq: number; readonly answer: ThreadBytes };

/** Worker → app thread. */
export type FromWorker =
  /** A warm worker has loaded what every worker needs and waits for `assign`. */
  | { readonly op: 'warm' }
  | { readonly op: 'ready' }
  | { readonly op: 'failed'; readonly error: ThreadBytes }
  /**
   * `init`, a handler or `terminate` finished: its answer, whether it deferred the reply, and the
   * state after it; `unsendable`: a handler's reply that could not cross, and why. `skipped`: the handler was not run, the process having stopped or crashed
   * before it (casts are handed over ahead of their turn: see `IsolatedProcess.forward`).
   */
  | { readonly op: 'done'; readonly seq: number; readonly answer: ThreadBytes; readonly noReply: boolean; readonly state: ThreadBytes | undefined; readonly skipped?: true; readonly unsendable?: string }
  /** The process calls or casts another one from its handler: answered with `answer`. */
  | { readonly op: 'request'; readonly seq: number; readonly kind: 'call' | 'cast'; readonly to: string; readonly payload: ThreadBytes; readonly timeout: number | undefined }
  | { readonly op: 'sendAfter'; readonly id: number; readonly ms: number; readonly payload: ThreadBytes; readonly to: string | undefined }
  | { readonly op: 'cancelTimer'; readonly id: number }
  /** `unsendable`: the reply could not cross (what it holds that is not plain data); the caller is told so. */
  | { readonly op: 'reply'; readonly from: number; readonly value: ThreadBytes; readonly unsendable?: string }
  | { readonly op: 'monitor'; readonly id: number; readonly name: string }
  | { readonly op: 'demonitor'; readonly id: number }
  | { readonly op: 'exit'; readonly reason: ThreadBytes }
  /** A crash outside a callback (a state that cannot cross): the process crashes with `reason`. */
  | { readonly op: 'fail'; readonly reason: ThreadBytes }
  | { readonly op: 'checkpoint' }
  /** The state after callbacks whose `done` went without it (see `STATE_EVERY_MS`). */
  | { readonly op: 'state'; readonly state: ThreadBytes };
