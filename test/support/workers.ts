import { Injectable } from '@nestjs/common';
import { GenServer, GenServerProcess, HandleCall, HandleCast, type ExitReason } from 'nestjs-genserver';

/** Where processes write down their lifecycle, in the order it happened (it outlives restarts). */
@Injectable()
export class Journal {
  readonly lines: string[] = [];
  /** What was written since `mark()`. */
  since(mark: number): string[] {
    return this.lines.slice(mark);
  }
  mark(): number {
    return this.lines.length;
  }
}

export function reasonText(reason: ExitReason): string {
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error) return `error(${reason.message})`;
  return `{shutdown: ${reason.shutdown}}`;
}

/** A process that records its lifecycle and exits on demand, with any reason. */
@GenServer({ type: 'worker' })
export class Worker extends GenServerProcess<{ seen: number }> {
  constructor(private readonly journal: Journal) {
    super();
  }
  override init() {
    this.state = { seen: 0 };
    this.journal.lines.push(`init ${this.name}`);
  }
  override terminate(reason: ExitReason) {
    this.journal.lines.push(`terminate ${this.name} ${reasonText(reason)}`);
  }
  @HandleCast('exit') exit(msg: { type: 'exit'; reason: ExitReason | 'crash' }) {
    if (msg.reason === 'crash') throw new Error('boom');
    this.stop(msg.reason);
  }
  @HandleCast('note') note() {
    this.state.seen++;
  }
  @HandleCall('ping') ping() {
    return { name: this.name, seen: this.state.seen };
  }
}
