import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// #11: the README's "Testing your processes" set-up works in a user's project: its jest config and
// its example spec, copied as printed into a fresh ES-module app and a fresh CommonJS app, run
// green under jest against the package as installed (its exports, dist/ and .d.ts files).

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The fenced blocks of one language under the README heading `heading`. */
function blocksUnder(heading: string, lang: string): string[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/** A user's app folder: the package "installed" as a link to this repo, its dev dependencies linked from ours. */
function userApp(kind: 'commonjs' | 'module'): string {
  const dir = join(root, 'out/user-jest', kind);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry !== '.bin') symlinkSync(join(root, 'node_modules', entry), join(dir, 'node_modules', entry), 'dir');
  }
  symlinkSync(root, join(dir, 'node_modules/nestjs-genserver'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `user-${kind}`, type: kind, private: true }));
  const module = kind === 'module' ? { module: 'nodenext', moduleResolution: 'nodenext' } : { module: 'commonjs', esModuleInterop: true };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', strict: true, experimentalDecorators: true, emitDecoratorMetadata: true, skipLibCheck: true, types: ['node', 'jest'], ...module } }));
  const [config] = blocksUnder('Testing your processes', 'js');
  const [spec] = blocksUnder('Testing your processes', 'ts');
  writeFileSync(join(dir, 'jest.config.mjs'), config!);
  mkdirSync(join(dir, 'test'));
  writeFileSync(join(dir, 'test/reminder.spec.ts'), spec!);
  return dir;
}

async function jestIn(dir: string): Promise<{ numPassedTests: number; numFailedTests: number; success: boolean; messages: string }> {
  const out = join(dir, 'result.json');
  // The script line the README gives, with --json to read the outcome.
  await run(process.execPath, ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--json', `--outputFile=${out}`, '--rootDir', dir], { cwd: dir }).catch(() => undefined);
  const result = JSON.parse(readFileSync(out, 'utf8')) as { numPassedTests: number; numFailedTests: number; success: boolean; testResults: { message: string }[] };
  return { ...result, messages: result.testResults.map((r) => r.message).join('\n') };
}

describe("the README's jest set-up in a user's project", () => {
  it.each(['module', 'commonjs'] as const)('runs the README spec green in a fresh %s app', async (kind) => {
    const result = await jestIn(userApp(kind));
    expect(result.messages).toBe('');
    expect(result).toMatchObject({ success: true, numFailedTests: 0, numPassedTests: 2 });
  }, 120_000);
});
