import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface CallRun {
  ours: number;
  base: number;
  ratio: number;
}

/** Runs (b′) `runs` times, each in a fresh Node process, one after the other. */
export function callRuns(runs: number, log: (s: string) => void = () => {}): CallRun[] {
  const script = fileURLToPath(new URL('./call-run.js', import.meta.url));
  const results: CallRun[] = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--expose-gc', script], { encoding: 'utf8' });
    const { ours, base } = JSON.parse(out.trim().split('\n').pop()!) as { ours: number; base: number };
    results.push({ ours, base, ratio: ours / base });
    log(`  run ${i + 1}: ${Math.round(ours).toLocaleString('en-US')} calls/s, baseline ${Math.round(base).toLocaleString('en-US')}, ratio ${(ours / base).toFixed(2)}`);
  }
  return results;
}

// `npm run bench:calls`: only the 10 fresh-process runs, printed (BENCHMARKS.md is left alone).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = Number(process.argv[2] ?? 10);
  const results = callRuns(runs, (s) => process.stdout.write(`${s}\n`));
  const ratios = results.map((r) => r.ratio).sort((a, b) => a - b);
  process.stdout.write(`ratios sorted: ${ratios.map((r) => r.toFixed(2)).join(' ')}; below 0.5: ${ratios.filter((r) => r < 0.5).length} of ${runs}\n`);
}
