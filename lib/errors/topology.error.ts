import { GenServerError } from './genserver.error.js';
import { messages } from './messages.js';

/** One thing wrong in a topology: where (YAML path, and line:column when it came from a file) and what. */
export interface TopologyProblem {
  /** e.g. `genserver.supervision.children[1].strategy` */
  readonly path: string;
  /** 1-based; absent for topologies given as objects. */
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/** Thrown at boot when a topology is not valid; lists every problem found, not just the first. */
export class TopologyError extends GenServerError {
  constructor(
    readonly source: string,
    readonly problems: readonly TopologyProblem[],
  ) {
    super(messages.topologyInvalid(source, problems));
  }
}
