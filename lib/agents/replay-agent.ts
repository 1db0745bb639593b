import type { Type } from '@nestjs/common';
import { GenServerError } from '../errors/genserver.error.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { handlersOf } from '../discovery/handlers-of.js';
import { From } from '../process/from.js';
import { PROCESS_BINDING, type ProcessBinding } from '../process/gen-server-process.js';
import { messageTypeOf } from '../process/envelope.js';
import { MonitorRef } from '../process/monitor-ref.js';
import { TimerRef } from '../process/timer-ref.js';
import { REPLAYING, type AgentJournal, type AgentProcess, type AgentState } from './agent-process.js';

/**
 * Rebuilds the state an agent's journal leads to (`runtime.journal(name)`), with no network call
 * and no tool run: the model's responses and the tools' results are in the journal. The class is
 * built with `new` (no dependencies are resolved). Resolves the state as JSON data: deep-equal to
 * `runtime.status(name).state` when the journal was read. Rejects with `InvalidOptionError` for a
 * journal that is not one, and with the handler's error if a message fails as it did not live.
 */
export async function replayAgent<S extends object = Record<never, never>>(cls: Type<AgentProcess<S>>, journal: AgentJournal): Promise<AgentState & S> {
  if (typeof cls !== 'function') throw new InvalidOptionError('replayAgent class', cls, 'an @Agent class');
  const entries = journal?.entries;
  if (!Array.isArray(entries) || entries[0]?.kind !== 'init') throw new InvalidOptionError('replayAgent journal', journal, "a journal from runtime.journal(name) (its first entry is { kind: 'init' })");
  const agent = new (cls as unknown as new () => AgentProcess<S>)();
  agent[REPLAYING] = true;
  agent[PROCESS_BINDING] = replayBinding(typeof journal.agent === 'string' ? journal.agent : cls.name);
  const first = entries[0] as { state: unknown };
  await agent.init(undefined, (first.state ?? undefined) as (AgentState & S) | undefined);
  const handlers = handlersOf(cls);
  let ref = 0;
  for (const [at, entry] of entries.slice(1).entries()) {
    if (entry.kind !== 'call' && entry.kind !== 'cast' && entry.kind !== 'info') throw new InvalidOptionError(`replayAgent journal entries[${at + 1}].kind`, entry.kind, "'call', 'cast' or 'info'");
    const payload = copy(entry.payload);
    const method = handlers.find(entry.kind, messageTypeOf(payload));
    if (method === undefined) continue; // unhandled live too: dead-lettered or refused, the state untouched
    await method.call(agent, payload, entry.kind === 'call' ? new From(++ref, null) : undefined);
  }
  return copy(agent.state);
}

/** Where a replayed agent's actions go: nowhere. A call to another process cannot be replayed. */
function replayBinding(name: string): ProcessBinding {
  const refused = () => Promise.reject(new GenServerError(`agent "${name}" is being replayed: it cannot call or cast other processes`));
  return {
    name,
    sendAfter: () => new TimerRef(0),
    cancelTimer: () => false,
    call: refused,
    cast: refused,
    reply: () => undefined,
    replyError: () => undefined,
    monitor: (watched) => new MonitorRef(0, watched),
    demonitor: () => false,
    exit: () => undefined,
    fail: () => undefined,
    checkpoint: () => undefined,
  };
}

function copy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
