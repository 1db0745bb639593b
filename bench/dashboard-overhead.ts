import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GenServerModule, GenServerRuntime } from 'nestjs-genserver';
import { GenServerDashboardModule } from 'nestjs-genserver/dashboard';
import { BenchCounter, benchOptions } from './bench.processes.js';
import { median, nowMs } from './measure.js';
import { fmt, met, pct } from './format.js';

const PROCESSES = 10_000;
const CALLERS = 200;
const ROUND_MS = 3000;
const RUNS = 8;
const INC = { type: 'inc' };
const GET = { type: 'get' };

export interface DashboardFigures {
  /** Messages/s against an app without the module: with it and no page open, one page open, none open again. */
  readonly closed: { ours: number; base: number };
  readonly open: { ours: number; base: number };
  readonly after: { ours: number; base: number };
  /** What one open page was sent per second, and how long each update took to compute, median. */
  readonly bytesPerSecond: number;
  readonly treeMs: number;
}

function appWith(dashboard: boolean): DynamicModule {
  @Module({})
  class DashboardBench {}
  return {
    module: DashboardBench,
    imports: [GenServerModule.forRoot({ ...benchOptions, supervision: { name: 'root', strategy: 'one_for_one', children: [{ name: 'pool', type: 'dynamic_supervisor' }] } }), ...(dashboard ? [GenServerDashboardModule.forRoot()] : [])],
    providers: [BenchCounter],
  };
}

async function boot(dashboard: boolean): Promise<{ app: INestApplication; runtime: GenServerRuntime; names: string[] }> {
  const app = await NestFactory.create(appWith(dashboard), { logger: false });
  await app.listen(0, '127.0.0.1');
  const runtime = app.get(GenServerRuntime);
  const names = Array.from({ length: PROCESSES }, (_, i) => `w${i}`);
  for (const name of names) await runtime.start(BenchCounter, { name, supervisor: 'pool' });
  return { app, runtime, names };
}

/**
 * The load: `CALLERS` concurrent loops, each sending 4 casts and then a call to processes picked by a
 * fixed pseudo-random walk over all 10 000, for `ROUND_MS`, letting the event loop turn every 50
 * rounds. Messages handled per second.
 */
async function load(runtime: GenServerRuntime, names: string[]): Promise<number> {
  let handled = 0;
  const end = nowMs() + ROUND_MS;
  const started = nowMs();
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, caller) => {
      let at = caller * 7919;
      for (let round = 1; nowMs() < end; round++) {
        for (let i = 0; i < 4; i++) void runtime.cast(names[(at = (at + 104_729) % PROCESSES)]!, INC);
        await runtime.call(names[(at = (at + 104_729) % PROCESSES)]!, GET);
        handled += 5;
        // Work in an app arrives through I/O, so its event loop turns (timers, sockets); so does this one's.
        if (round % 50 === 0) await new Promise(setImmediate);
      }
    }),
  );
  return (handled / (nowMs() - started)) * 1000;
}

/**
 * Runs the two sides in A B B A order (each then runs first as often as second: whichever runs after
 * the other pays for the garbage it left), one warm-up each; the medians.
 */
async function compareAbba(runs: number, ours: () => Promise<number>, base: () => Promise<number>): Promise<{ ours: number; base: number }> {
  await ours();
  await base();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      a.push(await ours());
      b.push(await base());
    } else {
      b.push(await base());
      a.push(await ours());
    }
  }
  return { ours: median(a), base: median(b) };
}

/** An open page, in a process of its own as a browser would be: it reads the event stream and counts bytes. */
function openPage(port: number): Promise<{ page: ChildProcess; bytes: () => Promise<number> }> {
  const script = `
    const http = require('node:http');
    let bytes = 0;
    http.get({ host: '127.0.0.1', port: ${port}, path: '/genserver/api/events', headers: { accept: 'text/event-stream' } }, (res) => {
      res.on('data', (chunk) => { if (bytes === 0) process.send('open'); bytes += chunk.length; });
    });
    process.on('message', () => process.send(bytes));`;
  const page = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    page.once('error', reject);
    page.once('message', () =>
      resolve({
        page,
        bytes: () =>
          new Promise((answer) => {
            page.once('message', (count) => answer(Number(count)));
            page.send('count');
          }),
      }),
    );
  });
}

