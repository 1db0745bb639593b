import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { killHard, pause, resume } from './os-process.js';

const APP = fileURLToPath(new URL('../fixtures/cluster-node-app.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

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
