import type { ExitReason } from './exit-reason.js';
import type { RestartType, TreeNode } from '../interfaces/supervision.interface.js';

/** What a supervisor drives: a process cell or a nested supervisor. */
export interface SupervisedChild {
  readonly name: string;
  readonly restartType: RestartType;
  /** Changes on every (re)start; an exit reported for an older generation is stale. */
  readonly generation: number;
  parent: ChildParent | null;
  /** First start; rejects when the child cannot start. A process that is up at once returns nothing. */
  start(): Promise<void> | undefined;
  /** Ends the running incarnation (terminate, timers) but keeps what waits for the next one. */
  shutdown(reason: ExitReason): Promise<void>;
  /** Starts a fresh incarnation after `shutdown` or an exit; rejects when it cannot start. */
  restart(): Promise<void>;
  /** Leaves for good: what still waits is answered or dead-lettered, names are freed. */
  remove(reason: ExitReason): Promise<void>;
  /** Its node of `runtime.tree()`; `now` is the scheduler's time, read once for the whole tree. */
  tree(now: number): TreeNode;
  /** The supervisor's heartbeat: a process checks whether its mailbox moved since the last beat. */
  beat?(): void;
}

/** What a child reports to. */
export interface ChildParent {
  /** The child's incarnation `generation` ended by itself (a crash, `this.stop()`, a failed supervisor). */
  childExited(child: SupervisedChild, generation: number, reason: ExitReason): void;
  /** The child was stopped from outside (`runtime.stop`) and is gone. */
  forget(child: SupervisedChild): void;
}
