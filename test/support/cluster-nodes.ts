import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { killHard, pause, resume } from './os-process.js';

// From test/support, or from out/test/support when a benchmark runs it compiled.
const ROOT = [fileURLToPath(new URL('../..', import.meta.url)), fileURLToPath(new URL('../../..', import.meta.url))].find((dir) => existsSync(join(dir, 'test/fixtures/cluster-node-app.mjs')))!;
const APP = join(ROOT, 'test/fixtures/cluster-node-app.mjs');

/** What a node's control port answers: the value, or the error as its class name and fields. */
export type Answer<T = unknown> = { ok: true; value: T } | { ok: false; error: { name: string; message: string; [field: string]: unknown } };

/** One node of a test cluster: `test/fixtures/cluster-node-app.mjs` as its own OS process. */
export interface TestNode {
  readonly name: string;
  readonly pid: number;
  /** Asks the node through its control port (`call`, `cast`, `whereis`, `status`, `nodes`, `events`, `start`). */
  ask<T = unknown>(route: string, body?: unknown, timeoutMs?: number): Promise<Answer<T>>;
  /** SIGKILL: no cleanup, its leases end by themselves. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: the node is frozen, sockets open, nothing answered. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** SIGTERM: a graceful close (names released). */
  stop(): Promise<void>;
  /** What the node printed to stderr (its warnings and errors). */
  readonly output: string[];
}

export interface NodeEnv {
  NATS_URL: string;
  REDIS_URL: string;
  PREFIX: string;
  LEASE_TTL_MS: string;
}

/** Starts a node and resolves once it has joined the cluster and booted its tree. */
export async function startNode(name: string, env: NodeEnv): Promise<TestNode> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [APP], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_NAME: name, CONTROL_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${name} did not start:\n${output.join('')}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (!chunk.toString().includes('ready')) return;
      clearTimeout(timer);
      resolve();
    });
    const early = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(new Error(`node ${name} exited (${signal ?? code}) before it was ready:\n${output.join('')}`));
    };
    child.once('exit', early);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) child.off('exit', early);
    });
  });
  const pid = child.pid!;
  return {
    name,
    pid,
    output,
    async ask<T>(route: string, body: unknown = {}, timeoutMs = 5000): Promise<Answer<T>> {
      const response = await fetch(`http://127.0.0.1:${port}/${route}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
      return (await response.json()) as Answer<T>;
    },
    async kill() {
      await killHard(pid);
      await exited;
    },
    async pause() {
      await pause(pid);
    },
    async resume() {
      await resume(pid);
    },
    async stop() {
      await resume(pid);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same fault schedule. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The value at quantile `q` (0..1) of `values`. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Asks until the answer is ok (the name may be failing over), at most `withinMs`. */
export async function untilOk<T>(ask: () => Promise<Answer<T>>, withinMs: number): Promise<T> {
  const until = Date.now() + withinMs;
  let last: Answer<T> | undefined;
  while (Date.now() < until) {
    last = await ask().catch((error: Error) => ({ ok: false as const, error: { name: error.name, message: error.message } }));
    if (last.ok) return last.value;
    await wait(20);
  }
  throw new Error(`no success within ${withinMs} ms; last answer: ${JSON.stringify(last)}`);
}

/** Where the counter runs, as the first of `nodes` sees it (waits for an owner). */
export function ownerOf(nodes: TestNode[], withinMs: number): Promise<{ node: string; epoch: number }> {
  return untilOk(async () => {
    const answer = await nodes[0]!.ask<{ node: string; epoch: number } | null>('whereis', { name: 'counter' });
    return answer.ok && answer.value ? { ok: true, value: answer.value } : { ok: false, error: { name: 'none', message: 'no owner yet' } };
  }, withinMs);
}

/** A writer of the failover runs: its acknowledged ops, what refused ones failed with, and how many it tried. */
export interface Writer {
  readonly acked: string[];
  readonly errors: Map<string, number>;
  readonly attempts: number;
  stop(): Promise<void>;
}

/**
 * Increments the counter through `entry()` nodes, one call at a time, each with an op id of its own
 * (never retried): acknowledged ops must be in the final state exactly once, the others at most once.
 */
export function writer(entry: () => TestNode | undefined): Writer {
  const acked: string[] = [];
  const errors = new Map<string, number>();
  let attempts = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      const node = entry();
      if (!node) {
        await wait(10);
        continue;
      }
      const op = `op-${attempts++}`;
      const answer = await node.ask<{ n: number }>('call', { name: 'counter', payload: { type: 'inc', op }, timeout: 1500 }).catch(() => undefined);
      if (answer?.ok) acked.push(op);
      else {
        if (answer) errors.set(answer.error.name, (errors.get(answer.error.name) ?? 0) + 1);
        await wait(10);
      }
    }
  })();
  return {
    acked,
    errors,
    get attempts() {
      return attempts;
    },
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Environment of a failover run's nodes. */
export interface KillRun {
  readonly failovers: number[];
  readonly epochs: number[];
  readonly write: Writer;
  /** The counter's final state, read after the run. */
  readonly state: { n: number; ops: string[] };
}

/**
 * `kills` times: waits a seeded 100–500 ms, kills the counter's owner with SIGKILL, times how long
 * until a surviving node answers a call to it again, and starts a fresh node in the victim's place;
 * a writer increments all along. Resolves with the failover times, the epochs seen and the writes.
 */
export async function killRun(env: NodeEnv, kills: number, seed: number, started: (node: TestNode) => void): Promise<KillRun> {
  const ttl = Number(env.LEASE_TTL_MS);
  const random = seeded(seed);
  let serial = 3;
  const first = await Promise.all(['n0', 'n1', 'n2'].map((name) => startNode(name, env)));
  first.forEach(started);
  const up = new Set(first);
  const write = writer(() => {
    const candidates = [...up];
    return candidates[Math.floor(random() * candidates.length)];
  });
  const failovers: number[] = [];
  const epochs: number[] = [];
  const restarts: Promise<void>[] = [];
  for (let kill = 0; kill < kills; kill++) {
    await wait(100 + Math.floor(random() * 400));
    const owner = await ownerOf([...up], 10 * ttl);
    epochs.push(owner.epoch);
    const victim = [...up].find((node) => node.name === owner.node);
    if (!victim) throw new Error(`the owner ${owner.node} is not a live node of the run`);
    up.delete(victim);
    await victim.kill();
    const killedAt = Date.now();
    await untilOk(() => [...up][0]!.ask('call', { name: 'counter', payload: { type: 'get' }, timeout: 1000 }), 10 * ttl);
    failovers.push(Date.now() - killedAt);
    // A fresh node takes the victim's place (a new name: the old one's heartbeat has not aged out yet).
    restarts.push(startNode(`n${serial++}`, env).then((node) => {
      started(node);
      up.add(node);
    }));
    while (up.size < 2) await wait(20);
  }
  await Promise.all(restarts);
  await write.stop();
  epochs.push((await ownerOf([...up], 10 * ttl)).epoch);
  const state = await untilOk(() => [...up][0]!.ask<{ n: number; ops: string[] }>('call', { name: 'counter', payload: { type: 'get' } }), 10 * ttl);
  return { failovers, epochs, write, state };
}
