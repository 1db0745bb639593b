import { messages } from './messages.js';
import { NoSuchSupervisorError } from './no-such-supervisor.error.js';

/**
 * Thrown by `start` when the supervisor exists but takes no children now: it is restarting its
 * children, has given up (restart intensity), or is stopping. A restarting one takes them again
 * once its restart is done.
 */
export class SupervisorUnavailableError extends NoSuchSupervisorError {
  constructor(
    supervisor: string,
    readonly status: string,
  ) {
    // A NoSuchSupervisorError too, as it was before it had a name of its own, so existing catches hold.
    super(supervisor, []);
    this.message = messages.supervisorUnavailable(supervisor, status);
  }
}
