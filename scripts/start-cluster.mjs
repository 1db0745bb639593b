// `npm run start:cluster` (after `npm run build:apps`): a local nats-server with JetStream and three
// sample instances joined through it — nodes api-1, api-2 and api-3 on ports 3000, 3001 and 3002 —
// so that `POST /acquire` on any port draws from the one rate limiter. A nats-server already
// listening on 127.0.0.1:4222 is used as it is. Ctrl-C (or SIGTERM) stops the instances, then the
// nats-server this script started; a second Ctrl-C kills them.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const NATS_HOST = '127.0.0.1';
const NATS_PORT = 4222;
const NATS_URL = `nats://${NATS_HOST}:${NATS_PORT}`;
const INSTANCES = [
  { node: 'api-1', port: 3000 },
  { node: 'api-2', port: 3001 },
  { node: 'api-3', port: 3002 },
];
/** How long a child may take to stop after SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;
/** What the sample logs once it listens (sample/main.ts). */
const LISTENING = 'Sample app listening on';
const MAIN = fileURLToPath(new URL('../out/sample/main.js', import.meta.url));
const COLORS = [36, 35, 33, 32]; // cyan, magenta, yellow, green

/** Every child started here: { name, child, exited } */
const children = [];
let natsDir;
let stopping = false;

function say(message) {
  process.stdout.write(`[cluster] ${message}\n`);
}

/** A child's output, a line at a time, under its name; returns the reader of its stdout lines. */
function prefixed(name, color, child) {
  const tag = process.stdout.isTTY ? `\x1b[${color}m[${name}]\x1b[0m` : `[${name}]`;
  createInterface({ input: child.stderr }).on('line', (line) => process.stderr.write(`${tag} ${line}\n`));
  return createInterface({ input: child.stdout }).on('line', (line) => process.stdout.write(`${tag} ${line}\n`));
}

/**
 * Starts a child in a process group of its own, so that Ctrl-C reaches this script only and it
 * stops the children in order (the instances first, while NATS is still there to release leases).
 */
function start(name, command, args, env = process.env) {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const entry = { name, child, exited };
  children.push(entry);
  return entry;
}

/** What listens on the NATS port: 'free', 'other', or the INFO a nats-server greets every client with. */
function probeNats() {
  return new Promise((resolve) => {
    const socket = connect(NATS_PORT, NATS_HOST);
    let greeting = '';
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1000, () => done('other'));
    socket.once('error', (error) => done(error.code === 'ECONNREFUSED' ? 'free' : 'other'));
    socket.on('data', (chunk) => {
      greeting += chunk.toString();
      const end = greeting.indexOf('\r\n');
      if (end === -1) return;
      const line = greeting.slice(0, end);
      if (!line.startsWith('INFO ')) return done('other');
      try {
        done(JSON.parse(line.slice(5)));
      } catch {
        done('other');
      }
    });
  });
}

/** Starts `nats-server -js` on 127.0.0.1:4222 with a throwaway store; resolves once it is ready. */
async function startNats() {
  natsDir = mkdtempSync(join(tmpdir(), 'genserver-sample-nats-'));
  const nats = start('nats', 'nats-server', ['-js', '-a', NATS_HOST, '-p', String(NATS_PORT), '-sd', natsDir, '-n', 'genserver-sample']);
  const early = [];
  await new Promise((resolve, reject) => {
    const collect = (chunk) => {
      early.push(chunk.toString());
      if (!early.join('').includes('Server is ready')) return;
      nats.child.stdout.off('data', collect);
      nats.child.stderr.off('data', collect);
      nats.child.off('exit', exitedEarly);
      resolve();
    };
    const exitedEarly = (code, signal) => reject(new Error(`nats-server exited (${signal ?? code}) before it was ready:\n${early.join('')}`));
    nats.child.once('error', (error) => {
      if (error.code !== 'ENOENT') return reject(error);
      children.splice(children.indexOf(nats), 1);
      reject(new Error('nats-server is not on PATH. Install it (Debian/Ubuntu: apt-get install -y nats-server; elsewhere: https://docs.nats.io/running-a-nats-service/introduction/installation) and run npm run start:cluster again.'));
    });
    nats.child.once('exit', exitedEarly);
    nats.child.stdout.on('data', collect);
    nats.child.stderr.on('data', collect);
  });
  // from now on its log (warnings, errors) goes with the rest
  prefixed('nats', COLORS[3], nats.child);
  say(`started nats-server with JetStream on ${NATS_URL} (store ${natsDir}, removed on exit)`);
}

