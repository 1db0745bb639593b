import 'reflect-metadata';
import { telemetryOverhead } from './telemetry-overhead.js';

/** `node --expose-gc out/bench/telemetry-only.js`: section (h) alone, printed as JSON. */
telemetryOverhead(Number(process.argv[2] ?? 100_000)).then(
  (figures) => process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
