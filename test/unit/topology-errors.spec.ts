import { parseTopology, TopologyError } from 'nestjs-genserver';
import { STORE_PACKAGES } from '../../lib/state/state-stores.js';

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
    ['duration of 2^31 ms or more', tree('      - name: a', '        type: A', '        handler_timeout_ms: 3000000000'), ['genserver.supervision.children[0].handler_timeout_ms@7:29']],
    ['call timeout of 2^31 ms', lines('genserver:', '  call_timeout_ms: 2147483648'), ['genserver.call_timeout_ms@2:20']],
    ['negative infinity', lines('genserver:', '  call_timeout_ms: -.inf'), ['genserver.call_timeout_ms@2:20']],
    ['NaN duration', lines('genserver:', '  supervision:', '    name: root', '    heartbeat_ms: .nan'), ['genserver.supervision.heartbeat_ms@4:19']],
    ['backoff max past the timer range', lines('genserver:', '  supervision:', '    name: root', '    backoff: { type: linear, max_ms: 1e12 }'), ['genserver.supervision.backoff.max_ms@4:38']],
    ['checkpoint interval of 0', tree('      - name: a', '        type: A', '        checkpoint: { interval_ms: 0 }'), ['genserver.supervision.children[0].checkpoint@7:21']],
    ['init timeout on a child, negative', tree('      - name: a', '        type: A', '        init_timeout_ms: -1'), ['genserver.supervision.children[0].init_timeout_ms@7:26']],
    ['init timeout at module level, as text', lines('genserver:', '  init_timeout_ms: soon'), ['genserver.init_timeout_ms@2:20']],
    ['both mailbox spellings on a child', tree('      - name: a', '        type: A', '        max_mailbox: 5', '        mailbox: { max: 5 }'), ['genserver.supervision.children[0].max_mailbox@7:9']],
    ['both mailbox spellings at module level', lines('genserver:', '  max_mailbox: 5', '  mailbox: { max: 6 }'), ['genserver.max_mailbox@2:3']],
    ['children that are not a list', lines('genserver:', '  supervision:', '    name: root', '    children: { a: 1 }'), ['genserver.supervision.children@4:15']],
    ['supervision that is not a mapping', lines('genserver:', '  supervision: root'), ['genserver.supervision@2:16']],
    ['a bad supervisor key does not hide a bad child key', tree('      - name: a', '        type: A', '        argz: {}').replace('    name: root\n', '    name: root\n    colour: blue\n'), [
      'genserver.supervision.colour@4:5',
      'genserver.supervision.children[0].argz@8:9',
    ]],
    ['a bad nested supervisor still has its children read', tree('      - supervisor:', '          name: workers', '          strategy: all_for_one', '          children:', '            - name: b', '              type: B', '              restart: never'), [
      'genserver.supervision.children[0].supervisor.strategy@7:21',
      'genserver.supervision.children[0].supervisor.children[0].restart@11:24',
    ]],
    ['a child with a bad key still claims its name', tree('      - name: a', '        type: A', '        shutdown_ms: -1', '      - name: a', '        type: B'), [
      'genserver.supervision.children[0].shutdown_ms@7:22',
      'genserver.supervision.children[1].name@8:15',
    ]],
    ['a missing variable and a problem elsewhere', lines('genserver:', '  call_timeout_ms: ${CALL_TIMEOUT}', '  drain_budget: 0'), ['genserver.call_timeout_ms@2:20', 'genserver.drain_budget@3:17']],
    ['a duplicate YAML key and a problem elsewhere', lines('genserver:', '  call_timeout_ms: 1', '  call_timeout_ms: 2', '  colour: blue'), ['(yaml)@3:3', 'genserver.colour@4:3']],
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

describe('unknown keys: did you mean', () => {
  function messages(yaml: string): string[] {
    try {
      parseTopology(yaml, 'typo.yaml', {});
      return [];
    } catch (error) {
      return (error as TopologyError).problems.map((p) => `${p.path}: ${p.message}`);
    }
  }

  it.each([
    ['maxRestarts', 'max_restarts'],
    ['heartbeatMs', 'heartbeat_ms'],
    ['withinMS', 'within_ms'],
    ['max_restart', 'max_restarts'],
    ['stratgey', 'strategy'],
    ['childern', 'children'],
    ['within', 'within_ms'],
  ])('a supervisor key %s suggests `%s`', (typo, meant) => {
    expect(messages(lines('genserver:', '  supervision:', '    name: root', `    ${typo}: 1`))).toEqual([
      `genserver.supervision.${typo}: unknown key "${typo}" (did you mean \`${meant}\`?)`,
    ]);
  });

  it.each([
    ['genserver', 'callTimeoutMs', 'call_timeout_ms'],
    ['genserver', 'call_timeout', 'call_timeout_ms'],
    ['genserver', 'maxMailbox', 'max_mailbox'],
    ['genserver', 'initTimeoutMs', 'init_timeout_ms'],
    ['genserver.supervision.children[0]', 'handlerTimeoutMs', 'handler_timeout_ms'],
    ['genserver.supervision.children[0]', 'argz', 'args'],
    ['genserver.supervision.children[0]', 'deleteStateOnStop', 'delete_state_on_stop'],
  ])('at %s, %s suggests `%s`', (at, typo, meant) => {
    const yaml =
      at === 'genserver'
        ? lines('genserver:', `  ${typo}: 1`)
        : tree('      - name: a', '        type: A', `        ${typo}: 1`);
    expect(messages(yaml)).toEqual([`${at}.${typo}: unknown key "${typo}" (did you mean \`${meant}\`?)`]);
  });

  it('looks among the keys of the mapping the typo is in: backoff, state_store, mailbox', () => {
    expect(messages(lines('genserver:', '  state_store: { type: lmdb, path: /tmp/x, prefix: a }', '  supervision:', '    name: root', '    backoff: { type: linear, bsae_ms: 5 }'))).toEqual([
      'genserver.state_store.prefix: unknown key "prefix"',
      'genserver.supervision.backoff.bsae_ms: unknown key "bsae_ms" (did you mean `base_ms`?)',
    ]);
    expect(messages(tree('      - name: a', '        type: A', '        mailbox: { max: 3, mx: 4 }'))).toEqual([
      'genserver.supervision.children[0].mailbox.mx: unknown key "mx" (did you mean `max`?)',
    ]);
  });

  it('does not suggest a key of another kind of store as the fix of itself', () => {
    expect(messages(lines('genserver:', '  state_store: { type: lmdb, path: /tmp/x, url: redis://r }'))).toEqual(['genserver.state_store.url: unknown key "url"']);
  });

  it('suggests nothing for a key close to none', () => {
    expect(messages(lines('genserver:', '  colour: blue'))).toEqual(['genserver.colour: unknown key "colour"']);
  });
});

