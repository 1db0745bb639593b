import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import { optionsOf } from './topology-source.js';
import { readTopology } from './topology.loader.js';

/**
 * Reads `options.topology`, if given, and lets the options given beside it win. A topology with
 * problems fails the boot (see `checkTopologyAtBoot`), where its unknown types join them.
 */
export function resolveModuleOptions(options: GenServerModuleOptions): GenServerModuleOptions {
  if (options.topology === undefined) return options;
  const { topology, ...given } = options;
  const defined = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  return { ...optionsOf(readTopology(topology)), ...defined };
}
