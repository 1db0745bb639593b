import type { ConnectionOptions } from '@nats-io/transport-node';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { GenServerError } from '../errors/genserver.error.js';
import { messages } from '../errors/messages.js';
import type { ClusterTlsOptions } from '../interfaces/cluster-options.interface.js';
import type { ResolvedClusterOptions } from './cluster-options.js';

/**
 * The options of a NATS connection of the cluster: its servers, user and password or token, and
 * TLS with the contents of its PEM files (read now, so a missing file fails the boot by name rather
 * than the first connection attempt). With `tls`, the connection requires TLS and the server's
 * certificate is verified (Node's default, never turned off here). `name` shows in the server's
 * connection list. Only types come from `@nats-io/*` here: nothing is loaded.
 */
export async function natsConnectOptions(cluster: ResolvedClusterOptions, name: string): Promise<ConnectionOptions> {
  const options: ConnectionOptions = { servers: cluster.servers, name };
  if (cluster.user !== undefined) options.user = cluster.user;
  if (cluster.pass !== undefined) options.pass = cluster.pass;
  if (cluster.token !== undefined) options.token = cluster.token;
  if (cluster.tls !== undefined) options.tls = await readTlsFiles(cluster.tls);
  return options;
}

async function readTlsFiles(tls: ClusterTlsOptions): Promise<NonNullable<ConnectionOptions['tls']>> {
  const [ca, cert, key] = await Promise.all([
    readPem('cluster.tls.ca', tls.ca),
    readPem('cluster.tls.cert', tls.cert),
    readPem('cluster.tls.key', tls.key),
  ]);
  return Object.fromEntries(Object.entries({ ca, cert, key }).filter(([, pem]) => pem !== undefined));
}

async function readPem(option: string, path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new GenServerError(messages.clusterFileUnreadable(option, path, resolve(path), process.cwd(), error), { cause: error });
  }
}