/** Starts one sample instance as a node of the cluster; resolves once it listens. */
function startInstance({ node, port }, color) {
  const env = {
    ...process.env,
    NATS_URL,
    GENSERVER_NODE: node,
    PORT: String(port),
    // Three instances printing every span to one terminal would drown the rest: off unless asked for.
    OTEL_TRACES_EXPORTER: process.env.OTEL_TRACES_EXPORTER ?? 'none',
    OTEL_METRICS_EXPORTER: process.env.OTEL_METRICS_EXPORTER ?? 'none',
  };
  const instance = start(node, process.execPath, [MAIN], env);
  const lines = prefixed(node, color, instance.child);
  return new Promise((resolve, reject) => {
    const listening = (line) => {
      if (!line.includes(LISTENING)) return;
      lines.off('line', listening);
      instance.child.off('exit', failed);
      resolve(instance);
    };
    const failed = (code, signal) => reject(new Error(`${node} exited (${signal ?? code}) before it listened on port ${port}`));
    lines.on('line', listening);
    instance.child.once('exit', failed);
  });
}

/** SIGTERM (SIGKILL after the grace period); resolves once the child has exited. */
async function stop({ name, child, exited }) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const escalate = setTimeout(() => {
    say(`${name} did not stop within ${STOP_GRACE_MS / 1000} s: killing it`);
    child.kill('SIGKILL');
  }, STOP_GRACE_MS);
  await exited;
  clearTimeout(escalate);
}

/** The instances first (they leave the cluster while NATS still runs), then the nats-server. */
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  const instances = children.filter((c) => c.name !== 'nats');
  const nats = children.find((c) => c.name === 'nats');
  await Promise.all(instances.map(stop));
  if (nats) await stop(nats);
  if (natsDir) rmSync(natsDir, { recursive: true, force: true });
  if (children.length > 0) say('stopped');
  process.exit(code);
}

function onSignal(signal) {
  if (stopping) {
    say(`${signal} again: killing everything`);
    for (const { child } of children) child.kill('SIGKILL');
    if (natsDir) rmSync(natsDir, { recursive: true, force: true });
    process.exit(130);
  }
  const then = children.some((c) => c.name === 'nats') ? ', then nats-server' : '';
  say(`${signal}: stopping the instances${then} (${signal} again kills them)`);
  void shutdown(0);
}

async function main() {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => onSignal(signal));

  const found = await probeNats();
  if (found === 'free') {
    await startNats();
  } else if (found === 'other') {
    throw new Error(`port ${NATS_PORT} on ${NATS_HOST} is taken by something that is not a nats-server: stop it and run again`);
  } else if (!found.jetstream) {
    throw new Error(`the nats-server on ${NATS_URL} runs without JetStream, which the cluster needs: restart it with -js, or stop it and let this script start one`);
  } else {
    say(`reusing the nats-server already running on ${NATS_URL} (version ${found.version}, JetStream on); it is left running on exit`);
  }

  const instances = await Promise.all(INSTANCES.map((instance, i) => startInstance(instance, COLORS[i])));
  const running = new Set(instances);
  for (const instance of instances) {
    void instance.exited.then(({ code, signal }) => {
      running.delete(instance);
      if (stopping) return;
      say(`${instance.name} exited (${signal ?? `code ${code}`}): the other nodes take over what it ran (at once after a clean stop, after the lease TTL otherwise)`);
      if (running.size === 0) void shutdown(0);
    });
  }
  const first = `http://127.0.0.1:${INSTANCES[0].port}`;
  say(`${INSTANCES.length} nodes up: ${INSTANCES.map(({ node, port }, i) => `${node} on :${port} (pid ${instances[i].child.pid})`).join(', ')}`);
  say(`try:  curl -s -X POST ${first}/acquire   (any of ports ${INSTANCES.map((i) => i.port).join(', ')})   |   curl -s ${first}/cluster`);
  say(`kill a node's pid to watch another take over the rate limiter; Ctrl-C stops them all`);
}

main().catch((error) => {
  if (stopping) return; // an instance stopped by Ctrl-C before it listened: nothing went wrong
  process.stderr.write(`[cluster] ${error.message}\n`);
  void shutdown(1);
});
