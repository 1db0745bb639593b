import { PerformanceObserver } from 'node:perf_hooks';
import { GenServerRuntime } from 'nestjs-genserver';
import { BaselineActor } from './baseline-actor.js';
import { BenchCounter, counterHandler } from './bench.processes.js';
import { median, timed } from './measure.js';

const INC = { type: 'inc' };
const GET = { type: 'get' };
const LONG = { timeout: 600_000 };

export interface SweepRow {
  processes: number;
  ours: number;
  base: number;
  /** Share of the timed run spent in garbage collection (median over runs). */
  oursGc: number;
  baseGc: number;
}

/** Sums the GC pauses reported while `fn` runs (entries arrive asynchronously, so it waits a turn). */
async function withGc(fn: () => Promise<number>): Promise<{ ms: number; gcMs: number }> {
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  const ms = await fn();
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  for (const entry of observer.takeRecords()) gcMs += entry.duration;
  observer.disconnect();
  return { ms, gcMs };
}

/**
 * Where the per-process cost of (c) goes: the same 1 000 000 casts spread over 1, 10, 100 and
 * 1 000 processes (round-robin, then one call each), ours against the baseline, with the share
 * of each timed run spent in garbage collection.
 */
export async function fanOutSweep(runtime: GenServerRuntime, total: number, runs: number): Promise<SweepRow[]> {
  const rows: SweepRow[] = [];
  let seq = 0;
  for (const processes of [1, 10, 100, 1000]) {
    const each = total / processes;
    const ours = async () => {
      const names = Array.from({ length: processes }, () => `sweep${seq++}`);
      for (const name of names) await runtime.start(BenchCounter, { name });
      const r = await withGc(() =>
        timed(async () => {
          for (let m = 0; m < each; m++) for (const name of names) void runtime.cast(name, INC);
          await Promise.all(names.map((name) => runtime.call(name, GET, LONG)));
        }),
      );
      for (const name of names) await runtime.stop(name);
      return r;
    };
    const base = async () => {
      const actors = Array.from({ length: processes }, () => new BaselineActor({ n: 0 }, counterHandler));
      return withGc(() =>
        timed(async () => {
          for (let m = 0; m < each; m++) for (const actor of actors) actor.cast(INC);
          await Promise.all(actors.map((actor) => actor.call(GET)));
        }),
      );
    };
    await ours();
    await base();
    const a: { ms: number; gcMs: number }[] = [];
    const b: { ms: number; gcMs: number }[] = [];
    for (let i = 0; i < runs; i++) {
      a.push(await ours());
      b.push(await base());
    }
    rows.push({
      processes,
      ours: median(a.map((r) => (total / r.ms) * 1000)),
      base: median(b.map((r) => (total / r.ms) * 1000)),
      oursGc: median(a.map((r) => r.gcMs / r.ms)),
      baseGc: median(b.map((r) => r.gcMs / r.ms)),
    });
  }
  return rows;
}
