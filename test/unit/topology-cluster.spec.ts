import { InvalidOptionError, parseTopology, TopologyError } from 'nestjs-genserver';
import { resolveModuleOptions } from '../../lib/topology/resolve-module-options.js';

// #10: `cluster`, a process's `scope` and the nats state store, in YAML.

const lines = (...rows: string[]) => rows.join('\n') + '\n';
const cluster = (...rows: string[]) => lines('genserver:', '  cluster:', '    transport: nats', ...rows.map((row) => `    ${row}`));
const child = (...rows: string[]) =>
  lines('genserver:', '  supervision:', '    name: root', '    children:', '      - name: a', '        type: A', ...rows.map((row) => `        ${row}`));

/** The problems of `yaml` as `path@line:column: message`, or [] when it is valid. */
function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseTopology(yaml, 'cluster.yaml', env);
    return [];
  } catch (error) {
    if (!(error instanceof TopologyError)) throw error;
    return error.problems.map((p) => `${p.path}@${p.line}:${p.column}: ${p.message}`);
  }
}

describe('cluster in a topology', () => {
  it('maps every key to ClusterOptions', () => {
    const options = parseTopology(
      cluster(
        'servers: [nats://a:4222, tls://b:4222]',
        'node: eu-1',
        'lease_ttl_ms: 1500',
        'prefix: orders',
        'tls: { ca: /etc/nats/ca.pem, cert: /etc/nats/client.pem, key: /etc/nats/client.key }',
        'user: app',
        'pass: s3cret',
        'max_in_flight: 500',
      ),
      'cluster.yaml',
    );
    expect(options).toEqual({
      cluster: {
        transport: 'nats',
        servers: ['nats://a:4222', 'tls://b:4222'],
        node: 'eu-1',
        leaseTtlMs: 1500,
        prefix: 'orders',
        tls: { ca: '/etc/nats/ca.pem', cert: '/etc/nats/client.pem', key: '/etc/nats/client.key' },
        user: 'app',
        pass: 's3cret',
        maxInFlight: 500,
      },
    });
  });

  it('takes one server as a string, and a token instead of user and pass', () => {
    expect(parseTopology(cluster('servers: nats://127.0.0.1:4222', 'token: t0k3n'), 'cluster.yaml')).toEqual({
      cluster: { transport: 'nats', servers: 'nats://127.0.0.1:4222', token: 't0k3n' },
    });
  });

  it('replaces ${VAR} in servers and pass', () => {
    const yaml = cluster('servers: ["${NATS_URL}", "nats://${NATS_HOST:-backup}:4222"]', 'user: app', 'pass: ${NATS_PASS}');
    expect(parseTopology(yaml, 'cluster.yaml', { NATS_URL: 'nats://main:4222', NATS_PASS: 'from-env' }).cluster).toEqual({
      transport: 'nats',
      servers: ['nats://main:4222', 'nats://backup:4222'],
      user: 'app',
      pass: 'from-env',
    });
  });

  it('a password of digits from a plain ${VAR} is typed as a number: refused with the fix, never shown', () => {
    const env = { NATS_PASS: '20261201' };
    expect(problems(cluster('servers: nats://a', 'user: app', 'pass: ${NATS_PASS}'), env)).toEqual([
      'genserver.cluster.pass@6:11: must be text; a plain ${VAR} whose value reads as a number or true/false is typed so: quote it ("${VAR}")',
    ]);
    expect(parseTopology(cluster('servers: nats://a', 'user: app', 'pass: "${NATS_PASS}"'), 'cluster.yaml', env).cluster?.pass).toBe('20261201');
  });

  it.each<[string, string, string[]]>([
    ['an unknown key, with a suggestion', cluster('servers: nats://a', 'leaseTtlMs: 100'), ['genserver.cluster.leaseTtlMs@5:5: unknown key "leaseTtlMs" (did you mean `lease_ttl_ms`?)']],
    ['no transport', lines('genserver:', '  cluster:', '    servers: nats://a'), ['genserver.cluster.transport@3:5: Invalid input: expected "nats"']],
    ['another transport', lines('genserver:', '  cluster: { transport: redis, servers: nats://a }'), ['genserver.cluster.transport@2:25: Invalid input: expected "nats"']],
    ['no servers', cluster('node: n1'), ['genserver.cluster.servers@3:5: must be a NATS server URL (nats://host:port) or a non-empty list of them; got undefined']],
    ['an empty server list', cluster('servers: []'), ['genserver.cluster.servers@4:14: must be a NATS server URL (nats://host:port) or a non-empty list of them; got []']],
    ['a server that is a number', cluster('servers: [4222]'), ['genserver.cluster.servers@4:14: must be a NATS server URL (nats://host:port) or a non-empty list of them; got [4222]']],
    ['a node name with a dot', cluster('servers: nats://a', 'node: eu.1'), [`genserver.cluster.node@5:11: must be a non-empty name without '.', '*', '>' or whitespace (it becomes a NATS subject token); got "eu.1"`]],
    ['a lease TTL of 0', cluster('servers: nats://a', 'lease_ttl_ms: 0'), ['genserver.cluster.lease_ttl_ms@5:19: must be a number of milliseconds more than 0 and at most 2147483647 (a lease must end: not Infinity); got 0']],
    ['an endless lease', cluster('servers: nats://a', 'lease_ttl_ms: .inf'), ['genserver.cluster.lease_ttl_ms@5:19: must be a number of milliseconds more than 0 and at most 2147483647 (a lease must end: not Infinity); got Infinity']],
    ['a lease TTL as text', cluster('servers: nats://a', 'lease_ttl_ms: 5s'), ['genserver.cluster.lease_ttl_ms@5:19: must be a number of milliseconds more than 0 and at most 2147483647 (a lease must end: not Infinity); got "5s"']],
    ['a prefix with a dot', cluster('servers: nats://a', 'prefix: my.app'), [`genserver.cluster.prefix@5:13: must be a non-empty string of letters, digits, '_' and '-' (it becomes part of NATS subjects and bucket names); got "my.app"`]],
    ['max_in_flight of 0', cluster('servers: nats://a', 'max_in_flight: 0'), ['genserver.cluster.max_in_flight@5:20: Too small: expected number to be >=1']],
    ['a fractional max_in_flight', cluster('servers: nats://a', 'max_in_flight: 1.5'), ['genserver.cluster.max_in_flight@5:20: Invalid input: expected int, received number']],
    ['an unknown tls key', cluster('servers: nats://a', 'tls: { ca: /ca.pem, crt: /c.pem }'), ['genserver.cluster.tls.crt@5:25: unknown key "crt" (did you mean `cert`?)']],
    ['a certificate without its key', cluster('servers: nats://a', 'tls: { cert: /c.pem }'), ['genserver.cluster.tls.key@5:10: must be given together with the other of tls.cert and tls.key (a client certificate and its private key)']],
    ['a password without a user', cluster('servers: nats://a', 'pass: hunter2'), ['genserver.cluster.pass@5:5: must be given together with user (a password alone authenticates no one)']],
    ['a token beside a user', cluster('servers: nats://a', 'user: app', 'pass: pw', 'token: tk'), ['genserver.cluster.token@7:5: must be left out when user is given (authenticate with a token, or with user and pass, not both)']],
    ['cluster that is not a mapping', lines('genserver:', '  cluster: nats://a'), ['genserver.cluster@2:12: Invalid input: expected object, received string']],
    ['several at once, in line order', cluster('servers: []', 'prefix: a.b', 'pass: pw'), [
      'genserver.cluster.servers@4:14: must be a NATS server URL (nats://host:port) or a non-empty list of them; got []',
      `genserver.cluster.prefix@5:13: must be a non-empty string of letters, digits, '_' and '-' (it becomes part of NATS subjects and bucket names); got "a.b"`,
      'genserver.cluster.pass@6:5: must be given together with user (a password alone authenticates no one)',
    ]],
  ])('%s: a problem naming the path and line', (_title, yaml, expected) => {
    expect(problems(yaml)).toEqual(expected);
  });

  it('never shows a password or a token in a problem', () => {
    const found = problems(cluster('servers: nats://a', 'user: app', 'pass: [hunter2]', 'token: { t: hunter3 }'));
    expect(found).toHaveLength(3); // pass and token are no text, and a token beside a user
    expect(found.join('\n')).not.toMatch(/hunter/);
  });
});

