import { Injectable } from '@nestjs/common';
import type { FaultHooks } from '../common/fault-hooks.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import type { StateRecord, StateStore } from '../interfaces/state-store.interface.js';
import { InjectedFaultError } from './injected-fault.error.js';

/**
 * Fault injection for tests (`testing.faults`): make a process crash after its Nth message, or make
 * state store writes fail. Each fault fires once per arming, at a message or write boundary, and
 * goes through the same paths as a real one: the supervisor restarts, callers get
 * `ProcessCrashedError`, a failed checkpoint crashes the process as a store error does.
 */
@Injectable()
export class GenServerFaults implements FaultHooks {
  /** Per process: messages it may still take before the next one crashes it. */
  private readonly crashes = new Map<string, number>();
  /** Per process (`'*'`: any): writes still to refuse. */
  private readonly writes = new Map<string, number>();
  private readonly wrapped = new WeakMap<StateStore, StateStore>();

  /**
   * `name` handles `messages` more messages as usual; the one after crashes it (its handler does not
   * run; a call gets `ProcessCrashedError` whose reason is an `InjectedFaultError`). `0`: its next
   * message. Arming again replaces the count.
   */
  crashAfter(name: string, messages: number): void {
    if (typeof name !== 'string' || name.length === 0) throw new InvalidOptionError('faults.crashAfter name', name, 'a process name');
    if (!Number.isInteger(messages) || messages < 0) throw new InvalidOptionError('faults.crashAfter messages', messages, 'a whole number from 0');
    this.crashes.set(name, messages);
  }

  /**
   * The next `times` (default 1) state writes of `name` (or of any process, without a name) fail
   * with `InjectedFaultError`, as a store that is down would.
   */
  failStoreWrite(name?: string, times = 1): void {
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) throw new InvalidOptionError('faults.failStoreWrite name', name, 'a process name, or nothing for any process');
    if (!Number.isInteger(times) || times < 1) throw new InvalidOptionError('faults.failStoreWrite times', times, 'a whole number from 1');
    this.writes.set(name ?? '*', times);
  }

  /** Disarms every fault not yet fired. */
  clear(): void {
    this.crashes.clear();
    this.writes.clear();
  }

  /** @internal */
  messageFault(name: string): unknown {
    const left = this.crashes.get(name);
    if (left === undefined) return undefined;
    if (left > 0) {
      this.crashes.set(name, left - 1);
      return undefined;
    }
    this.crashes.delete(name);
    return new InjectedFaultError('crash', name);
  }

  /** @internal */
  wrapStore(store: StateStore): StateStore {
    let faulty = this.wrapped.get(store);
    if (faulty === undefined) {
      const refuse = (name: string) => this.writeFault(name);
      // Delegates (not a prototype copy): a store class with #private fields still works.
      faulty = {
        load: (name) => store.load(name),
        save: (name, record: StateRecord) => (refuse(name) ? Promise.reject(new InjectedFaultError('store-write', name)) : store.save(name, record)),
        delete: (name, epoch) => store.delete(name, epoch),
        list: () => store.list(),
        close: () => store.close(),
        ...(store.fence ? { fence: (name: string, epoch: number) => store.fence!(name, epoch) } : {}),
        ...(store.moveAside ? { moveAside: (name: string, reason: string) => store.moveAside!(name, reason) } : {}),
      };
      this.wrapped.set(store, faulty);
    }
    return faulty;
  }

  private writeFault(name: string): boolean {
    for (const key of [name, '*']) {
      const left = this.writes.get(key);
      if (left === undefined) continue;
      if (left <= 1) this.writes.delete(key);
      else this.writes.set(key, left - 1);
      return true;
    }
    return false;
  }
}
