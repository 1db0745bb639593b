import type { GenServerOptions } from '../interfaces/gen-server-options.interface.js';
import type { MessageKind } from '../interfaces/genserver.types.js';
import type { GenServerProcess } from './gen-server-process.js';

/** A handler method as found on the prototype; called with the instance as `this`. */
export type HandlerMethod = (this: object, payload: unknown, from?: unknown) => unknown;

/**
 * What a process needs to know of its `@GenServer` class: its name, its options and which method
 * handles which message. Discovery builds it; the process only reads it.
 */
export interface ProcessType {
  readonly typeName: string;
  readonly options: GenServerOptions;
  readonly handlers: { find(kind: MessageKind, type: string | undefined): HandlerMethod | undefined };
  /**
   * Builds the instance of a new incarnation through Nest (constructor injection works): at once
   * for a class built with `new`, or a promise of it. `abandoned` aborts when the start gives up
   * on the build (`initTimeoutMs`, a shutdown past `shutdownMs`): a build that can stop, stops
   * (an isolated process's worker is ended) and rejects.
   */
  readonly create: (abandoned?: AbortSignal) => GenServerProcess | Promise<GenServerProcess>;
  /** Its build can be given up on (`abandoned`): it holds something to end, such as a worker. */
  readonly abortable?: boolean;
}
