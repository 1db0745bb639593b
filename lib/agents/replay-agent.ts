import type { Type } from '@nestjs/common';
import { GenServerError } from '../errors/genserver.error.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import { handlersOf } from '../discovery/handlers-of.js';
import { From } from '../process/from.js';
import { PROCESS_BINDING, type ProcessBinding } from '../process/gen-server-process.js';
import { messageTypeOf } from '../process/envelope.js';
import { MonitorRef } from '../process/monitor-ref.js';
import { TimerRef } from '../process/timer-ref.js';
import { jsonCopy, REPLAYING, type AgentJournal, type AgentProcess, type AgentState, type JournalEntry } from './agent-process.js';

/**
 * Rebuilds the state an agent's journal leads to (`runtime.journal(name)`), with no network call
 * and no tool run: the model's responses and the tools' results are in the journal. The class is
 * built with `new` (no dependencies are resolved). Resolves the state as JSON data: deep-equal to
 * `runtime.status(name).state` when the journal was read. Rejects with `InvalidOptionError` for a
 * journal that is not one, and with the handler's error if a message fails as it did not live.
 */
export async function replayAgent<S extends object = Record<never, never>>(cls: Type<AgentProcess<S>>, journal: AgentJournal): Promise<AgentState & S> {
  if (typeof cls !== 'function') throw new InvalidOptionError('replayAgent class', cls, 'an @Agent class');
  let entries: unknown;
  let agentName: unknown;
  try {
    entries = journal?.entries;
    agentName = journal?.agent;
  } catch (error) {
    throw new InvalidOptionError('replayAgent journal', error, 'readable (reading it threw)');
  }
  if (!Array.isArray(entries) || (entries[0] as JournalEntry | undefined)?.kind !== 'init') throw new InvalidOptionError('replayAgent journal', journal, "a journal from runtime.journal(name) (its first entry is { kind: 'init' })");
  const initState = (entries[0] as { state?: unknown }).state;
  if (initState !== null && initState !== undefined && (typeof initState !== 'object' || Array.isArray(initState))) throw new InvalidOptionError('replayAgent journal entries[0].state', initState, "an agent's state (an object) or null");
  const agent = new (cls as unknown as new () => AgentProcess<S>)();
  agent[REPLAYING] = true;
  agent[PROCESS_BINDING] = replayBinding(typeof agentName === 'string' ? agentName : cls.name);
  await agent.init(undefined, (copyAt(initState, 'entries[0].state') ?? undefined) as (AgentState & S) | undefined);
  const handlers = handlersOf(cls);
  let ref = 0;
  for (const [at, entry] of (entries.slice(1) as JournalEntry[]).entries()) {
    if (entry === null || typeof entry !== 'object') throw new InvalidOptionError(`replayAgent journal entries[${at + 1}]`, entry, '{ kind, payload }');
    if (entry.kind !== 'call' && entry.kind !== 'cast' && entry.kind !== 'info') throw new InvalidOptionError(`replayAgent journal entries[${at + 1}].kind`, entry.kind, "'call', 'cast' or 'info'");
    const payload = copyAt(entry.payload, `entries[${at + 1}].payload`);
    const method = handlers.find(entry.kind, messageTypeOf(payload));
    if (method === undefined) continue; // unhandled live too: dead-lettered or refused, the state untouched
    await method.call(agent, payload, entry.kind === 'call' ? new From(++ref, null) : undefined);
  }
  return jsonCopy(agent.state);
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

/** A journal's value as JSON data, or `InvalidOptionError` naming where it is not (a cycle, a BigInt). */
function copyAt<T>(value: T, path: string): T {
  try {
    return jsonCopy(value);
  } catch (error) {
    throw new InvalidOptionError(`replayAgent journal ${path}`, error, 'JSON data');
  }
}
