import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** What `npm pack --dry-run --json` says about the one tarball it would write. */
interface PackReport {
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}

/** A sane ceiling for the packed tarball; today's is well under half of it. */
const MAX_PACKED_BYTES = 1024 * 1024;

/** Every file path an `exports` entry points at, however deeply its conditions nest. */
function exportTargets(entry: unknown): string[] {
  if (typeof entry === 'string') return [entry];
  if (entry === null || typeof entry !== 'object') return [];
  return Object.values(entry).flatMap(exportTargets);
}

describe('the published package (npm pack --dry-run)', () => {
  let report: PackReport;
  let shipped: Set<string>;

  beforeAll(async () => {
    if (!existsSync(`${root}/dist/index.js`)) throw new Error('dist/ is missing: `npm test` builds it first (npm run build)');
    // --ignore-scripts: a prepack/prepare script must not rebuild dist/ under the other suites' feet.
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      timeout: 30_000,
    });
    [report] = JSON.parse(stdout) as PackReport[];
    shipped = new Set(report.files.map((f) => f.path));
    process.stdout.write(
      `npm pack: ${report.entryCount} files, ${(report.size / 1024).toFixed(1)} kB packed, ` +
        `${(report.unpackedSize / 1024).toFixed(1)} kB unpacked\n`,
    );
  });

  it('ships only the build, the README, the LICENSE and package.json', () => {
    const outside = [...shipped].filter((p) => !p.startsWith('dist/'));
    expect(outside.sort()).toEqual(['LICENSE', 'README.md', 'package.json']);
  });

  it('ships no tests, sample, benchmarks or TypeScript sources', () => {
    const stray = [...shipped].filter(
      (p) =>
        /(^|\/)(test|sample|bench)\//.test(p) ||
        /\.(spec|e2e-spec)\.[cm]?[jt]s(\.map)?$/.test(p) ||
        (p.endsWith('.ts') && !p.endsWith('.d.ts')),
    );
    expect(stray).toEqual([]);
  });

  it('ships source maps that carry their sources, and only maps that the code points at', () => {
    const maps = [...shipped].filter((p) => p.endsWith('.map'));
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(`${root}/${map}`, 'utf8')) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      // The sources themselves (../lib/*.ts) are not shipped, so the map must hold their text.
      expect({ map, carried: sourcesContent?.length }).toEqual({ map, carried: sources.length });
      expect({ map, missing: sourcesContent!.filter((s) => typeof s !== 'string').length }).toEqual({ map, missing: 0 });
    }
    for (const js of [...shipped].filter((p) => p.endsWith('.js'))) {
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(`${root}/${js}`, 'utf8'))?.[1];
      if (url === undefined) continue;
      const target = `${js.slice(0, js.lastIndexOf('/') + 1)}${url}`;
      expect({ js, mapShipped: shipped.has(target) }).toEqual({ js, mapShipped: true });
    }
  });

  it('ships every file that package.json exports, main and types point at', () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'));
    const targets = [...exportTargets(pkg.exports), pkg.main, pkg.types].map((t: string) => t.replace(/^\.\//, ''));
    expect(targets.length).toBeGreaterThan(2);
    expect(targets.filter((t) => !shipped.has(t))).toEqual([]);
  });

  it(`stays under ${MAX_PACKED_BYTES / 1024} kB packed`, () => {
    expect(report.size).toBeLessThan(MAX_PACKED_BYTES);
  });
});
