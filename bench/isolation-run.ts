import 'reflect-metadata';
import { isolation, isolationSection } from './isolation.js';

/** Only the isolation figures (l–o): `npm run bench:isolation`. */
async function main() {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(isolationSection(await isolation(log)));
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
