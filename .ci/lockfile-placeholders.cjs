// npm >= 11.16 leaves optional platform packages the registry here cannot serve (e.g. darwin and
// win32 builds of @unrs/resolver-binding, pulled in by jest 30) out of package-lock.json, and then
// `npm ci` rejects its own lock file (npm/cli#9846). This adds the inert entries older npm wrote:
// name, version, os and cpu, so `npm ci` sees a complete lock and skips them as foreign platforms.
// Run after any `npm install` that rewrites the lock: `npm run lock:placeholders`.
const fs = require('node:fs');

const file = 'package-lock.json';
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const added = [];
for (const [path, meta] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${path}/node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[hoisted]) continue;
    // Platform packages are named <scope>/<prefix>-<os>-<cpu>[-<abi>].
    const match = /-(android|darwin|freebsd|linux|openharmony|win32|wasm32)-([a-z0-9]+)/.exec(name);
    if (!match) throw new Error(`${name}@${version} is missing from the lock and is not a platform package`);
    const [, os, cpu] = match;
    lock.packages[hoisted] = { version, cpu: [os === 'wasm32' ? 'wasm32' : cpu], os: [os === 'wasm32' ? 'wasi' : os], optional: true };
    added.push(`${name}@${version}`);
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(added.length ? `added ${added.length} placeholder(s): ${added.join(', ')}\n` : 'lock file complete\n');
