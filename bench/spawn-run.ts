import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { GenServerRuntime } from 'nestjs-genserver';
import { BenchModule } from './bench.processes.js';
import { idleHeap } from './idle-heap.js';
import { spawnRate } from './spawn-rate.js';

/**
 * Only (i) spawn rate and (d) heap per idle process, with every run's figure:
 * `npm run bench:spawn` (after `npm run build:apps`, `node --expose-gc out/bench/spawn-run.js`).
 */
async function main() {
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const runtime = app.get(GenServerRuntime);
  const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const spawn = await spawnRate(runtime, 20_000, 5);
  log(`(i) spawn rate: ours ${fmt(spawn.ours)}/s, nact ${fmt(spawn.nact)}/s, ${fmt((spawn.ours / spawn.nact) * 100)}% of nact, baseline ${fmt(spawn.baseline)}/s`);
  log(`    ours ${spawn.runs.ours.map(fmt).join(', ')}; nact ${spawn.runs.nact.map(fmt).join(', ')}`);
  const heaps: number[] = [];
  for (let i = 0; i < 3; i++) {
    const d = await idleHeap(runtime, 100_000);
    heaps.push(d.ours);
    log(`(d) heap per idle process: ours ${fmt(d.ours)} B, baseline ${fmt(d.base)} B, start ${d.startUs.toFixed(1)} µs`);
  }
  await app.close();
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
