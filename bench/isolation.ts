import { Worker } from 'node:worker_threads';
import { NestFactory } from '@nestjs/core';
import { GenServerRuntime } from 'nestjs-genserver';
import { compare, median, nowMs, percentile, timed } from './measure.js';
import { IsoCounter, IsolationBenchModule, LocalSpinner } from './isolation.processes.js';
import { LightCounter } from './isolation.light.js';

/** What the isolation section reports. */
export interface IsolationFigures {
  calls: { ours: number; base: number };
  casts: { ours: number; base: number };
  coldStartMs: number;
  /** Cold, for a class whose file imports only `nestjs-genserver/process`. */
  lightColdStartMs: number;
  warmStartMs: number;
  rssPerProcessMb: number;
  stall: { isolatedP99: number; localP99: number; baselineP99: number };
}

const GET = { type: 'get' };
const INC = { type: 'inc' };
const LONG = { timeout: 600_000 };

/** A worker that sends back what it gets: the floor of any request/reply between two threads. */
function echoWorker(): Worker {
  return new Worker("require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m));", { eval: true });
}

function echo(worker: Worker, message: unknown): Promise<unknown> {
  return new Promise((resolve) => {
    worker.once('message', resolve);
    worker.postMessage(message);
  });
}

/** Calls to `bystander` one after the other for `ms`, each timed: p99 in ms. */
async function bystanderP99(runtime: GenServerRuntime, ms: number): Promise<number> {
  const times: number[] = [];
  const end = nowMs() + ms;
  while (nowMs() < end) {
    const start = nowMs();
    await runtime.call('bystander', { type: 'ping' });
    times.push(nowMs() - start);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const sorted = Float64Array.from(times).sort();
  return percentile(sorted, 99);
}

export async function isolation(log: (line: string) => void): Promise<IsolationFigures> {
  const app = await NestFactory.createApplicationContext(IsolationBenchModule, { logger: false });
  const runtime = app.get(GenServerRuntime);
  await runtime.start(IsoCounter, { name: 'iso' });
  const raw = echoWorker();
  await echo(raw, GET);

  log('(l) calls to an isolated process vs a raw postMessage echo…');
  const n = 20_000;
  const calls = await compare(
    5,
    async () => (n / (await timed(async () => { for (let i = 0; i < n; i++) await runtime.call('iso', GET); }))) * 1000,
    async () => (n / (await timed(async () => { for (let i = 0; i < n; i++) await echo(raw, GET); }))) * 1000,
  );

  log('(l′) casts to an isolated process vs raw postMessage…');
  const m = 100_000;
  const casts = await compare(
    5,
    async () => (m / (await timed(async () => {
      for (let i = 0; i < m; i++) void runtime.cast('iso', INC);
      await runtime.call('iso', GET, LONG);
    }))) * 1000,
    async () => (m / (await timed(async () => {
      for (let i = 0; i < m - 1; i++) raw.postMessage(INC);
      // The last one is echoed: by then the worker has read every message before it.
      let seen = 0;
      await new Promise<void>((resolve) => {
        const count = () => { if (++seen === m) { raw.off('message', count); resolve(); } };
        raw.on('message', count);
        raw.postMessage(GET);
      });
    }))) * 1000,
  );
  await raw.terminate();

  log('(m) isolated process start, cold and from a warm pool…');
  const cold: number[] = [];
  const light: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 10; i++) {
    cold.push(await timed(() => runtime.start(IsoCounter, { name: `cold-${i}` })));
    await runtime.stop(`cold-${i}`);
    light.push(await timed(() => runtime.start(LightCounter, { name: `light-${i}` })));
    await runtime.stop(`light-${i}`);
    await new Promise((resolve) => setTimeout(resolve, 600)); // the pool refills between warm starts
    warm.push(await timed(() => runtime.start(IsoCounter, { name: `warm-${i}`, supervisor: 'pool' })));
    await runtime.stop(`warm-${i}`);
  }

  log('(n) memory per isolated process…');
  const count = 10;
  const before = process.memoryUsage().rss;
  for (let i = 0; i < count; i++) await runtime.start(IsoCounter, { name: `mem-${i}` });
  for (let i = 0; i < count; i++) await runtime.call(`mem-${i}`, GET);
  const rssPerProcessMb = (process.memoryUsage().rss - before) / count / 2 ** 20;
  for (let i = 0; i < count; i++) await runtime.stop(`mem-${i}`);

  log('(o) another process\'s calls while one spins for 2 s…');
  const baselineP99 = await bystanderP99(runtime, 1000);
  const isolatedSpin = runtime.call('iso', { type: 'spin', ms: 2000 }, LONG);
  const isolatedP99 = await bystanderP99(runtime, 1800);
  await isolatedSpin;
  await runtime.start(LocalSpinner, { name: 'local-spin' });
  const localSpin = runtime.call('local-spin', { type: 'spin', ms: 2000 }, LONG);
  const localP99 = await bystanderP99(runtime, 1800);
  await localSpin;

  await app.close();
  return { calls, casts, coldStartMs: median(cold), lightColdStartMs: median(light), warmStartMs: median(warm), rssPerProcessMb, stall: { isolatedP99, localP99, baselineP99 } };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The BENCHMARKS.md section. */
export function isolationSection(f: IsolationFigures): string {
  return `## (l–o) Isolated processes (\`isolation: 'worker'\`)

| figure | ours | baseline | ours / baseline |
|---|---|---|---|
| (l) sequential calls/s to an isolated process vs a raw \`postMessage\` echo worker (target ≥ 80%) | ${fmt(f.calls.ours)} | ${fmt(f.calls.base)} | ${fmt((f.calls.ours / f.calls.base) * 100)}% |
| (l′) casts/s (100 000, then one call) vs raw \`postMessage\` (then one echo) | ${fmt(f.casts.ours)} | ${fmt(f.casts.base)} | ${fmt((f.casts.ours / f.casts.base) * 100)}% |
| (m) start of an isolated process, median of 10: cold / from a warm pool (\`warm: 2\`) | ${fmt(f.coldStartMs, 1)} ms / ${fmt(f.warmStartMs, 1)} ms | | |
| (m′) cold start of an isolated process whose file imports only \`nestjs-genserver/process\` | ${fmt(f.lightColdStartMs, 1)} ms | | |
| (n) RSS per idle isolated process (10 started) | ${fmt(f.rssPerProcessMb, 1)} MB | | |
| (o) p99 of another process's calls while one spins 2 s: isolated / in-process / nothing spinning | ${fmt(f.stall.isolatedP99 * 1000)} µs / ${fmt(f.stall.localP99)} ms / ${fmt(f.stall.baselineP99 * 1000)} µs | | |
`;
}