/**
 * (p) The dashboard's cost at 10 000 processes under load: throughput without the dashboard module,
 * with it and no page open, and with one page open (its event stream read by another Node process).
 */
export async function dashboardOverhead(log: (line: string) => void): Promise<DashboardFigures> {
  const plain = await boot(false);
  const watched = await boot(true);
  const { port } = watched.app.getHttpServer().address() as AddressInfo;
  log(`  ${PROCESSES} processes in each app; without vs with the module, no page…`);
  const closed = await compareAbba(RUNS, () => load(watched.runtime, watched.names), () => load(plain.runtime, plain.names));
  log('  without vs one page open…');
  const rates: number[] = [];
  const updates: number[] = [];
  const open = await compareAbba(
    RUNS,
    async () => {
      const { page, bytes } = await openPage(port);
      const before = await bytes();
      const t0 = nowMs();
      const rate = await load(watched.runtime, watched.names);
      rates.push(((await bytes()) - before) / ((nowMs() - t0) / 1000));
      updates.push(treeMs(watched.runtime));
      page.kill();
      await new Promise((resolve) => page.once('exit', resolve));
      return rate;
    },
    () => load(plain.runtime, plain.names),
  );
  // Profiling must leave nothing behind: a page once open must not slow the runtime after it closed.
  log('  without vs the module again, no page open, after pages were open…');
  const after = await compareAbba(RUNS, () => load(watched.runtime, watched.names), () => load(plain.runtime, plain.names));
  await plain.app.close();
  await watched.app.close();
  return { closed, open, after, bytesPerSecond: median(rates), treeMs: median(updates) };
}

/** How long `runtime.tree()`, which each update reads, takes at 10 000 processes while profiled (the page still open). */
function treeMs(runtime: GenServerRuntime): number {
  const t0 = nowMs();
  for (let i = 0; i < 5; i++) runtime.tree();
  return (nowMs() - t0) / 5;
}

export function dashboardSection(f: DashboardFigures): string {
  return `### (p) Dashboard at ${fmt(PROCESSES)} processes under load

${CALLERS} concurrent callers each send 4 casts then a call to processes spread over all ${fmt(PROCESSES)}
(a dynamic supervisor's children), ${ROUND_MS / 1000} s per run, ${RUNS} runs alternating with an app without
the dashboard module in the same Node process (median). An open page is another Node process reading
the event stream, as a browser would; while it is open the runtime is profiled (handler times, mailbox ages).
The last row runs after the page-open runs: what profiling leaves behind in a runtime (timers, figures) would
show there. Both apps share the Node process and so V8's object shapes: a shape change (such as a field of every
envelope turned into a boxed double) would slow both alike, so it shows in the page-open row only.

| case | messages/s | without the module | ratio | target |
|---|---:|---:|---:|---|
| module imported, no page open | ${fmt(f.closed.ours)} | ${fmt(f.closed.base)} | ${pct(f.closed.ours, f.closed.base)} | loss < 2%: ${met(f.closed.ours >= 0.98 * f.closed.base)} |
| one page open | ${fmt(f.open.ours)} | ${fmt(f.open.base)} | ${pct(f.open.ours, f.open.base)} | loss < 5%: ${met(f.open.ours >= 0.95 * f.open.base)} |
| no page open again, after pages were open | ${fmt(f.after.ours)} | ${fmt(f.after.base)} | ${pct(f.after.ours, f.after.base)} | loss < 2%: ${met(f.after.ours >= 0.98 * f.after.base)} |

One open page was sent ${fmt(f.bytesPerSecond / 1024, 1)} KiB/s (the union of the top-50 views and the tree's shape,
cut to 100 children per supervisor). Each update reads \`runtime.tree()\` once: ${fmt(f.treeMs, 1)} ms at ${fmt(PROCESSES)} processes, profiled.
`;
}
