import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { GenServerRuntime, type CheckpointPolicy, type StateStoreSpec } from 'nestjs-genserver';
import { startRedis } from '../test/support/redis-server.js';
import { BenchCounter, BenchModule } from './bench.processes.js';
import { compare, timed } from './measure.js';

const INC = { type: 'inc' };
const GET = { type: 'get' };

export interface StateFigures {
  label: string;
  withStore: number;
  without: number;
}

/**
 * (g) Casts per second into one process with a state store, against the same process with none,
 * alternately. Timed until a durable reply (`durableReplies`) says the last state is stored.
 */
export async function stateThroughput(casts: number): Promise<StateFigures[]> {
  const dir = mkdtempSync(join(tmpdir(), 'genserver-bench-'));
  const redis = await startRedis();
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const runtime = app.get(GenServerRuntime);
  let seq = 0;
  const run = (stateStore: StateStoreSpec | undefined, checkpoint: CheckpointPolicy) => async () => {
    const name = `s${seq++}`;
    await runtime.start(BenchCounter, { name, ...(stateStore ? { stateStore, checkpoint, durableReplies: true } : {}) });
    const ms = await timed(async () => {
      for (let i = 0; i < casts; i++) void runtime.cast(name, INC);
      await runtime.call(name, GET, { timeout: 600_000 });
    });
    await runtime.stop(name);
    return (casts / ms) * 1000;
  };
  const cases: [string, StateStoreSpec, CheckpointPolicy][] = [
    ['memory, every message', { type: 'memory' }, 'every-message'],
    ['LMDB, every message', { type: 'lmdb', path: join(dir, 'lmdb') }, 'every-message'],
    ['Redis, every message', { type: 'redis', url: redis.url }, 'every-message'],
    ['memory, { everyN: 100 }', { type: 'memory' }, { everyN: 100 }],
    ['LMDB, { everyN: 100 }', { type: 'lmdb', path: join(dir, 'lmdb') }, { everyN: 100 }],
    ['Redis, { everyN: 100 }', { type: 'redis', url: redis.url }, { everyN: 100 }],
  ];
  const figures: StateFigures[] = [];
  try {
    for (const [label, store, policy] of cases) {
      const { ours, base } = await compare(3, run(store, policy), run(undefined, policy));
      figures.push({ label, withStore: ours, without: base });
    }
  } finally {
    await app.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
