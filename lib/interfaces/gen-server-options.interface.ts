/** Options of one `@GenServer` class; `start` options and module defaults fill what is left out. */
export interface GenServerOptions {
  /**
   * Process name. A named `@GenServer` provider is started when the app boots; without a name
   * the class is a type, started only with `GenServerRuntime.start`.
   */
  name?: string;
  /** Type name `start` and topologies refer to it by; the class name when left out. */
  type?: string;
  /** Most messages the mailbox holds before senders get `MailboxFullError`; unbounded by default. */
  maxMailbox?: number;
  /** Restarts allowed within `withinMs` before the process is stopped instead (default 3 in 5000 ms). */
  maxRestarts?: number;
  withinMs?: number;
}
