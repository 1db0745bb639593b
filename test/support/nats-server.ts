import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

export interface NatsOptions {
  /** Clients must speak TLS (the server refuses plaintext); certificates come from a throwaway CA. */
  tls?: boolean;
  /** With `tls`: clients must also present a certificate signed by that CA (`tls.cert`/`tls.key`). */
  verify?: boolean;
  /** `user` and `pass` together: clients must log in with them. */
  user?: string;
  pass?: string;
  /** Clients must present this token (instead of a user). */
  token?: string;
  /** A fixed port instead of a free one. */
  port?: number;
}

/** File paths a client needs to connect to a TLS server: the CA to trust and a client certificate. */
export interface NatsTlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface NatsServer {
  /** `nats://127.0.0.1:port`, or `tls://127.0.0.1:port` with `tls`. */
  url: string;
  port: number;
  /** JetStream's store directory; it survives `restart()` and `kill()`. */
  storeDir: string;
  tls?: NatsTlsFiles;
  /** The process id of the server last started (a new one after `restart()`), for `os-process.ts`. */
  readonly pid: number;
  /** Stops the server (if running) and removes its directories. */
  stop(): Promise<void>;
  /** Stops the server (if running) and starts it again: same port, config and JetStream data. */
  restart(): Promise<void>;
  /** SIGKILL: no shutdown, the store directory stays as it was; `restart()` brings it back. */
  kill(): Promise<void>;
}

const run = promisify(execFile);

/**
 * A real nats-server with JetStream on 127.0.0.1, a free port and a directory of its own (store,
 * config, certificates), for one test file. `.ci/run` (and `npm test`'s pretest) installs Debian's
 * nats-server; `tls` needs openssl on PATH.
 */
export async function startNats(options: NatsOptions = {}): Promise<NatsServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'genserver-nats-'));
  const storeDir = join(dir, 'store');
  mkdirSync(storeDir);
  const config = join(dir, 'nats.conf');
  const launch = () => startServerProcess('nats-server', ['-c', config], 'Server is ready', 'nats-server');
  let tls: Certificates | undefined;
  let server: ServerProcess | undefined;
  let pid = 0;
  try {
    tls = options.tls ? await makeCertificates(join(dir, 'tls')) : undefined;
    writeFileSync(config, natsConfig(port, storeDir, options, tls));
    server = await launch();
    pid = server.pid;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `${tls ? 'tls' : 'nats'}://127.0.0.1:${port}`,
    port,
    storeDir,
    tls: tls && { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
    get pid() {
      return pid;
    },
    stop: async () => {
      await server?.stop();
      server = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await server?.stop();
      server = undefined;
      server = await launch();
      pid = server.pid;
    },
    kill: async () => {
      await server?.kill();
      server = undefined;
    },
  };
}

interface Certificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate, all P-256, valid for a day. */
async function makeCertificates(dir: string): Promise<Certificates> {
  mkdirSync(dir);
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) =>
    run('openssl', args).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new Error('cannot run openssl: install it with apt-get install -y openssl') : error;
    });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl('req', '-x509', ...key, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=genserver test CA');
  const sign = async (name: string, subject: string, extensions: string) => {
    writeFileSync(file(`${name}.ext`), extensions);
    await openssl('req', ...key, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject);
    await openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file(`${name}.pem`), '-days', '1', '-extfile', file(`${name}.ext`));
  };
  await Promise.all([
    sign('server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'),
    sign('client', '/CN=genserver test client', 'extendedKeyUsage=clientAuth\n'),
  ]);
  return { ca: file('ca.pem'), serverCert: file('server.pem'), serverKey: file('server.key'), clientCert: file('client.pem'), clientKey: file('client.key') };
}

/** nats-server's config: with a `tls` block the server requires TLS of every client. */
function natsConfig(port: number, storeDir: string, options: NatsOptions, tls: Certificates | undefined): string {
  const q = (value: string) => JSON.stringify(value);
  const lines = [`server_name: ${q(`genserver-test-${port}`)}`, `listen: ${q(`127.0.0.1:${port}`)}`, `jetstream { store_dir: ${q(storeDir)} }`];
  if (tls) {
    lines.push(`tls { cert_file: ${q(tls.serverCert)}, key_file: ${q(tls.serverKey)}, ca_file: ${q(tls.ca)}, verify: ${options.verify === true}, timeout: 2 }`);
  }
  if (options.token !== undefined) lines.push(`authorization { token: ${q(options.token)} }`);
  else if (options.user !== undefined) lines.push(`authorization { user: ${q(options.user)}, password: ${q(options.pass ?? '')} }`);
  return lines.join('\n') + '\n';
}
