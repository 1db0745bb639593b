import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import { loadTopology } from './topology.loader.js';

/**
 * A configuration factory for `@nestjs/config`: `ConfigModule.forRoot({ load: [topology('config/topology.yaml')] })`
 * puts the module options read from the file under the `genserver` key, for
 * `GenServerModule.forRootAsync({ inject: [ConfigService], useFactory: (c: ConfigService) => c.get('genserver') })`.
 * The file is read and checked when the configuration loads; an invalid one fails the boot with `TopologyError`.
 */
export function topology(path: string, env: NodeJS.ProcessEnv = process.env): () => { genserver: GenServerModuleOptions } {
  return () => ({ genserver: loadTopology(path, env) });
}
