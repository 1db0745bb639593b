import { failover, failoverSection, failoverSkipReason } from './failover.js';

/** Only (k), failover, printed as its BENCHMARKS.md section: `npm run bench:failover`. */
async function main() {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const skipped = failoverSkipReason();
  log(failoverSection(skipped ? { skipped } : await failover(log)));
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
