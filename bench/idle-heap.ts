import { GenServerRuntime } from 'nestjs-genserver';
import { BaselineActor } from './baseline-actor.js';
import { BenchCounter, counterHandler } from './bench.processes.js';
import { collectGarbage, timed } from './measure.js';

let seq = 0;

/**
 * (d) Heap growth per started, idle process: the heap after a full collection, before and after
 * `count` processes were started (and nothing sent to them), divided by `count`; then the same for
 * the baseline actor.
 */
export async function idleHeap(runtime: GenServerRuntime, count: number): Promise<{ ours: number; base: number; startUs: number }> {
  collectGarbage();
  let before = process.memoryUsage().heapUsed;
  const names = Array.from({ length: count }, () => `p${seq++}`);
  const startMs = await timed(async () => {
    for (const name of names) await runtime.start(BenchCounter, { name });
  });
  collectGarbage();
  const ours = (process.memoryUsage().heapUsed - before) / count;
  for (const name of names) await runtime.stop(name);
  collectGarbage();
  before = process.memoryUsage().heapUsed;
  const actors = Array.from({ length: count }, () => new BaselineActor({ n: 0 }, counterHandler));
  collectGarbage();
  const base = (process.memoryUsage().heapUsed - before) / count;
  if (actors.length !== count) throw new Error('unreachable: keeps the actors alive until measured');
  return { ours, base, startUs: (startMs * 1000) / count };
}
