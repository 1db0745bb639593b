import { parseTopology, TopologyError } from 'nestjs-genserver';

/** Parses `yaml` and returns its problems as `path@line:column`, or [] when it is valid. */
function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseTopology(yaml, 'broken.yaml', env);
    return [];
  } catch (error) {
    if (!(error instanceof TopologyError)) throw error;
    return error.problems.map((p) => `${p.path}@${p.line}:${p.column}`);
  }
}

const lines = (...rows: string[]) => rows.join('\n') + '\n';
const tree = (...children: string[]) =>
  lines('genserver:', '  supervision:', '    name: root', '    children:', ...children);

describe('broken topologies: every problem, with its path and line', () => {
  it.each<[string, string, string[]]>([
    ['YAML syntax', lines('genserver:', '  call_timeout_ms: [1, 2', 'x: 1'), ['(yaml)@3:1']],
    ['duplicate YAML key', lines('genserver:', '  call_timeout_ms: 1', '  call_timeout_ms: 2'), ['(yaml)@3:3']],
    ['unknown top-level key', lines('genserver:', '  call_timeout: 5000'), ['genserver.call_timeout@2:3']],
    ['wrong type', lines('genserver:', '  call_timeout_ms: fast'), ['genserver.call_timeout_ms@2:20']],
    ['negative number', lines('genserver:', '  call_timeout_ms: -1'), ['genserver.call_timeout_ms@2:20']],
    ['bad on_root_failure', lines('genserver:', '  on_root_failure: explode'), ['genserver.on_root_failure@2:20']],
    ['unknown state store', lines('genserver:', '  state_store: { type: cassandra }'), ['genserver.state_store.type@2:24']],
    ['lmdb store without a path', lines('genserver:', '  state_store: { type: lmdb }'), ['genserver.state_store.path@2:16']],
    ['bad checkpoint policy', tree('      - name: a', '        type: A', '        checkpoint: { every: 5 }'), ['genserver.supervision.children[0].checkpoint@7:21']],
    ['bad strategy', lines('genserver:', '  supervision:', '    name: root', '    strategy: one_for_some'), ['genserver.supervision.strategy@4:15']],
    ['fractional max_restarts', lines('genserver:', '  supervision:', '    name: root', '    max_restarts: 2.5'), ['genserver.supervision.max_restarts@4:19']],
    ['negative within_ms', lines('genserver:', '  supervision:', '    name: root', '    within_ms: -5'), ['genserver.supervision.within_ms@4:16']],
    ['supervisor without name', lines('genserver:', '  supervision:', '    strategy: one_for_one'), ['genserver.supervision.name@3:5']],
    ['unknown backoff type', lines('genserver:', '  supervision:', '    name: root', '    backoff: { type: fibonacci }'), ['genserver.supervision.backoff.type@4:22']],
    ['jitter above 1', lines('genserver:', '  supervision:', '    name: root', '    backoff:', '      type: constant', '      jitter: 1.5'), ['genserver.supervision.backoff.jitter@6:15']],
    ['unknown backoff key', lines('genserver:', '  supervision:', '    name: root', '    backoff:', '      type: constant', '      base: 100'), ['genserver.supervision.backoff.base@6:7']],
    ['child without type', tree('      - name: a'), ['genserver.supervision.children[0].type@5:9']],
    ['unknown child key', tree('      - name: a', '        type: A', '        argz: {}'), ['genserver.supervision.children[0].argz@7:9']],
    ['bad restart type', tree('      - name: a', '        type: A', '        restart: sometimes'), ['genserver.supervision.children[0].restart@7:18']],
    ['mailbox max 0', tree('      - name: a', '        type: A', '        mailbox: { max: 0 }'), ['genserver.supervision.children[0].mailbox.max@7:25']],
    ['unknown mailbox key', tree('      - name: a', '        type: A', '        mailbox: { size: 10 }'), ['genserver.supervision.children[0].mailbox.max@7:18', 'genserver.supervision.children[0].mailbox.size@7:20']],
    ['handler timeout as text', tree('      - name: a', '        type: A', '        handler_timeout_ms: 2s'), ['genserver.supervision.children[0].handler_timeout_ms@7:29']],
    ['duplicate names', tree('      - name: a', '        type: A', '      - name: a', '        type: B'), ['genserver.supervision.children[1].name@7:15']],
    ['process named like its supervisor', tree('      - name: root', '        type: A'), ['genserver.supervision.children[0].name@5:15']],
    ['dynamic supervisor max_children 0', tree('      - name: sessions', '        type: dynamic_supervisor', '        max_children: 0'), ['genserver.supervision.children[0].max_children@7:23']],
    ['dynamic supervisor with children', tree('      - name: sessions', '        type: dynamic_supervisor', '        children: []'), ['genserver.supervision.children[0].children@7:9']],
    ['nested supervisor, bad strategy', tree('      - supervisor:', '          name: workers', '          strategy: all_for_one'), ['genserver.supervision.children[0].supervisor.strategy@7:21']],
    ['child that is not a mapping', tree('      - rate_limiter'), ['genserver.supervision.children[0]@5:9']],
    ['missing environment variable', lines('genserver:', '  call_timeout_ms: ${CALL_TIMEOUT}'), ['genserver.call_timeout_ms@2:20']],
    ['several problems at once', tree('      - name: a', '        type: A', '        restart: never', '      - name: b', '        shutdown_ms: -1'), [
      'genserver.supervision.children[0].restart@7:18',
      'genserver.supervision.children[1].type@8:9',
      'genserver.supervision.children[1].shutdown_ms@9:22',
    ]],
  ])('%s', (_title, yaml, expected) => {
    expect(problems(yaml)).toEqual(expected);
  });

  it('says what is wrong in words a person can act on', () => {
    const error = (() => {
      try {
        return parseTopology(lines('genserver:', '  supervision:', '    name: root', '    strategy: one_for_some', '    colour: blue'), 'config/topology.yaml');
      } catch (e) {
        return e as TopologyError;
      }
    })() as TopologyError;
    expect(error.message).toBe(
      [
        'topology config/topology.yaml is invalid (2 problems):',
        '  config/topology.yaml:4:15: genserver.supervision.strategy: Invalid option: expected one of "one_for_one"|"one_for_all"|"rest_for_one"|"ONE_FOR_ONE"|"ONE_FOR_ALL"|"REST_FOR_ONE"',
        '  config/topology.yaml:5:5: genserver.supervision.colour: unknown key "colour"',
      ].join('\n'),
    );
  });
});