describe('durations, init_timeout_ms and the mailbox bound', () => {
  it('.inf is Infinity (no timer), and 2^31 - 1 ms is the longest finite duration', () => {
    const options = parseTopology(
      lines(
        'genserver:',
        '  call_timeout_ms: .inf',
        '  supervision:',
        '    name: root',
        '    within_ms: 2147483647',
        '    heartbeat_ms: 0',
        '    backoff: { type: exponential, base_ms: 0, max_ms: .inf }',
        '    children:',
        '      - name: a',
        '        type: A',
        '        shutdown_ms: .inf',
        '        handler_timeout_ms: .inf',
        '        checkpoint: { interval_ms: .inf }',
      ),
      'durations.yaml',
    );
    expect(options).toEqual({
      callTimeout: Infinity,
      supervision: {
        name: 'root',
        withinMs: 2147483647,
        heartbeatMs: 0,
        backoff: { type: 'exponential', baseMs: 0, maxMs: Infinity },
        children: [{ name: 'a', type: 'A', shutdownMs: Infinity, handlerTimeoutMs: Infinity, checkpoint: { intervalMs: Infinity } }],
      },
    });
  });

  it('init_timeout_ms maps to initTimeoutMs at module level and on a process child', () => {
    const options = parseTopology(tree('      - name: a', '        type: A', '        init_timeout_ms: 250').replace('genserver:\n', 'genserver:\n  init_timeout_ms: .inf\n'), 'init.yaml');
    expect(options.initTimeoutMs).toBe(Infinity);
    expect(options.supervision?.children).toEqual([{ name: 'a', type: 'A', initTimeoutMs: 250 }]);
  });

  it.each([
    ['max_mailbox: 7', 'mailbox: { max: 8 }'],
    ['mailbox: { max: 7 }', 'max_mailbox: 8'],
  ])('either spelling of the bound works at both levels (%s at module level, %s on a child)', (moduleLevel, childLevel) => {
    const options = parseTopology(lines('genserver:', `  ${moduleLevel}`, '  supervision:', '    name: root', '    children:', '      - name: a', '        type: A', `        ${childLevel}`), 'mailbox.yaml');
    expect(options).toEqual({ maxMailbox: 7, supervision: { name: 'root', children: [{ name: 'a', type: 'A', maxMailbox: 8 }] } });
  });
});

describe('a state_store whose package is not installed', () => {
  const original = { ...STORE_PACKAGES };
  afterEach(() => Object.assign(STORE_PACKAGES, original));

  it('is a problem at load, with the npm i line that fixes it, wherever the store is named', () => {
    STORE_PACKAGES.lmdb = 'nestjs-genserver-test-no-such-lmdb';
    STORE_PACKAGES.redis = 'nestjs-genserver-test-no-such-ioredis';
    const yaml = lines(
      'genserver:',
      '  state_store: { type: lmdb, path: /tmp/state }',
      '  supervision:',
      '    name: root',
      '    state_store: { type: redis }',
      '    children:',
      '      - name: a',
      '        type: A',
      '        state_store: { type: memory }',
    );
    expect(() => parseTopology(yaml, 'stores.yaml')).toThrow(TopologyError);
    try {
      parseTopology(yaml, 'stores.yaml');
    } catch (error) {
      expect((error as TopologyError).problems).toEqual([
        { path: 'genserver.state_store.type', line: 2, column: 24, message: 'the lmdb state store needs the package "nestjs-genserver-test-no-such-lmdb", which is not installed; install it with: npm i nestjs-genserver-test-no-such-lmdb' },
        { path: 'genserver.supervision.state_store.type', line: 5, column: 26, message: 'the redis state store needs the package "nestjs-genserver-test-no-such-ioredis", which is not installed; install it with: npm i nestjs-genserver-test-no-such-ioredis' },
      ]);
    }
  });

  it('is no problem when the package is installed (lmdb and ioredis are, for the tests)', () => {
    const options = parseTopology(lines('genserver:', '  state_store: { type: lmdb, path: /tmp/state }', '  supervision:', '    name: root', '    state_store: { type: redis }'), 'stores.yaml');
    expect(options).toEqual({ stateStore: { type: 'lmdb', path: '/tmp/state' }, supervision: { name: 'root', stateStore: { type: 'redis' }, children: [] } });
  });
});
