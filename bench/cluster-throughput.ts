import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { NestFactory } from '@nestjs/core';
import { connect } from '@nats-io/transport-node';
import { GenServerRuntime } from 'nestjs-genserver';
import { startNats } from '../test/support/nats-server.js';
import { startBenchChild, type BenchChild } from './bench-child.js';
import { ClusterBenchModule, COUNT, ECHO, ECHO_NAME, TICK } from './cluster.processes.js';
import { compare, cpuUs, median, timed } from './measure.js';
import { RawRequester, rawSubjects } from './nats-baseline.js';

/** One figure: ours, and the baseline measured beside it (medians). */
export interface Pair {
  ours: number;
  base: number;
}

/** CPU time per message (µs, user + system, medians of the same runs) on each side of a remote figure. */
export interface CpuPair {
  ours: { sender: number; receiver: number };
  base: { sender: number; receiver: number };
}

export interface ClusterFigures {
  /** nats-server's version (`v2.9.10`). */
  server: string;
  /** Remote `call` one after the other vs raw request/reply, round trips/s. */
  sequential: Pair;
  /** Remote `call` with `IN_FLIGHT` outstanding vs raw request/reply the same, round trips/s. */
  inFlight: Pair;
  /** Remote `cast` (each accepted by the owner, `CAST_WINDOW` unresolved at most) vs raw publish, until all were handled, msg/s. */
  casts: Pair;
  /** Raw request/reply with `CAST_WINDOW` in flight (an answer per message, as a cast waits for) vs raw publish, msg/s. */
  acked: Pair;
  /** A local `call` on a clustered node (the process owned there) vs the same app without a cluster, calls/s. */
  local: Pair;
  /** CPU µs per local call, the same runs. */
  localCpu: Pair;
  /** Sender (node "b", raw requester) and receiver (node "a", raw responder) CPU per message of the remote figures. */
  cpu: { sequential: CpuPair; inFlight: CpuPair; casts: CpuPair };
  counts: typeof COUNTS;
}

export const IN_FLIGHT = 100;
export const CAST_WINDOW = 1000;
export const RUNS = 5;
/** Fresh processes differ (a run can fall into a slow mode for the whole process): the local figure pools this many pairs. */
export const LOCAL_PAIRS = 3;
const COUNTS = { sequential: 2_000, inFlight: 20_000, casts: 30_000, local: 100_000 };

/** Why (j) cannot run on this machine, or `undefined`. */
export function clusterSkipReason(): string | undefined {
  const probe = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  return probe.error ? `\`nats-server\` could not be run (${probe.error.message}); install it with \`apt-get install -y nats-server\`` : undefined;
}

/**
 * (j) The cluster against hand-written NATS clients, on one nats-server started for the run.
 * Remote figures: node "a" owning `bench-echo`, and the raw responder, run in an OS process of their
 * own (`cluster-peer.ts`); this process holds node "b" and the raw requester, each on a connection of
 * its own. Local figure: a clustered and a plain app, each in an OS process of its own
 * (`local-calls-child.ts`), `LOCAL_PAIRS` pairs one after the other, the runs of all pooled. Ours
 * and the baseline alternate, after a warm-up each.
 */
