import nact from 'nact';
import { GenServerRuntime } from 'nestjs-genserver';
import { BaselineActor } from './baseline-actor.js';
import { BenchCounter, counterHandler } from './bench.processes.js';
import { collectGarbage, median, timed } from './measure.js';

export interface SpawnFigures {
  ours: number;
  nact: number;
  baseline: number;
  /** Every run's figure, for the spread. */
  runs: { ours: number[]; nact: number[]; baseline: number[] };
}

const perSec = (count: number, ms: number) => (count / ms) * 1000;

/**
 * (i) Spawn rate: `count` named processes started one after the other, each awaited until its
 * `init` has run (nact's `spawn` and the baseline's constructor are synchronous). Stopping them is
 * not timed, and a full collection before each timed part keeps its garbage out of the next one.
 * The three run in turn (A B C A B C …) after a warm-up each; medians of `runs`.
 */
export async function spawnRate(runtime: GenServerRuntime, count: number, runs: number): Promise<SpawnFigures> {
  let seq = 0;
  const ours = async () => {
    const names = Array.from({ length: count }, () => `spawn${seq++}`);
    collectGarbage();
    const ms = await timed(async () => {
      for (const name of names) await runtime.start(BenchCounter, { name });
    });
    for (const name of names) await runtime.stop(name);
    return perSec(count, ms);
  };
  const system = nact.start();
  const nactRun = async () => {
    const actors: ReturnType<typeof nact.spawn>[] = [];
    collectGarbage();
    const ms = await timed(async () => {
      for (let i = 0; i < count; i++) actors.push(nact.spawn(system, (state: { n: number } = { n: 0 }) => ({ n: state.n + 1 }), `a${seq++}`));
    });
    for (const actor of actors) nact.stop(actor);
    return perSec(count, ms);
  };
  const baseline = async () => {
    const actors: BaselineActor<{ n: number }>[] = [];
    collectGarbage();
    const ms = await timed(async () => {
      for (let i = 0; i < count; i++) actors.push(new BaselineActor({ n: 0 }, counterHandler));
    });
    if (actors.length !== count) throw new Error('unreachable: keeps the actors alive until measured');
    return perSec(count, ms);
  };
  await ours();
  await nactRun();
  await baseline();
  const all = { ours: [] as number[], nact: [] as number[], baseline: [] as number[] };
  for (let i = 0; i < runs; i++) {
    all.ours.push(await ours());
    all.nact.push(await nactRun());
    all.baseline.push(await baseline());
  }
  nact.stop(system);
  return { ours: median(all.ours), nact: median(all.nact), baseline: median(all.baseline), runs: all };
}
