import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { GenServerRuntime } from 'nestjs-genserver';
import { BenchModule } from './bench.processes.js';
import { callsAfterBurst } from './calls-after-burst.js';

/**
 * One run of (b′) in a fresh Node process, for `call-runs.ts`: prints `{"ours":…,"base":…}`.
 * A slow run, when it happens, is slow for the whole process, so only fresh processes show it.
 */
async function main() {
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const figures = await callsAfterBurst(app.get(GenServerRuntime), 'calls', 300_000, 200_000);
  await app.close();
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
