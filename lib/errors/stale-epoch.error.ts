import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/**
 * A state store refused a record written under an older fencing epoch than the record it holds:
 * the writer is a former owner of the process (paused, partitioned) and a newer owner has taken over.
 */
export class StaleEpochError extends GenServerError {
  constructor(
    readonly process: string,
    readonly epoch: number,
    readonly storedEpoch: number,
  ) {
    super(messages.staleEpoch(process, epoch, storedEpoch));
  }
}
