import { GenServerError } from '../errors/genserver.error.js';
import { messages } from '../errors/messages.js';
import { decodeState, encodeState } from './state-codec.js';
import type { CheckpointPolicy, StateRecord, StateStore } from '../interfaces/state-store.interface.js';

interface Batch {
  readonly done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function batch(): Batch {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  done.catch(() => undefined); // whoever cares awaits it; the cell reports failures
  return { done, resolve, reject };
}

/**
 * Decides when a process's state is saved, and saves it. A checkpoint copies the state at once
 * (the next handler cannot change what is written). Writes go one at a time, in order; while one
 * is in flight, newer checkpoints replace each other and the next write stores only the latest
 * (group commit): every `take` resolves once a write that includes its state is stored.
 */
export class Checkpointer {
  /** Sequence number of the last message applied. */
  seq = 0;
  /** The fencing epoch records are written under (a cluster-wide process), if any. */
  epoch: number | undefined = undefined;
  private since = 0;
  private wanted = false;
  private pending: StateRecord | null = null;
  private next: Batch | null = null;
  private writer: Promise<void> | null = null;
  /** Set by a refused write: nothing later of this incarnation is written (its state builds on the lost one). */
  private failed: unknown = null;

  constructor(
    /** Built on first use by the runtime; a store that cannot be built fails the process's start. */
    readonly store: Promise<StateStore>,
    private readonly name: string,
    private readonly policy: CheckpointPolicy,
    private readonly version: number,
  ) {}

  get intervalMs(): number | undefined {
    return typeof this.policy === 'object' && 'intervalMs' in this.policy ? this.policy.intervalMs : undefined;
  }

  /** Whether anything was applied since the last checkpoint. */
  get dirty(): boolean {
    return this.since > 0;
  }

  /** A message was applied; true when the policy wants a checkpoint now. */
  applied(): boolean {
    this.seq++;
    this.since++;
    if (this.policy === 'every-message') return true;
    if (typeof this.policy === 'object' && 'everyN' in this.policy) return this.since >= this.policy.everyN || this.wanted;
    return this.wanted;
  }

  /** Asks for a checkpoint at the next message boundary. */
  request(): void {
    this.wanted = true;
  }

  /** Copies `state` now and queues its write; resolves once stored, rejects if the store fails. */
  take(state: unknown): Promise<void> {
    if (this.failed !== null) return Promise.reject(this.failed);
    let copy: unknown;
    try {
      copy = snapshot(state);
    } catch (error) {
      return Promise.reject(new GenServerError(messages.stateNotSerializable(this.name, error), { cause: error }));
    }
    this.pending = this.epoch === undefined
      ? { state: copy, version: this.version, seq: this.seq, savedAt: Date.now() }
      : { state: copy, version: this.version, seq: this.seq, savedAt: Date.now(), epoch: this.epoch };
    this.since = 0;
    this.wanted = false;
    const waiting = (this.next ??= batch());
    this.writer ??= this.write();
    return waiting.done;
  }

  /** Resolves once no write is queued or in flight. */
  async settled(): Promise<void> {
    while (this.writer) await this.writer;
  }

  /** The incarnation ended: a requested checkpoint will not come. */
  abandon(): void {
    this.wanted = false;
  }

  /** A new incarnation starts from a record with sequence number `seq` (0: from `init`). */
  restart(seq: number): void {
    this.seq = seq;
    this.since = 0;
    this.wanted = false;
    this.failed = null;
  }

  private async write(): Promise<void> {
    const store = await this.store.catch(() => null);
    while (this.pending) {
      const record = this.pending;
      const waiting = this.next as Batch;
      this.pending = null;
      this.next = null;
      try {
        if (this.failed !== null) throw this.failed;
        if (!store) throw new GenServerError(`the state store of process "${this.name}" could not be opened`);
        await store.save(this.name, record);
        waiting.resolve();
      } catch (error) {
        this.failed ??= error;
        waiting.reject(error);
      }
    }
    this.writer = null;
  }
}

/**
 * A copy of the state as it is now. structuredClone is fast and keeps Maps, Sets and Dates; what
 * it cannot clone (objects with a `toJSON`, such as a `From` kept in state) goes through the same
 * JSON form the durable stores write.
 */
function snapshot(state: unknown): unknown {
  try {
    return structuredClone(state);
  } catch {
    return decodeState(encodeState(state));
  }
}
