import type { RestartType } from '../supervisor/supervision.interfaces.js';

/** Options of one `@GenServer` class; child specs and `start` options override them. */
export interface GenServerOptions {
  /**
   * Process name. A named `@GenServer` provider is started when the app boots; without a name
   * the class is a type, started with `GenServerRuntime.start` or placed by a supervision spec.
   */
  name?: string;
  /** Type name `start` and supervision specs refer to it by; the class name when left out. */
  type?: string;
  /** Most messages the mailbox holds before senders get `MailboxFullError`; unbounded by default. */
  maxMailbox?: number;
  /** When its supervisor restarts it (`permanent`). */
  restart?: RestartType;
  /** How long `terminate` (and a handler still running) may take when it is shut down (5000 ms). */
  shutdownMs?: number;
  /** A handler running longer is a crash with reason `'handler_timeout'` (default: no limit). */
  handlerTimeoutMs?: number;
}
