import 'reflect-metadata';
import { childRate, dashboardOverhead, dashboardSection } from './dashboard-overhead.js';

/**
 * Only the dashboard figure (p): `npm run bench:dashboard` prints its section. With `--json` (how
 * `npm run bench` runs it, in a fresh Node process) progress goes to stderr and the figures, as JSON, to stdout.
 */
async function main() {
  const app = process.argv.indexOf('--app');
  if (app >= 0) {
    // One side of the no-page comparison, in this fresh process: its rate alone on stdout.
    process.stdout.write(`${await childRate(process.argv[app + 1] === 'module')}\n`);
    return;
  }
  const json = process.argv.includes('--json');
  const log = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
  const figures = await dashboardOverhead(log);
  if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);
  else log(dashboardSection(figures));
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
