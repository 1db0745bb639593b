import { Worker } from 'node:worker_threads';
import type { FromWorker } from './worker-protocol.js';

/** Heap limits a worker was started with (they cannot change once it runs). */
export interface WorkerLimits {
  readonly maxOldGenerationMb: number;
  readonly maxYoungGenerationMb: number;
}

/**
 * Workers started ahead of need for a dynamic supervisor's isolated children (`warm: N`): each has
 * loaded the worker program and Nest, and waits to be told which class to build. Taking one starts
 * another in its place. Idle workers are unref'd (they never keep the app alive) and terminated
 * when the pool closes.
 */
export class WarmPool {
  private readonly ready: Worker[] = [];
  private readonly booting = new Set<Worker>();
  /** Workers ended by a retarget, until they have exited (`close` waits for them). */
  private readonly retiring = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly entry: URL,
    /** The limits its workers start with; they follow what its children ask for (see `take`). */
    private limits: WorkerLimits,
  ) {
    for (let i = 0; i < size; i++) this.grow();
  }

  /**
   * A warm worker with these limits, if one is ready (and a new one starts in its place). A child
   * that asks for other limits starts cold, and the pool's workers are replaced by ones with its
   * limits: a supervisor's children mostly share theirs.
   */
  take(limits: WorkerLimits): Worker | undefined {
    if (limits.maxOldGenerationMb !== this.limits.maxOldGenerationMb || limits.maxYoungGenerationMb !== this.limits.maxYoungGenerationMb) {
      this.retarget(limits);
      return undefined;
    }
    const worker = this.ready.shift();
    if (worker === undefined) return undefined;
    worker.removeListener('exit', this.lost);
    worker.ref();
    this.grow();
    return worker;
  }

  /** Workers ready now. */
  get available(): number {
    return this.ready.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.ready, ...this.booting];
    this.ready.length = 0;
    this.booting.clear();
    await Promise.all([...all.map((worker) => worker.terminate().catch(() => undefined)), ...this.retiring]);
  }

  private retarget(limits: WorkerLimits): void {
    this.limits = { maxOldGenerationMb: limits.maxOldGenerationMb, maxYoungGenerationMb: limits.maxYoungGenerationMb };
    const old = [...this.ready, ...this.booting];
    this.ready.length = 0;
    this.booting.clear();
    for (const worker of old) {
      worker.off('exit', this.lost);
      const ended = worker.terminate().catch(() => undefined).finally(() => this.retiring.delete(ended));
      this.retiring.add(ended);
    }
    for (let i = 0; i < this.size; i++) this.grow();
  }

  private grow(): void {
    if (this.closed || this.ready.length + this.booting.size >= this.size) return;
    const worker = new Worker(this.entry, {
      workerData: { warm: true },
      resourceLimits: { maxOldGenerationSizeMb: this.limits.maxOldGenerationMb, maxYoungGenerationSizeMb: this.limits.maxYoungGenerationMb },
    });
    worker.unref();
    this.booting.add(worker);
    const warmed = (message: FromWorker) => {
      if (message.op !== 'warm') return;
      worker.off('message', warmed);
      this.booting.delete(worker);
      if (this.closed) return void worker.terminate();
      this.ready.push(worker);
    };
    worker.on('message', warmed);
    worker.on('exit', this.lost);
    worker.on('error', () => undefined); // its exit follows, and `lost` replaces it
  }

  /** A worker that died while waiting is replaced. */
  private readonly lost = (): void => {
    for (const worker of [...this.booting]) if (worker.threadId === -1) this.booting.delete(worker);
    const still = this.ready.filter((worker) => worker.threadId !== -1);
    this.ready.length = 0;
    this.ready.push(...still);
    this.grow();
  };
}
