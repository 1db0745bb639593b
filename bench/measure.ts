/** Small timing helpers for the benchmark run. */
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** CPU time a `process.cpuUsage()` reading holds, µs (user + system). */
export const cpuUs = (usage: NodeJS.CpuUsage) => usage.user + usage.system;

export async function timed(fn: () => Promise<void>): Promise<number> {
  const start = nowMs();
  await fn();
  return nowMs() - start;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function percentile(sortedNs: Float64Array, p: number): number {
  return sortedNs[Math.min(sortedNs.length - 1, Math.floor((p / 100) * sortedNs.length))]!;
}

export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the benchmarks with node --expose-gc (npm run bench does)');
  gc();
}

/**
 * Runs the two sides alternately (A B A B …) so that drift of a shared machine hits both alike;
 * one warm-up each; returns the medians. No forced collection between runs: a full GC shrinks
 * V8's young generation, which then penalizes whichever side allocates more — not what an app sees.
 */
export async function compare(runs: number, ours: () => Promise<number>, base: () => Promise<number>): Promise<{ ours: number; base: number }> {
  await ours();
  await base();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await ours());
    b.push(await base());
  }
  return { ours: median(a), base: median(b) };
}
