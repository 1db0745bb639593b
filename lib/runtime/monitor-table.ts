import { MonitorRef } from '../process/monitor-ref.js';

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

/** Who monitors whom. A monitor fires once; it also ends with its watcher's incarnation. */
export class MonitorTable {
  /** watched name → monitor id → watcher name */
  private readonly byWatched = new Map<string, Map<number, string>>();
  /** watcher name → monitor id → watched name */
  private readonly byWatcher = new Map<string, Map<number, string>>();
  private nextId = 1;

  constructor(private readonly deliver: (watcher: string, message: DownMessage) => void) {}

  add(watcher: string, watched: string, exists: boolean): MonitorRef {
    const ref = new MonitorRef(this.nextId++, watched);
    if (!exists) {
      this.deliver(watcher, { type: 'DOWN', name: watched, reason: 'noproc', ref: ref.id });
      return ref;
    }
    link(this.byWatched, watched, ref.id, watcher);
    link(this.byWatcher, watcher, ref.id, watched);
    return ref;
  }

  remove(watcher: string, ref: MonitorRef): boolean {
    if (this.byWatched.get(ref.name)?.get(ref.id) !== watcher) return false;
    unlink(this.byWatched, ref.name, ref.id);
    unlink(this.byWatcher, watcher, ref.id);
    return true;
  }

  /** `name` went down: every monitor on it fires once, and every monitor it held ends. */
  down(name: string, reason: string): void {
    for (const [id, watched] of this.byWatcher.get(name) ?? []) unlink(this.byWatched, watched, id);
    this.byWatcher.delete(name);
    const watchers = this.byWatched.get(name);
    if (!watchers) return;
    this.byWatched.delete(name);
    for (const [id, watcher] of watchers) {
      unlink(this.byWatcher, watcher, id);
      this.deliver(watcher, { type: 'DOWN', name, reason, ref: id });
    }
  }
}

function link(index: Map<string, Map<number, string>>, key: string, id: number, value: string): void {
  let entries = index.get(key);
  if (!entries) index.set(key, (entries = new Map()));
  entries.set(id, value);
}

function unlink(index: Map<string, Map<number, string>>, key: string, id: number): void {
  const entries = index.get(key);
  if (!entries) return;
  entries.delete(id);
  if (entries.size === 0) index.delete(key);
}
