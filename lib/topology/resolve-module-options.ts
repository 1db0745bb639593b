import { readClusterOptions } from '../cluster/cluster-options.js';
import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import { optionsOf } from './topology-source.js';
import { readTopology } from './topology.loader.js';

/**
 * The module options every service reads. Reads `options.topology`, if given, and lets the options
 * given beside it win, each as a whole (a `cluster` given in code replaces the topology's, it is not
 * merged into it), but for `agents`, whose fields join the topology's. A topology with problems fails the boot (see `checkTopologyAtBoot`), where its
 * unknown types join them. `cluster` is checked here, once, and leaves with its defaults filled in.
 */
export function resolveModuleOptions(options: GenServerModuleOptions): GenServerModuleOptions {
  const { topology, ...given } = options;
  const merged = topology === undefined ? options : withTopology(topology, given);
  if (merged.cluster === undefined) return merged;
  return { ...merged, cluster: readClusterOptions(merged.cluster, 'cluster') };
}

function withTopology(topology: string | Record<string, unknown>, given: GenServerModuleOptions): GenServerModuleOptions {
  const defined = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  const read = optionsOf(readTopology(topology));
  // The model can only be given in code: `agents` given beside the topology joins the topology's
  // (prices, the Retry-After cap) instead of replacing it.
  const agents = read.agents !== undefined && given.agents !== undefined ? { agents: { ...read.agents, ...given.agents } } : {};
  return { ...read, ...defined, ...agents };
}
