import type { KV } from '@nats-io/kv';
import { deserialize, serialize } from 'node:v8';
import { kvKey, nameOfKvKey } from '../common/kv-key.js';
import type { StartOptions } from '../interfaces/process-info.interface.js';

const STOPPED = { stopped: true } as const;

function readStopped(bytes: Uint8Array): boolean {
  try {
    return (deserialize(bytes) as { stopped?: unknown } | null)?.stopped === true;
  } catch {
    return false;
  }
}

/** How to start a dynamic cluster-wide process again on another node: what `runtime.start` was given. */
export interface StartSpec {
  /** The `@GenServer` type name (every node runs the same code). */
  readonly type: string;
  readonly options: StartOptions;
}

/**
 * The dynamic cluster-wide processes whose restart type brings them back (permanent, transient),
 * in a JetStream KV bucket: when the node that runs one is lost (or leaves), a surviving node starts
 * it again from its spec, under the same supervisor when that node has one. Written once the start
 * resolved; deleted when the process stops for good.
 */
export class SpecRegistry {
  constructor(private readonly kv: KV) {}

  async put(name: string, spec: StartSpec): Promise<void> {
    await this.kv.put(kvKey(name), serialize(spec));
  }

  async get(name: string): Promise<StartSpec | undefined> {
    const entry = await this.kv.get(kvKey(name));
    if (entry === null || entry.operation !== 'PUT') return undefined;
    try {
      const spec = deserialize(entry.value) as StartSpec;
      return typeof spec?.type === 'string' && spec.options !== null && typeof spec.options === 'object' ? spec : undefined;
    } catch {
      return undefined;
    }
  }

  async delete(name: string): Promise<void> {
    await this.kv.delete(kvKey(name));
  }

  /**
   * The name was stopped for good where it ran (`runtime.stop`, a transient child's normal exit):
   * its spec goes, and the standbys of a topology child stand down instead of taking it over.
   */
  async markStopped(name: string): Promise<void> {
    await this.kv.put(kvKey(name), serialize(STOPPED));
  }

  async isStopped(name: string): Promise<boolean> {
    const entry = await this.kv.get(kvKey(name));
    return entry !== null && entry.operation === 'PUT' && readStopped(entry.value);
  }

  /** Started afresh (a boot, a new start): no longer stopped. */
  async clearStopped(name: string): Promise<void> {
    if (await this.isStopped(name)) await this.kv.delete(kvKey(name));
  }

  /** Names that have a spec. */
  async names(): Promise<string[]> {
    const names: string[] = [];
    for await (const key of await this.kv.keys()) names.push(nameOfKvKey(key));
    return names;
  }
}
