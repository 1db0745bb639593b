import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** A task arrived while an agent with `busy: 'reject'` was running another: its call rejects with this. */
export class AgentBusyError extends GenServerError {
  constructor(
    readonly process: string,
    /** The task that was refused. */
    readonly taskId: string,
    /** The task running when it arrived. */
    readonly runningTaskId: string,
  ) {
    super(messages.agentBusy(process, taskId, runningTaskId));
  }
}
