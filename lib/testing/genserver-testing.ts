import { Injectable } from '@nestjs/common';
import { GenServerRuntime } from '../runtime/genserver.runtime.js';
import { GenServerFaults } from './genserver-faults.js';
import { ProbeProcess, ProbeRegistry } from './probe.process.js';
import { TestProbe } from './test-probe.js';
import { VirtualClock } from './virtual-clock.js';

/**
 * What a test holds: the app's virtual clock, its fault injection, its runtime, and probes.
 * `moduleRef.get(GenServerTesting)` after compiling a module that imports `GenServerTestingModule`.
 */
@Injectable()
export class GenServerTesting {
  private readonly probes = new Set<TestProbe>();

  constructor(
    readonly clock: VirtualClock,
    readonly faults: GenServerFaults,
    readonly runtime: GenServerRuntime,
    private readonly registry: ProbeRegistry,
  ) {}

  /**
   * A `TestProbe`. With `name`, a probe process starts under that name (temporary, so it is never
   * restarted): whatever the app sends to `name` reaches the probe, until `probe.close()` stops it
   * and frees the name (a call it has not answered then gets `ProcessStoppedError`). Rejects with `AlreadyStartedError` when a process already runs under `name`.
   */
  async probe(name?: string): Promise<TestProbe> {
    let id = 0;
    const probe: TestProbe = new TestProbe(name, this.runtime, this.clock, async () => {
      this.registry.remove(id);
      this.probes.delete(probe);
      // Only its own process: once that ended, the name may belong to another.
      if (name !== undefined && this.registry.runs(id)) await this.runtime.stop(name).catch(() => undefined);
    });
    this.probes.add(probe);
    if (name !== undefined) {
      id = this.registry.add((message, process) => probe.receive(message, process));
      try {
        await this.runtime.start(ProbeProcess, { name, args: { probe: id }, restart: 'temporary' });
      } catch (error) {
        await probe.close();
        throw error;
      }
    }
    return probe;
  }

  /** @internal Closes every probe (the module does when the app closes). */
  async closeProbes(): Promise<void> {
    await Promise.all([...this.probes].map((probe) => probe.close()));
  }
}
