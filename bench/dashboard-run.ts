import 'reflect-metadata';
import { dashboardOverhead, dashboardSection } from './dashboard-overhead.js';

/**
 * Only the dashboard figure (p): `npm run bench:dashboard` prints its section. With `--json` (how
 * `npm run bench` runs it, in a fresh Node process) progress goes to stderr and the figures, as JSON, to stdout.
 */
async function main() {
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
