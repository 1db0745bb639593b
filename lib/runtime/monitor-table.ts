import { describeReason } from '../process/exit-reason.js';
import type { ExitReason } from '../interfaces/genserver.types.js';
import { MonitorRef } from '../process/monitor-ref.js';
import type { MonitorRegistry } from '../process/process-ports.js';

/** The DOWN message a monitor delivers to its watcher's `@HandleInfo('DOWN')` handler. */
export interface DownMessage {
  type: 'DOWN';
  /** The process that went down. */
  name: string;
  /** `'normal'`, `'shutdown'`, `'noproc'`, `'handler_timeout'`, or the crash's error message. */
  reason: string;
  /** `MonitorRef.id` of the monitor that fired. */
  ref: number;
}

/** Who watches: a process name and the incarnation that made the monitor. */
interface Watch {
  readonly watcher: string;
  readonly incarnation: number;
}

/** Delivers a DOWN message to the incarnation of the watcher that made the monitor. */
export type DeliverDown = (watcher: string, incarnation: number, message: DownMessage) => void;

/** Who monitors whom. A monitor fires once; it also ends with its watcher's incarnation. */
export class MonitorTable implements MonitorRegistry {
  /** watched name → monitor id → watcher */
  private readonly byWatched = new Map<string, Map<number, Watch>>();
  /** watcher name → monitor id → watched name */
  private readonly byWatcher = new Map<string, Map<number, string>>();
  private nextId = 1;

  constructor(
    private readonly exists: (name: string) => boolean,
    private readonly deliver: DeliverDown,
  ) {}

  monitor(watcher: string, incarnation: number, watched: string): MonitorRef {
    const ref = new MonitorRef(this.nextId++, watched);
    if (!this.exists(watched)) {
      this.deliver(watcher, incarnation, { type: 'DOWN', name: watched, reason: 'noproc', ref: ref.id });
      return ref;
    }
    link(this.byWatched, watched, ref.id, { watcher, incarnation });
    link(this.byWatcher, watcher, ref.id, watched);
    return ref;
  }

  demonitor(watcher: string, ref: MonitorRef): boolean {
    if (this.byWatched.get(ref.name)?.get(ref.id)?.watcher !== watcher) return false;
    unlink(this.byWatched, ref.name, ref.id);
    unlink(this.byWatcher, watcher, ref.id);
    return true;
  }

  /** Whether any monitor watches `name`. */
  isWatched(name: string): boolean {
    return this.byWatched.has(name);
  }

  /** `name` went down: every monitor on it fires once, and every monitor it held ends. */
  down(name: string, reason: ExitReason): void {
    for (const [id, watched] of this.byWatcher.get(name) ?? []) unlink(this.byWatched, watched, id);
    this.byWatcher.delete(name);
    const watchers = this.byWatched.get(name);
    if (!watchers) return;
    this.byWatched.delete(name);
    const text = describeReason(reason);
    for (const [id, { watcher, incarnation }] of watchers) {
      unlink(this.byWatcher, watcher, id);
      this.deliver(watcher, incarnation, { type: 'DOWN', name, reason: text, ref: id });
    }
  }
}

function link<V>(index: Map<string, Map<number, V>>, key: string, id: number, value: V): void {
  let entries = index.get(key);
  if (!entries) index.set(key, (entries = new Map()));
  entries.set(id, value);
}

function unlink<V>(index: Map<string, Map<number, V>>, key: string, id: number): void {
  const entries = index.get(key);
  if (!entries) return;
  entries.delete(id);
  if (entries.size === 0) index.delete(key);
}
