import 'reflect-metadata';
import { dashboardOverhead, dashboardSection } from './dashboard-overhead.js';

/** Only the dashboard figure (p): `npm run bench:dashboard`. */
async function main() {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(dashboardSection(await dashboardOverhead(log)));
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
