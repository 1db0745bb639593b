import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { startServerProcess } from './server-process.js';

export interface NatsServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real nats-server with JetStream on 127.0.0.1, a free port and a store directory of its own,
 * for one test file. `.ci/run` (and `npm test`'s pretest) installs Debian's nats-server. `args`
 * are added to its command line (`--user`, `--tls`…).
 */
export async function startNats(args: string[] = []): Promise<NatsServer> {
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'genserver-nats-'));
  const server = await startServerProcess('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store, ...args], 'Server is ready', 'nats-server');
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      await server.stop();
      rmSync(store, { recursive: true, force: true });
    },
  };
}
