import { GenServerError } from '../errors/genserver.error.js';
import { messages } from '../errors/messages.js';
import { decodeState, encodeState } from './state-codec.js';
import type { CheckpointPolicy, StateStore } from './state-store.interface.js';

/**
 * Decides when a process's state is saved and writes it, in order. A checkpoint copies the state
 * at once (so the next handler cannot change what is written) and queues the write behind the
 * previous one; callers of `take` can wait for that write.
 */
export class Checkpointer {
  /** Sequence number of the last message applied. */
  seq = 0;
  private since = 0;
  private wanted = false;
  private writing: Promise<void> = Promise.resolve();

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

  /** Copies `state` now and queues its write; resolves once written, rejects if the store fails. */
  take(state: unknown): Promise<void> {
    let copy: unknown;
    try {
      copy = snapshot(state);
    } catch (error) {
      return Promise.reject(new GenServerError(messages.stateNotSerializable(this.name, error), { cause: error }));
    }
    const record = { state: copy, version: this.version, seq: this.seq, savedAt: Date.now() };
    this.since = 0;
    this.wanted = false;
    const write = this.writing.then(async () => (await this.store).save(this.name, record));
    this.writing = write.catch(() => undefined);
    return write;
  }

  /** Resolves once every queued write has finished (failed ones included). */
  settled(): Promise<void> {
    return this.writing;
  }

  /** The incarnation ended: a requested checkpoint will not come. */
  abandon(): void {
    this.wanted = false;
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
