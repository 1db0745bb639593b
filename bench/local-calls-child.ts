import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { GenServerRuntime } from 'nestjs-genserver';
import { serveBenchChild } from './bench-child.js';
import { BenchCounter, BenchModule } from './bench.processes.js';
import { ClusterBenchModule } from './cluster.processes.js';
import { cpuUs, timed } from './measure.js';

const GET = { type: 'get' };

/**
 * One side of the local-call figure of (j), in an OS process of its own so that V8 sees only one
 * kind of app, as in production: `plain` (the bench app, no cluster) or `cluster <servers>
 * <prefix>` (the same app joined as node "c", the counter owned there). Answers each line `<n>`
 * with `<calls/s> <CPU µs per call>` of `n` sequential calls to the counter.
 */
async function main() {
  const [mode, servers, prefix] = process.argv.slice(2);
  const module = mode === 'cluster' ? ClusterBenchModule.forNode(servers!, 'c', prefix!) : BenchModule;
  const app = await NestFactory.createApplicationContext(module, { logger: false });
  const runtime = app.get(GenServerRuntime);
  await runtime.start(BenchCounter, { name: 'local' });
  serveBenchChild(
    async (line) => {
      const n = Number(line);
      const cpu = process.cpuUsage();
      const ms = await timed(async () => { for (let i = 0; i < n; i++) await runtime.call('local', GET); });
      return `${(n / ms) * 1000} ${cpuUs(process.cpuUsage(cpu)) / n}`;
    },
    () => app.close(),
  );
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
