import { CAST_WINDOW, IN_FLIGHT, LOCAL_PAIRS, RUNS, type ClusterFigures, type CpuPair, type Pair } from './cluster-throughput.js';
import { fmt, met, pct, signed } from './format.js';

// Targets of #10 (failover p50/p99: section (k)).
const REMOTE = 0.8;
const LOCAL = 0.9;

const row = (label: string, p: Pair, unit: string, baseUnit: string, target: number | undefined, goal = '') =>
  `| ${label} | ${fmt(p.ours)} ${unit} | ${fmt(p.base)} ${baseUnit} | ${pct(p.ours, p.base)} | ${target === undefined ? '—' : `${goal}: ${met(p.ours >= target * p.base)}`} |`;

const cpuRow = (label: string, c: CpuPair) =>
  `| ${label} | ${fmt(c.ours.sender, 1)} / ${fmt(c.ours.receiver, 1)} µs | ${fmt(c.base.sender, 1)} / ${fmt(c.base.receiver, 1)} µs | ${signed(c.ours.sender - c.base.sender)} / ${signed(c.ours.receiver - c.base.receiver)} µs |`;

const localAdded = (cpu: Pair) => `${cpu.ours < cpu.base ? '−' : '+'}${fmt(Math.abs(cpu.ours - cpu.base) * 1000)}`;

/** BENCHMARKS.md's section (j): the figures, or why there are none on this machine. */
export function clusterSection(figures: ClusterFigures | { skipped: string }): string {
  const heading = '### (j) Cluster: two nodes over NATS, against hand-written NATS clients';
  if ('skipped' in figures) return `${heading}\n\nNot measured in this run: ${figures.skipped}.\n`;
  const f = figures;
  const n = f.counts;
  return `${heading}

One nats-server ${f.server} on 127.0.0.1 (started for the run, as the tests start it). Node "a" of the cluster
owns \`bench-echo\` (a \`@HandleCall\` that returns its message, a \`@HandleCast\` that counts) and runs in
an OS process of its own beside the raw responder; this process holds node "b" and the raw
requester. Each of the four has a NATS connection of its own. Payloads are 100 bytes of JSON
(\`{"type":"echo","data":"xx…"}\`); the library carries them as its wire codec does. The baseline is
written by hand on \`@nats-io/transport-node\` (\`bench/nats-baseline.ts\`): one subscription on the
requester's own inbox (\`<inbox>.*\`) and a \`Map\` of pending requests keyed by the token — not
\`nc.request\` — and a responder that decodes the JSON and answers it encoded again. Ours and the
baseline alternate, ${RUNS} runs each after a warm-up; medians. Failover times: section (k).

| case | nestjs-genserver | baseline | ratio | target |
|---|---:|---:|---:|---|
${row(`remote \`call\`, sequential (${fmt(n.sequential)} per run)`, f.sequential, 'calls/s', 'round trips/s', REMOTE, '≥ 80%')}
${row(`remote \`call\`, ${IN_FLIGHT} in flight (${fmt(n.inFlight)} per run)`, f.inFlight, 'calls/s', 'round trips/s', REMOTE, '≥ 80%')}
${row(`remote \`cast\` against raw publish (${fmt(n.casts)} per run, until all were handled)`, f.casts, 'msg/s', 'msg/s', REMOTE, '≥ 80%')}
${row(`raw request/reply, ${fmt(CAST_WINDOW)} in flight, against raw publish (what an answer per message costs)`, f.acked, 'msg/s', 'msg/s', undefined)}
${row(`local \`call\` on a clustered node (the process owned there) against no cluster (${fmt(n.local)} per run)`, f.local, 'calls/s', 'calls/s', LOCAL, 'within 10%')}

CPU time per message in the same runs (user + system, medians), sender (node "b", the raw
requester) / receiver (node "a", the raw responder). On a shared VM this moves less than the rates do.

| case | nestjs-genserver | baseline | added |
|---|---:|---:|---:|
${cpuRow('remote `call`, sequential', f.cpu.sequential)}
${cpuRow(`remote \`call\`, ${IN_FLIGHT} in flight`, f.cpu.inFlight)}
${cpuRow('remote `cast` / raw publish', f.cpu.casts)}

A local call, CPU time in the same runs as its row above: ${fmt(f.localCpu.ours, 3)} µs on the clustered node,
${fmt(f.localCpu.base, 3)} µs without a cluster (${localAdded(f.localCpu)} ns per call; from CPU alone the ratio would be ${pct(f.localCpu.base, f.localCpu.ours)}).

- A remote \`cast\` resolves when node "a" has accepted it into the mailbox (or rejects with the
  reason), so every cast is answered; ours keeps at most ${fmt(CAST_WINDOW)} unresolved. Raw publish
  is fire-and-forget, timed until the subscriber on the other connection has decoded all of them (a
  request sent after the burst returns); ours until node "a" has handled all of them (a \`call\` sent
  after the burst returns). The raw request/reply row sends the same messages as raw publish, each
  waiting for an answer as a cast does.
- The local figure runs each app in an OS process of its own (\`bench/local-calls-child.ts\`), so V8
  sees one router, as in production: sequential \`runtime.call\` to a counter, as in (b). Fresh
  processes differ by ±20% (one can run slow for its whole life, see (b″)), so ${LOCAL_PAIRS} pairs run one
  after the other and the median is over all their runs.
- \`npm run bench:cluster\` runs only this section and prints it.
`;
}