export async function clusterThroughput(log: (s: string) => void = () => {}): Promise<ClusterFigures> {
  const server = spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^nats-server:\s*/, '');
  const nats = await startNats();
  const prefix = `bench${process.pid}`;
  const children: BenchChild[] = [];
  const child = async (script: string, args: string[]) => {
    const started = await startBenchChild(script, args);
    children.push(started);
    return started;
  };
  const raw = await connect({ servers: nats.url });
  try {
    const peer = await child('cluster-peer.js', [nats.url, prefix]);
    const node = await NestFactory.createApplicationContext(ClusterBenchModule.forNode(nats.url, 'b', prefix), { logger: false });
    const remote = node.get(GenServerRuntime);
    const requester = new RawRequester(raw);
    const subjects = rawSubjects(prefix);
    // Each run's rate, and the CPU time both sides spent per message in it.
    const cpuRuns = new Map<string, { sender: number[]; receiver: number[] }>();
    const cpuNow = async () => [cpuUs(process.cpuUsage()), Number(await peer.ask('cpu'))] as const;
    const rate = (n: number, run: () => Promise<void>, cpuOf?: string) => async () => {
      const [sender, receiver] = await cpuNow();
      const ms = await timed(run);
      const [sender1, receiver1] = await cpuNow();
      if (cpuOf !== undefined) {
        const runs = cpuRuns.get(cpuOf) ?? { sender: [], receiver: [] };
        runs.sender.push((sender1 - sender) / n);
        runs.receiver.push((receiver1 - receiver) / n);
        cpuRuns.set(cpuOf, runs);
      }
      return (n / ms) * 1000;
    };
    const cpuPair = (label: string): CpuPair => {
      const side = (key: string) => ({ sender: median(cpuRuns.get(key)!.sender), receiver: median(cpuRuns.get(key)!.receiver) });
      return { ours: side(`${label} ours`), base: side(`${label} base`) };
    };
    let figures: Omit<ClusterFigures, 'local' | 'localCpu' | 'server' | 'counts'>;
    try {
      log('(j) remote calls, sequential…');
      const s = COUNTS.sequential;
      const sequential = await compare(
        RUNS,
        rate(s, async () => { for (let i = 0; i < s; i++) await remote.call(ECHO_NAME, ECHO); }, 'sequential ours'),
        rate(s, async () => { for (let i = 0; i < s; i++) await requester.request(subjects.echo, ECHO); }, 'sequential base'),
      );

      log(`(j) remote calls, ${IN_FLIGHT} in flight…`);
      const f = COUNTS.inFlight;
      const inFlight = await compare(
        RUNS,
        rate(f, () => windowed(f, IN_FLIGHT, () => remote.call(ECHO_NAME, ECHO)), 'inFlight ours'),
        rate(f, () => windowed(f, IN_FLIGHT, () => requester.request(subjects.echo, ECHO)), 'inFlight base'),
      );

      log('(j) remote casts vs raw publish…');
      const c = COUNTS.casts;
      let handled = await remote.call<number>(ECHO_NAME, COUNT);
      const publish = (cpuOf?: string) =>
        rate(c, async () => {
          for (let i = 0; i < c; i++) requester.publish(subjects.sink, TICK);
          await requester.request(subjects.sink, COUNT);
        }, cpuOf);
      const casts = await compare(
        RUNS,
        rate(c, async () => {
          await windowed(c, CAST_WINDOW, () => remote.cast(ECHO_NAME, TICK));
          const now = await remote.call<number>(ECHO_NAME, COUNT);
          if (now - handled !== c) throw new Error(`node "a" handled ${now - handled} casts of ${c}`);
          handled = now;
        }, 'casts ours'),
        publish('casts base'),
      );
      const acked = await compare(RUNS, rate(c, () => windowed(c, CAST_WINDOW, () => requester.request(subjects.sink, TICK))), publish());
      figures = { sequential, inFlight, casts, acked, cpu: { sequential: cpuPair('sequential'), inFlight: cpuPair('inFlight'), casts: cpuPair('casts') } };
    } finally {
      await node.close();
    }

    log(`(j) local calls, clustered node vs no cluster, ${LOCAL_PAIRS} pairs of fresh processes…`);
    const samples = { ours: { rate: [] as number[], cpu: [] as number[] }, base: { rate: [] as number[], cpu: [] as number[] } };
    for (let pair = 0; pair < LOCAL_PAIRS; pair++) {
      const clustered = await child('local-calls-child.js', ['cluster', nats.url, `${prefix}-local${pair}`]);
      const plain = await child('local-calls-child.js', ['plain']);
      await compare(RUNS, sampler(clustered, COUNTS.local, samples.ours), sampler(plain, COUNTS.local, samples.base));
      await Promise.all([clustered.stop(), plain.stop()]);
    }
    const local = { ours: median(samples.ours.rate), base: median(samples.base.rate) };
    const localCpu = { ours: median(samples.ours.cpu), base: median(samples.base.cpu) };
    return { server, ...figures, local, localCpu, counts: COUNTS };
  } finally {
    await Promise.all(children.map((started) => started.stop()));
    await raw.drain();
    await nats.stop();
  }
}

/** One run of `n` local calls in `worker` per call; its rate and CPU per call are kept, but for the warm-up. */
function sampler(worker: BenchChild, n: number, into: { rate: number[]; cpu: number[] }): () => Promise<number> {
  let warm = false;
  return async () => {
    const [rate, cpu] = (await worker.ask(String(n))).split(' ').map(Number) as [number, number];
    if (warm) {
      into.rate.push(rate);
      into.cpu.push(cpu);
    }
    warm = true;
    return rate;
  };
}

/** Runs `n` sends with at most `limit` unsettled at once; resolves when all have settled. */
function windowed(n: number, limit: number, send: () => Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let settled = 0;
    const next = (): void => {
      if (settled === n) return resolve();
      if (sent === n) return;
      sent++;
      send().then(() => {
        settled++;
        next();
      }, reject);
    };
    for (let i = 0; i < Math.min(limit, n); i++) next();
  });
}
