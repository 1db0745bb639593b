import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import { loadTopology } from './topology.loader.js';

/** Reads `options.topology`, if given, and lets the options given beside it win. */
export function resolveModuleOptions(options: GenServerModuleOptions): GenServerModuleOptions {
  if (options.topology === undefined) return options;
  const { topology, ...given } = options;
  const defined = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  return { ...loadTopology(topology), ...defined };
}
