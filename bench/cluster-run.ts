import { clusterSection } from './cluster-section.js';
import { clusterSkipReason, clusterThroughput } from './cluster-throughput.js';

/**
 * Only (j), the cluster over NATS, printed as its BENCHMARKS.md section (the file is left alone):
 * `npm run bench:cluster` (after `npm run build:apps`, `node out/bench/cluster-run.js`).
 */
async function main() {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const skipped = clusterSkipReason();
  log(clusterSection(skipped ? { skipped } : await clusterThroughput(log)));
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
