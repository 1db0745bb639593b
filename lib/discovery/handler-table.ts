import { GenServerError } from '../errors/genserver.error.js';
import { messages } from '../errors/messages.js';
import type { MessageKind } from '../process/envelope.js';

import type { HandlerMethod } from '../process/process-type.js';
export type { HandlerMethod } from '../process/process-type.js';

interface KindHandlers {
  readonly exact: Map<string, HandlerMethod>;
  catchAll: HandlerMethod | undefined;
}

/** Which method handles a message of a given kind and type, for one `@GenServer` class. */
export class HandlerTable {
  private readonly kinds: Record<MessageKind, KindHandlers> = {
    call: { exact: new Map(), catchAll: undefined },
    cast: { exact: new Map(), catchAll: undefined },
    info: { exact: new Map(), catchAll: undefined },
  };

  constructor(private readonly className: string) {}

  add(kind: MessageKind, pattern: string | undefined, method: HandlerMethod): void {
    const handlers = this.kinds[kind];
    const taken = pattern === undefined ? handlers.catchAll : handlers.exact.get(pattern);
    if (taken) throw new GenServerError(messages.duplicateHandler(this.className, kind, pattern));
    if (pattern === undefined) handlers.catchAll = method;
    else handlers.exact.set(pattern, method);
  }

  find(kind: MessageKind, type: string | undefined): HandlerMethod | undefined {
    const handlers = this.kinds[kind];
    return (type === undefined ? undefined : handlers.exact.get(type)) ?? handlers.catchAll;
  }
}
