import { hostname } from 'node:os';
import { InvalidOptionError } from 'nestjs-genserver';
import { readClusterOptions } from '../../lib/cluster/cluster-options.js';

const minimal = { transport: 'nats', servers: 'nats://127.0.0.1:4222' };

/** The InvalidOptionError `readClusterOptions` throws for `value`, as `{ option, message }`. */
function refusal(value: unknown): { option: string; message: string } {
  try {
    readClusterOptions(value, 'cluster');
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return { option: (error as InvalidOptionError).option, message: (error as Error).message };
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

describe('readClusterOptions', () => {
  it('fills every default and lists the servers', () => {
    const resolved = readClusterOptions(minimal, 'cluster');
    expect(resolved).toEqual({
      transport: 'nats',
      servers: ['nats://127.0.0.1:4222'],
      node: expect.stringMatching(new RegExp(`-${process.pid}$`)),
      leaseTtlMs: 5000,
      prefix: 'genserver',
      maxInFlight: 10_000,
    });
  });

  it("names the node hostname-pid, with what NATS reserves in a subject turned into '-'", () => {
    const { node } = readClusterOptions(minimal, 'cluster');
    expect(node).toBe(`${hostname().replace(/[.*>\s]/g, '-')}-${process.pid}`);
    expect(node).not.toMatch(/[.*>\s]/);
  });

  it('keeps what is given', () => {
    const given = {
      transport: 'nats',
      servers: ['nats://a:4222', 'tls://b:4222'],
      node: 'eu-1',
      leaseTtlMs: 1500,
      prefix: 'orders_v2',
      tls: { ca: '/etc/ca.pem', cert: '/etc/client.pem', key: '/etc/client.key' },
      user: 'app',
      pass: 's3cret',
      maxInFlight: 1,
    };
    expect(readClusterOptions(given, 'cluster')).toEqual(given);
    expect(readClusterOptions({ ...minimal, token: 't0k3n' }, 'cluster')).toMatchObject({ token: 't0k3n' });
  });

  it('gives back a list of its own, not the one it was given', () => {
    const servers = ['nats://a:4222'];
    const resolved = readClusterOptions({ ...minimal, servers }, 'cluster');
    servers.push('nats://b:4222');
    expect(resolved.servers).toEqual(['nats://a:4222']);
  });

  it.each<[string, unknown, string, string]>([
    ['not an object', 'nats://a:4222', 'cluster', "an object: { transport: 'nats', servers }"],
    ['no transport', { servers: 'nats://a' }, 'cluster.transport', "'nats' (the only transport)"],
    ['another transport', { ...minimal, transport: 'redis' }, 'cluster.transport', "'nats' (the only transport)"],
    ['no servers', { transport: 'nats' }, 'cluster.servers', 'a NATS server URL (nats://host:port) or a non-empty list of them'],
    ['an empty server list', { ...minimal, servers: [] }, 'cluster.servers', 'a NATS server URL'],
    ['an empty server URL in the list', { ...minimal, servers: ['nats://a', ''] }, 'cluster.servers', 'a NATS server URL'],
    ['an empty node name', { ...minimal, node: '' }, 'cluster.node', "a non-empty name without '.', '*', '>' or whitespace"],
    ['a node name with a dot', { ...minimal, node: 'eu.1' }, 'cluster.node', "without '.', '*', '>' or whitespace"],
    ['a node name with a wildcard', { ...minimal, node: 'eu*' }, 'cluster.node', 'a NATS subject token'],
    ['a node name with >', { ...minimal, node: 'a>' }, 'cluster.node', 'a NATS subject token'],
    ['a node name with a space', { ...minimal, node: 'eu 1' }, 'cluster.node', 'a NATS subject token'],
    ['a node name that is a number', { ...minimal, node: 7 }, 'cluster.node', 'a non-empty name'],
    ['a lease TTL of 0', { ...minimal, leaseTtlMs: 0 }, 'cluster.leaseTtlMs', 'more than 0 and at most 2147483647'],
    ['a negative lease TTL', { ...minimal, leaseTtlMs: -5 }, 'cluster.leaseTtlMs', 'more than 0'],
    ['an endless lease', { ...minimal, leaseTtlMs: Infinity }, 'cluster.leaseTtlMs', 'a lease must end'],
    ['a lease TTL past the timer range', { ...minimal, leaseTtlMs: 2 ** 31 }, 'cluster.leaseTtlMs', 'at most 2147483647'],
    ['a lease TTL as text', { ...minimal, leaseTtlMs: '5s' }, 'cluster.leaseTtlMs', 'a number of milliseconds'],
    ['a prefix with a dot', { ...minimal, prefix: 'my.app' }, 'cluster.prefix', "letters, digits, '_' and '-'"],
    ['an empty prefix', { ...minimal, prefix: '' }, 'cluster.prefix', "letters, digits, '_' and '-'"],
    ['a prefix with a wildcard', { ...minimal, prefix: 'app*' }, 'cluster.prefix', 'NATS subjects and bucket names'],
    ['maxInFlight of 0', { ...minimal, maxInFlight: 0 }, 'cluster.maxInFlight', 'a whole number >= 1'],
    ['a fractional maxInFlight', { ...minimal, maxInFlight: 2.5 }, 'cluster.maxInFlight', 'a whole number >= 1'],
    ['an endless maxInFlight', { ...minimal, maxInFlight: Infinity }, 'cluster.maxInFlight', 'a whole number >= 1'],
    ['tls that is not an object', { ...minimal, tls: true }, 'cluster.tls', 'an object of PEM file paths'],
    ['a tls file that is not a path', { ...minimal, tls: { ca: 42 } }, 'cluster.tls.ca', 'the path of a PEM file'],
    ['a client certificate without its key', { ...minimal, tls: { cert: '/c.pem' } }, 'cluster.tls.key', 'given together with the other of tls.cert and tls.key'],
    ['a key without its certificate', { ...minimal, tls: { key: '/c.key' } }, 'cluster.tls.cert', 'given together with the other of tls.cert and tls.key'],
    ['an empty user', { ...minimal, user: '' }, 'cluster.user', 'a non-empty string'],
    ['a password without a user', { ...minimal, pass: 'hunter2' }, 'cluster.pass', 'given together with user'],
    ['a token beside a user', { ...minimal, user: 'app', pass: 'p', token: 't' }, 'cluster.token', 'left out when user is given'],
  ])('%s is refused, naming the option', (_title, value, option, expected) => {
    const { option: named, message } = refusal(value);
    expect(named).toBe(option);
    expect(message.startsWith(`${option} must be `)).toBe(true);
    expect(message).toContain(expected);
  });

  it('never shows a password or a token in the error', () => {
    for (const value of [
      { ...minimal, pass: 'hunter2' },
      { ...minimal, user: 'app', pass: 'pw', token: 'hunter2' },
      { ...minimal, user: 'app', pass: 12345678 },
      { ...minimal, token: ['hunter2'] },
    ]) {
      const { message } = refusal(value);
      expect(message).not.toMatch(/hunter2|12345678/);
      expect(message).toContain('[redacted]');
    }
  });

  it('names the option whose getter throws', () => {
    const value = { ...minimal, get prefix(): string { throw new Error('boom'); } };
    expect(refusal(value)).toMatchObject({ option: 'cluster.prefix', message: expect.stringContaining('readable (reading it threw)') });
  });

  it('reads its own output back unchanged', () => {
    const resolved = readClusterOptions({ ...minimal, node: 'n1', user: 'u', pass: 'p' }, 'cluster');
    expect(readClusterOptions(resolved, 'cluster')).toEqual(resolved);
  });
});