describe('scope of a process child', () => {
  it.each(['cluster', 'node'])('%s maps to scope', (scope) => {
    expect(parseTopology(child(`scope: ${scope}`), 'scope.yaml').supervision?.children).toEqual([{ name: 'a', type: 'A', scope }]);
  });

  it('anything else is a problem naming the path and line', () => {
    expect(problems(child('scope: global'))).toEqual(['genserver.supervision.children[0].scope@7:16: Invalid option: expected one of "cluster"|"node"']);
  });

  it('belongs to processes, not supervisors', () => {
    expect(problems(lines('genserver:', '  supervision:', '    name: root', '    scope: node'))).toEqual(['genserver.supervision.scope@4:5: unknown key "scope"']);
  });
});

describe('a nats state_store', () => {
  it('maps type, servers and bucket, at every level', () => {
    const options = parseTopology(
      lines('genserver:', '  state_store: { type: nats }', '  supervision:', '    name: root', '    state_store: { type: nats, servers: nats://a:4222, bucket: orders-state }', '    children:', '      - name: a', '        type: A', '        state_store: { type: nats, servers: [nats://a, nats://b] }'),
      'store.yaml',
    );
    expect(options).toEqual({
      stateStore: { type: 'nats' },
      supervision: {
        name: 'root',
        stateStore: { type: 'nats', servers: 'nats://a:4222', bucket: 'orders-state' },
        children: [{ name: 'a', type: 'A', stateStore: { type: 'nats', servers: ['nats://a', 'nats://b'] } }],
      },
    });
  });

  it.each<[string, string, string[]]>([
    ['a bucket with a dot', '{ type: nats, bucket: my.state }', [`genserver.state_store.bucket@2:38: must be a non-empty string of letters, digits, '_' and '-' (it becomes part of NATS subjects and bucket names); got "my.state"`]],
    ['an empty server list', '{ type: nats, servers: [] }', ['genserver.state_store.servers@2:39: must be a NATS server URL (nats://host:port) or a non-empty list of them; got []']],
    ['a redis key on it (not suggested back: it is no typo)', '{ type: nats, url: nats://a }', ['genserver.state_store.url@2:30: unknown key "url"']],
  ])('%s is a problem naming the path and line', (_title, store, expected) => {
    expect(problems(lines('genserver:', `  state_store: ${store}`))).toEqual(expected);
  });
});

describe('cluster options where module options enter', () => {
  const topology = { cluster: { transport: 'nats', servers: 'nats://from-yaml:4222', node: 'yaml-node', prefix: 'yaml' } };

  it("a topology's cluster leaves with its defaults filled in", () => {
    expect(resolveModuleOptions({ topology }).cluster).toEqual({
      transport: 'nats',
      servers: ['nats://from-yaml:4222'],
      node: 'yaml-node',
      prefix: 'yaml',
      leaseTtlMs: 5000,
      maxInFlight: 10_000,
    });
  });

  it('a cluster given in code beside a topology replaces its cluster whole', () => {
    const options = resolveModuleOptions({ topology, cluster: { transport: 'nats', servers: 'nats://from-code:4222' } });
    expect(options.cluster).toMatchObject({ servers: ['nats://from-code:4222'], prefix: 'genserver' });
    expect(options.cluster?.node).not.toBe('yaml-node');
  });

  it('a bad cluster given in code is an InvalidOptionError naming the option', () => {
    const error = (() => {
      try {
        return resolveModuleOptions({ cluster: { transport: 'nats', servers: 'nats://a', leaseTtlMs: 0 } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('cluster.leaseTtlMs');
  });
});
