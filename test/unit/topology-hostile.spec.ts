import { loadTopology, parseTopology, TopologyError } from 'nestjs-genserver';

/** What loading `source` throws: a TopologyError's problems as `path: message`; anything else fails the test. */
function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(TopologyError);
    return (error as TopologyError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a TopologyError');
}

const deepSupervision = (levels: number) => {
  let spec: Record<string, unknown> = { name: 'leaf' };
  for (let level = 0; level < levels; level++) spec = { name: `s${level}`, children: [{ supervisor: spec }] };
  return spec;
};

describe('hostile topology objects are TopologyErrors, never a crash', () => {
  it('a supervisor that contains itself', () => {
    const supervision: Record<string, unknown> = { name: 'root' };
    supervision.children = [{ name: 'a', type: 'A' }, { supervisor: supervision }];
    expect(problems(() => loadTopology({ supervision }))).toEqual([
      'supervision.children[1].supervisor: refers back to supervision, which contains it: a topology cannot contain itself',
    ]);
  });

  // Objects have no lines: what could not be read comes first, then what the schema found.
  it('a cycle is reported with every other problem of the object', () => {
    const child: Record<string, unknown> = { name: 'a', type: 'A', colour: 'red' };
    child.args = child; // args are the process's own: passed on unread, so no problem there
    const supervision: Record<string, unknown> = { name: 'root', children: [child] };
    (supervision.children as unknown[]).push(supervision);
    expect(problems(() => loadTopology({ call_timeout_ms: 2 ** 40, supervision }))).toEqual([
      'supervision.children[1]: refers back to supervision, which contains it: a topology cannot contain itself',
      'call_timeout_ms: must be a number of milliseconds from 0 to 2147483647, or Infinity (no timer), written .inf in YAML; got 1099511627776',
      'supervision.children[0].colour: unknown key "colour"',
    ]);
  });

  it('5 000 levels of nested supervisors', () => {
    const found = problems(() => loadTopology({ supervision: deepSupervision(5000) }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^supervision(\.children\[0\]\.supervisor){33}: is nested more than 100 levels deep$/);
  });

  it('20 levels of nested supervisors are fine', () => {
    expect(loadTopology({ supervision: deepSupervision(20) }).supervision?.name).toBe('s19');
  });

  it('a getter that throws', () => {
    const supervision = { name: 'root', get children(): unknown { throw new Error('children are not ready'); } };
    expect(problems(() => loadTopology({ supervision, drain_budget: 0 }))).toEqual([
      'supervision.children: cannot be read: children are not ready',
      'drain_budget: Too small: expected number to be >=1',
    ]);
  });

  it('a getter that throws something that is not an Error', () => {
    const topology = { get supervision(): unknown { throw Symbol('odd'); } };
    expect(problems(() => loadTopology(topology))).toEqual(['supervision: cannot be read: Symbol(odd)']);
  });

  it('a Proxy whose traps throw', () => {
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('no keys for you'); } });
    expect(problems(() => loadTopology(hostile))).toEqual(['(root): cannot be read: no keys for you']);
    const trapped = new Proxy({ name: 'root' }, { get: () => { throw new Error('trapped'); } });
    expect(problems(() => loadTopology({ supervision: trapped }))).toEqual(['supervision.name: cannot be read: trapped']);
  });

  it('a revoked Proxy', () => {
    const { proxy, revoke } = Proxy.revocable({ name: 'a', type: 'A' }, {});
    revoke();
    const found = problems(() => loadTopology({ supervision: { name: 'root', children: [proxy] } }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^supervision\.children\[0\]: cannot be read: .*revoked/);
  });

  it('a children list that claims to be enormous', () => {
    const children = new Proxy([], { get: (target, key) => (key === 'length' ? 2 ** 32 - 1 : Reflect.get(target, key)) });
    expect(problems(() => loadTopology({ supervision: { name: 'root', children } }))).toEqual([
      '(root): the topology holds more than 100000 values; it is not read further',
    ]);
  });

  it('a key named __proto__ is an unknown key, not a prototype', () => {
    const topology = JSON.parse('{ "__proto__": { "call_timeout_ms": 5 } }') as Record<string, unknown>;
    expect(problems(() => loadTopology(topology))).toEqual(['__proto__: unknown key "__proto__"']);
  });
});

describe('hostile YAML is a TopologyError, never a crash', () => {
  it('an alias that refers to its own anchor', () => {
    expect(problems(() => parseTopology('genserver: &a\n  supervision: *a\n', 'alias.yaml'))).toEqual([
      'genserver.supervision: refers back to genserver, which contains it: a topology cannot contain itself',
    ]);
  });

  it('5 000 levels of nesting', () => {
    const found = problems(() => parseTopology(`genserver:\n  args: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'deep.yaml'));
    expect(found.length).toBeGreaterThan(0);
  });

  it('supervisors nested past the limit in a file, with their line', () => {
    let yaml = 'genserver:\n  supervision:\n';
    let indent = '    ';
    for (let level = 0; level < 40; level++) {
      yaml += `${indent}name: s${level}\n${indent}children:\n${indent}  - supervisor:\n`;
      indent += '      ';
    }
    yaml += `${indent}name: leaf\n`;
    try {
      parseTopology(yaml, 'deep.yaml');
      throw new Error('expected a TopologyError');
    } catch (error) {
      expect(error).toBeInstanceOf(TopologyError);
      const [problem] = (error as TopologyError).problems;
      expect(problem!.message).toBe('is nested more than 100 levels deep');
      expect(problem!.line).toBeGreaterThan(90);
    }
  });
});