describe('environment variables', () => {
  const yaml = lines(
    'genserver:',
    '  call_timeout_ms: ${CALL_TIMEOUT:-250}',
    '  supervision:',
    '    name: ${ROOT_NAME}',
    '    max_restarts: ${MAX_RESTARTS}',
    '    children:',
    '      - name: "limiter-${REGION:-eu}"',
    '        type: RateLimiter',
    '        args: { url: "${URL}" }',
  );

  it('replaces ${VAR} and ${VAR:-default}, typing plain whole values', () => {
    const options = parseTopology(yaml, 't.yaml', { ROOT_NAME: 'top', MAX_RESTARTS: '7', URL: 'redis://127.0.0.1:6379' });
    expect(options).toEqual({
      callTimeout: 250,
      supervision: {
        name: 'top',
        maxRestarts: 7,
        children: [{ name: 'limiter-eu', type: 'RateLimiter', args: { url: 'redis://127.0.0.1:6379' } }],
      },
    });
  });

  it('cannot inject YAML through a variable', () => {
    const options = parseTopology(yaml, 't.yaml', { ROOT_NAME: 'x\n    strategy: one_for_all', MAX_RESTARTS: '1', URL: 'u' });
    expect(options.supervision).toMatchObject({ name: 'x\n    strategy: one_for_all' });
    expect(options.supervision?.strategy).toBeUndefined();
  });
});
