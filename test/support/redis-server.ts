import { freePort } from './free-port.js';
import { startServerProcess } from './server-process.js';

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real redis-server on 127.0.0.1 and a free port, without persistence, for one test file.
 * `.ci/run` (and `npm test`'s pretest) installs Debian's redis-server.
 */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const server = await startServerProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], 'Ready to accept connections', 'redis-server');
  return { url: `redis://127.0.0.1:${port}`, stop: () => server.stop() };
}
