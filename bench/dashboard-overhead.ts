import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GenServerModule, GenServerRuntime } from 'nestjs-genserver';
import { GenServerDashboardModule } from 'nestjs-genserver/dashboard';
import { BenchCounter, benchOptions } from './bench.processes.js';
import { median, nowMs } from './measure.js';
import { fmt, met } from './format.js';

const PROCESSES = 10_000;
const CALLERS = 200;
const ROUND_MS = 2000;
const RUNS = 16;
/** Fresh Node processes on each side of the no-page comparison, and the runs each makes after its warm-up. */
const CHILD_PAIRS = 10;
const CHILD_RUNS = 2;
/** How long a page has been open when a page-open run starts. */
const SETTLE_MS = 1500;
const INC = { type: 'inc' };
const GET = { type: 'get' };

/** Medians of each side's rates, and the median of the ratios of runs side by side. */
export interface Paired {
  readonly ours: number;
  readonly base: number;
  readonly ratio: number;
  /** The first and third quartiles of the ratios: how far one pair of runs may be from the next. */
  readonly low: number;
  readonly high: number;
}

export interface DashboardFigures {
  /** Messages/s against an app without the module: with it and no page open, one page open, none open again. */
  readonly closed: Paired;
  readonly open: Paired;
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
 * Runs the two sides in A B B A order (each runs first as often as second: whichever runs after the
 * other pays for the garbage it left), one warm-up each. On this shared VM one side's rate moves by
 * ±15% from run to run, far more than the few percent measured here, so the figure is the median of
 * the ratios of runs next to each other in time, which drift alike.
 */
async function pairs(runs: number, ours: () => Promise<number>, base: () => Promise<number>, warmUp = true): Promise<Paired> {
  if (warmUp) {
    await ours();
    await base();
  }
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
  const ratios = a.map((rate, i) => rate / b[i]!).sort((x, y) => x - y);
  return { ours: median(a), base: median(b), ratio: median(ratios), low: ratios[Math.floor(ratios.length / 4)]!, high: ratios[Math.floor((ratios.length * 3) / 4)]! };
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
 * One side of the no-page comparison, run in a fresh Node process (`dashboard-run.js --app …`): an app
 * with or without the module, a warm-up, then the median of `CHILD_RUNS` runs.
 */
export async function childRate(dashboard: boolean): Promise<number> {
  const app = await boot(dashboard);
  await load(app.runtime, app.names);
  const rates: number[] = [];
  for (let i = 0; i < CHILD_RUNS; i++) rates.push(await load(app.runtime, app.names));
  await app.app.close();
  return median(rates);
}

function childRateOf(dashboard: boolean): Promise<number> {
  const script = fileURLToPath(new URL('./dashboard-run.js', import.meta.url));
  const out = execFileSync(process.execPath, [script, '--app', dashboard ? 'module' : 'plain'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return Promise.resolve(Number(out.trim().split('\n').pop()));
}

/**
 * (p) The dashboard's cost at 10 000 processes under load. No page open: fresh Node processes with
 * and without the module, alternately (two apps in one process differ by which was built first,
 * by up to 13% here, more than the effect measured). One page open: the same app with and without
 * a page open, alternately (its event stream read by another Node process, as a browser would).
 */
export async function dashboardOverhead(log: (line: string) => void): Promise<DashboardFigures> {
  log(`  with vs without the module, no page open: ${CHILD_PAIRS} fresh Node processes each…`);
  const closed = await pairs(CHILD_PAIRS, () => childRateOf(true), () => childRateOf(false), false);
  log('  one page open vs none, same app…');
  const watched = await boot(true);
  const { port } = watched.app.getHttpServer().address() as AddressInfo;
  const rates: number[] = [];
  const updates: number[] = [];
  const open = await pairs(
    RUNS,
    async () => {
      const { page, bytes } = await openPage(port);
      // A page stays open for a while: its first second (every process's figures set up, the first
      // update) is paid once, not every few seconds; it is left out of the run.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const before = await bytes();
      const t0 = nowMs();
      const rate = await load(watched.runtime, watched.names);
      rates.push(((await bytes()) - before) / ((nowMs() - t0) / 1000));
      updates.push(treeMs(watched.runtime));
      page.kill();
      await new Promise((resolve) => page.once('exit', resolve));
      return rate;
    },
    () => load(watched.runtime, watched.names),
  );
  await watched.app.close();
  return { closed, open, bytesPerSecond: median(rates), treeMs: median(updates) };
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
(a dynamic supervisor's children), letting the event loop turn every 50 rounds, ${ROUND_MS / 1000} s per run.
- No page open: ${CHILD_PAIRS} fresh Node processes with the module and ${CHILD_PAIRS} without, alternately (A B B A …), each
  the median of ${CHILD_RUNS} runs after a warm-up. Two apps in one Node process differ by which was built first (by up to
  13% on this VM), more than what is measured here. Fresh processes differ too (some fall into a slow mode for their
  whole life, see (b″)), so this row bounds the cost only loosely. With no page open the message path is the same
  with and without the module: the profiling hook in it is one field read when a message is queued and one when its
  handler runs.
- One page open: the same app with a page open and with none, ${RUNS} runs each, alternately. The page is another Node
  process reading the event stream, as a browser would; while it is open the runtime is profiled (handler times,
  mailbox ages). Each page-open run starts ${fmt(SETTLE_MS / 1000, 1)} s after the page opened: its first second (setting up
  every process's figures, the first snapshot) is paid once per page, not per run. The runs without it come after pages were open: anything profiling left behind would slow them and
  flatter this ratio (the profiling spec checks that nothing is: no timer, no figures).

On this VM one run's rate moves by ±15% from the next, so the figure judged is the median of the ratios of runs
side by side in time. \`npm run bench:dashboard\` runs only this.

| case | messages/s (median) | baseline (median) | median ratio of side-by-side runs | quartiles of the ratios | target |
|---|---:|---:|---:|---:|---|
| module imported, no page open, against no module | ${fmt(f.closed.ours)} | ${fmt(f.closed.base)} | ${fmt(f.closed.ratio * 100, 1)}% | ${fmt(f.closed.low * 100)}–${fmt(f.closed.high * 100)}% | loss < 2%: ${met(f.closed.ratio >= 0.98)} |
| one page open, against none | ${fmt(f.open.ours)} | ${fmt(f.open.base)} | ${fmt(f.open.ratio * 100, 1)}% | ${fmt(f.open.low * 100)}–${fmt(f.open.high * 100)}% | loss < 5%: ${met(f.open.ratio >= 0.95)} |

One open page was sent ${fmt(f.bytesPerSecond / 1024, 1)} KiB/s (the union of the top-50 views and the tree's shape,
cut to 100 children per supervisor). Each update reads \`runtime.tree()\` once: ${fmt(f.treeMs, 1)} ms at ${fmt(PROCESSES)} processes, profiled.
`;
}
