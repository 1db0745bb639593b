import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import { optionsOf } from './topology-source.js';
import { readTopology } from './topology.loader.js';

/**
 * A configuration factory for `@nestjs/config`: `ConfigModule.forRoot({ load: [topology('config/topology.yaml')] })`
 * puts the module options read from the file under the `genserver` key, for
 * `GenServerModule.forRootAsync({ inject: [ConfigService], useFactory: (c: ConfigService) => c.get('genserver') })`.
 * The file is read when the configuration loads. When it has problems, the options hold only those
 * (pass the section on whole, or spread) and the app's boot fails with one `TopologyError` listing
 * them together with the file's unknown types.
 */
export function topology(path: string, env: NodeJS.ProcessEnv = process.env): () => { genserver: GenServerModuleOptions } {
  return () => ({ genserver: optionsOf(readTopology(path, env)) });
}
