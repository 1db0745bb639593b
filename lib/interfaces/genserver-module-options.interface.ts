/** Options of `GenServerModule.forRoot` / `forRootAsync`. */
export interface GenServerModuleOptions {
  /** Default timeout of `call`, in ms (5000). `Infinity` waits for ever. */
  callTimeout?: number;
  /** Default mailbox bound of every process (unbounded). */
  maxMailbox?: number;
  /** Default restart intensity: at most `maxRestarts` restarts within `withinMs` (3 in 5000 ms). */
  maxRestarts?: number;
  withinMs?: number;
  /**
   * Messages a process handles in one turn before yielding to the event loop (4000). Lower keeps
   * latency of other work flat under bursts; higher gives a bit more throughput.
   */
  drainBudget?: number;
  /**
   * Checks that payloads and replies are plain data at the top level (default true). Messages are
   * passed by reference in-process; this keeps them fit for a networked router.
   */
  checkPayloads?: boolean;
}
