import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a fixture app in its own Node process against the built package (dist/, as published). */
async function runFixture(file: string) {
  const { stdout } = await run(process.execPath, [`test/fixtures/${file}`], { cwd: root, timeout: 30_000 });
  return JSON.parse(stdout);
}

describe('the built package loads in both module systems', () => {
  beforeAll(() => {
    if (!existsSync(`${root}/dist/index.js`)) throw new Error('dist/ is missing: `npm test` builds it first (npm run build)');
  });

  it('works from a CommonJS Nest app with require()', async () => {
    expect(await runFixture('interop-app.cjs')).toEqual({ echoed: 'hi', calls: 1, format: 'cjs' });
  });

  it('works from an ES-module Nest app with import', async () => {
    expect(await runFixture('interop-app.mjs')).toEqual({ echoed: 'hi', calls: 1, format: 'esm' });
  });
});
