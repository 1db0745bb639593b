import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseTopology, TopologyError, type ChildSpec, type SupervisorSpec } from 'nestjs-genserver';
import { readClusterOptions } from '../../lib/cluster/cluster-options.js';
import { SpecReader } from '../../lib/supervisor/spec-reader.js';

// Keys and values a topology could plausibly hold, mixed with nonsense, at random depths.
const key = fc.constantFrom(
  'genserver', 'supervision', 'name', 'strategy', 'children', 'supervisor', 'type', 'restart', 'args', 'mailbox', 'max',
  'max_restarts', 'within_ms', 'backoff', 'base_ms', 'max_ms', 'jitter', 'max_children', 'handler_timeout_ms',
  'shutdown_ms', 'heartbeat_ms', 'call_timeout_ms', 'state_store', 'on_root_failure', 'drain_budget', 'x',
  'cluster', 'transport', 'servers', 'node', 'lease_ttl_ms', 'prefix', 'tls', 'ca', 'cert', 'key', 'user', 'pass', 'token', 'max_in_flight', 'scope', 'bucket',
);
const scalar = fc.oneof(
  fc.constantFrom('one_for_one', 'ONE_FOR_ALL', 'rest_for_one', 'permanent', 'transient', 'temporary', 'dynamic_supervisor', 'exponential', 'memory', 'keep', 'root', 'w', '${HOME}', '${NOPE:-5}', 'nats', 'nats://a:4222', 'cluster', 'node', 'a.b'),
  fc.integer({ min: -5, max: 20_000 }),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 8 }),
);
const { doc } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, tie('map'), tie('list')),
  map: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
  list: fc.array(tie('value'), { maxLength: 4 }),
  doc: fc.oneof(fc.record({ genserver: tie('map') }), tie('map'), scalar),
}));

/** A valid topology is one the supervision spec reader (and the cluster reader) accepts whole. */
function readAll(spec: SupervisorSpec, reader: SpecReader, path = 'supervision'): void {
  reader.supervisor(spec, path);
  (spec.children ?? []).forEach((child: ChildSpec, index) => {
    const at = `${path}.children[${index}]`;
    const form = reader.childForm(child, at);
    if (form.kind === 'supervisor') readAll(form.spec, reader, form.path);
    else if (form.kind === 'dynamic_supervisor') reader.dynamicSupervisor(form.spec, at);
    else reader.processOptions(form.spec, at);
  });
}

describe('any document', () => {
  it('becomes a valid topology or a TopologyError, never anything else', () => {
    const reader = new SpecReader();
    fc.assert(
      fc.property(fc.oneof(doc.map((d) => stringify(d)), fc.string({ maxLength: 60 })), (text) => {
        try {
          const options = parseTopology(text, 'random.yaml', { HOME: '/root' });
          if (options.supervision) readAll(options.supervision, reader);
          if (options.cluster) readClusterOptions(options.cluster, 'cluster');
        } catch (error) {
          if (!(error instanceof TopologyError)) throw error;
          expect(error.problems.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000, seed: 20261122 },
    );
  });
});

describe('a cluster block', () => {
  // Every key, mostly with a value its rule accepts and now and then with one it refuses; any subset
  // of the optional keys at once (so the rules between keys come up too).
  const either = <T>(valid: T[], invalid: T[]) =>
    fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 6 }, { arbitrary: fc.constantFrom(...invalid), weight: 1 });
  const block = fc.record(
    {
      transport: either(['nats'], ['redis']),
      servers: either<unknown>(['nats://a:4222', ['nats://a', 'tls://b']], [[], '', 4222]),
      node: either(['n1', 'eu-1_2'], ['a.b', 'a b', '', 'x>']),
      lease_ttl_ms: either([1, 5000, 2.5, 2 ** 31 - 1], [0, -1, Infinity, 2 ** 31]),
      prefix: either(['app', 'a-b_C9'], ['a.b', '', 'a*']),
      tls: either<unknown>([{}, { ca: '/ca.pem' }, { cert: '/c.pem', key: '/c.key' }], [{ cert: '/c.pem' }, { key: '/c.key' }, { ca: '' }]),
      user: either(['u'], ['']),
      pass: either(['p'], ['']),
      token: either(['t'], ['']),
      max_in_flight: either([1, 10_000], [0, 1.5]),
    },
    { requiredKeys: ['transport', 'servers'] },
  );
  const camel = (key: string) => key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
  const accepted = (read: () => unknown) => {
    try {
      read();
      return true;
    } catch {
      return false;
    }
  };

  it('is valid in YAML exactly when the same options written in code are', () => {
    fc.assert(
      fc.property(block, (cluster) => {
        const inYaml = accepted(() => parseTopology(stringify({ genserver: { cluster } }), 'cluster.yaml', {}));
        const inCode = accepted(() => readClusterOptions(Object.fromEntries(Object.entries(cluster).map(([k, v]) => [camel(k), v])), 'cluster'));
        expect(inYaml).toBe(inCode);
      }),
      { numRuns: 2000, seed: 20261201 },
    );
  });
});
