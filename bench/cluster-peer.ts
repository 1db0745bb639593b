import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { connect } from '@nats-io/transport-node';
import { GenServerRuntime } from 'nestjs-genserver';
import { serveBenchChild } from './bench-child.js';
import { BenchEcho, ClusterBenchModule, ECHO_NAME } from './cluster.processes.js';
import { cpuUs } from './measure.js';
import { serveRaw } from './nats-baseline.js';

/**
 * The answering side of the cluster figures (j), in an OS process of its own: the raw NATS
 * responder on one connection, and node "a" of the cluster (a Nest app on its own connection)
 * owning `bench-echo`. Ready once both answer; leaves the cluster on SIGTERM.
 * Arguments: the NATS server URL and the run's prefix.
 */
async function main() {
  const [servers, prefix] = process.argv.slice(2) as [string, string];
  const raw = await connect({ servers });
  serveRaw(raw, prefix);
  await raw.flush();
  const app = await NestFactory.createApplicationContext(ClusterBenchModule.forNode(servers, 'a', prefix), { logger: false });
  await app.get(GenServerRuntime).start(BenchEcho, { name: ECHO_NAME });
  serveBenchChild(
    // `cpu`: CPU time this process has used so far, µs (user + system), for CPU per message.
    async (line) => (line === 'cpu' ? String(cpuUs(process.cpuUsage())) : `error unknown command ${line}`),
    () => Promise.all([app.close(), raw.drain()]),
  );
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
