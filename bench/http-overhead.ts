import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { GenServerRuntime } from 'nestjs-genserver';
import { BenchCounter, BenchModule } from './bench.processes.js';
import { compare, timed } from './measure.js';

/** (e) Mean µs per sequential keep-alive request: a controller that calls a process vs one that does not. */
export async function httpOverhead(requests: number): Promise<{ call: number; plain: number }> {
  const app = await NestFactory.create(BenchModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  await app.get(GenServerRuntime).start(BenchCounter, { name: 'http_counter' });
  const { port } = app.getHttpServer().address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string) =>
    new Promise<void>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, agent }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
        })
        .on('error', reject);
    });
  const meanUs = (path: string) => async () =>
    ((await timed(async () => { for (let i = 0; i < requests; i++) await get(path); })) * 1000) / requests;
  const { ours, base } = await compare(3, meanUs('/call'), meanUs('/plain'));
  agent.destroy();
  await app.close();
  return { call: ours, plain: base };
}
