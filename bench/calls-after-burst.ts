import { GenServerRuntime } from 'nestjs-genserver';
import { BaselineActor } from './baseline-actor.js';
import { counterHandler } from './bench.processes.js';
import { BenchCounter } from './bench.processes.js';
import { compare, timed } from './measure.js';

const INC = { type: 'inc' };
const GET = { type: 'get' };

/**
 * (b′) Sequential calls right after a burst of casts. A burst keeps its envelopes alive through
 * scavenges; if V8 then decided to allocate envelopes in old space (allocation-site pretenuring),
 * every later call's envelope would be born old and keep its young pending-call record alive:
 * this case measures calls in exactly that situation.
 */
export async function callsAfterBurst(runtime: GenServerRuntime, name: string, burst: number, calls: number): Promise<{ ours: number; base: number }> {
  await runtime.start(BenchCounter, { name });
  const actor = new BaselineActor({ n: 0 }, counterHandler);
  for (let i = 0; i < burst; i++) void runtime.cast(name, INC);
  await runtime.call(name, GET, { timeout: 600_000 });
  for (let i = 0; i < burst; i++) actor.cast(INC);
  await actor.call(GET);
  const loop = (call: () => Promise<unknown>) =>
    timed(async () => {
      for (let i = 0; i < calls; i++) await call();
    }).then((ms) => (calls / ms) * 1000);
  const result = await compare(
    5,
    () => loop(() => runtime.call(name, GET)),
    () => loop(() => actor.call(GET)),
  );
  await runtime.stop(name);
  return result;
}
