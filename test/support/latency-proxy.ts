import { createServer, connect, type Server, type Socket } from 'node:net';

/** A TCP proxy in front of a server whose replies reach the client `delayMs` late (changeable at any time). */
export interface LatencyProxy {
  url: string;
  delayMs: number;
  close(): Promise<void>;
}

/**
 * Stands for a loaded or distant server: bytes from the server are held `delayMs` before they are
 * passed on, in order; bytes to the server go straight through.
 */
export async function startLatencyProxy(target: { host: string; port: number }, delayMs: number): Promise<LatencyProxy> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    let last = 0; // a chunk is never passed on before the one in front of it, whatever the delay became
    upstream.on('data', (chunk: Buffer) => {
      last = Math.max(last, performance.now() + proxy.delayMs);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!client.destroyed) client.write(chunk);
      }, Math.max(0, last - performance.now()));
      timers.add(timer);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const proxy: LatencyProxy = {
    url: `nats://127.0.0.1:${address.port}`,
    delayMs,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
