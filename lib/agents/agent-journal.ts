import { AGENT_METADATA } from '../genserver.constants.js';
import type { MessageKind } from '../interfaces/genserver.types.js';
import type { HandlerMethod } from '../process/process-type.js';
import type { AgentMetadata } from './agent.decorator.js';
import { RECORD } from './agent-process.js';

type Handlers = { find(kind: MessageKind, type: string | undefined): HandlerMethod | undefined };

/**
 * The handlers of a class, as its processes should run them: for an agent, each offers its message
 * to the agent's journal before it runs (kept with `journal: true`), so every inbound message (model
 * responses and tool results included) is in the journal in the order it was handled.
 */
export function journaling(cls: Function, handlers: Handlers): Handlers {
  // Any agent: whether it journals may be set per process (start options, YAML), not only on the class.
  const metadata: AgentMetadata | undefined = Reflect.getMetadata(AGENT_METADATA, cls);
  if (metadata === undefined) return handlers;
  const wrapped = new Map<HandlerMethod, Map<MessageKind, HandlerMethod>>();
  return {
    find(kind, type) {
      const method = handlers.find(kind, type);
      if (method === undefined) return undefined;
      let byKind = wrapped.get(method);
      if (byKind === undefined) wrapped.set(method, (byKind = new Map()));
      let recording = byKind.get(kind);
      if (recording === undefined) {
        recording = function (this: object, payload: unknown, from?: unknown) {
          (this as { [RECORD]?: (kind: MessageKind, payload: unknown) => void })[RECORD]?.(kind, payload);
          return method.call(this, payload, from);
        };
        byKind.set(kind, recording);
      }
      return recording;
    },
  };
}
