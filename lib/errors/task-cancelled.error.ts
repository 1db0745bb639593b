import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** An agent's task was cancelled (`runtime.cancel`, or a task that interrupted it): its callers get this. */
export class TaskCancelledError extends GenServerError {
  constructor(
    readonly process: string,
    readonly taskId: string,
    /** Why: `'cancelled'`, or `'interrupted by <task id>'`. */
    readonly reason: string = 'cancelled',
  ) {
    super(messages.taskCancelled(process, taskId, reason));
  }
}
