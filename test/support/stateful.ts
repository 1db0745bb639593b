import { Injectable } from '@nestjs/common';
import { GenServer, GenServerProcess, HandleCall, HandleCast, MemoryStateStore, type StateRecord, type StateStore } from 'nestjs-genserver';

/** A counter whose state survives restarts when it has a store. */
@GenServer({ type: 'counter' })
export class DurableCounter extends GenServerProcess<{ n: number; label: string }> {
  override init(_args: unknown, restored?: { n: number; label: string }) {
    this.state = restored ?? { n: 0, label: 'fresh' };
  }
  @HandleCast('inc') inc() {
    this.state.n++;
  }
  @HandleCall('inc') incCall() {
    this.state.n++;
    return this.state.n;
  }
  @HandleCall('get') get() {
    return this.state;
  }
  @HandleCast('crash') crash() {
    this.state.n = -1000; // a half-changed state must never be saved
    throw new Error('crash on purpose');
  }
  @HandleCall('checkpoint') saveNow() {
    this.checkpoint();
    return this.state.n;
  }
}

/** A real store (memory) wrapped so tests can hold writes back or make them fail. */
@Injectable()
export class ControlledStore implements StateStore {
  readonly inner = new MemoryStateStore();
  failSaves = false;
  hold: Promise<void> | null = null;
  readonly saved: { name: string; seq: number }[] = [];

  load(name: string) {
    return this.inner.load(name);
  }
  async save(name: string, record: StateRecord) {
    if (this.hold) await this.hold;
    if (this.failSaves) throw new Error('disk full');
    this.saved.push({ name, seq: record.seq });
    return this.inner.save(name, record);
  }
  delete(name: string) {
    return this.inner.delete(name);
  }
  list() {
    return this.inner.list();
  }
  moveAside(name: string, reason: string) {
    return this.inner.moveAside(name, reason);
  }
  close() {
    return this.inner.close();
  }
}
