import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GenServer, GenServerModule, GenServerProcess, GenServerRuntime, loadTopology, TopologyError, topology } from 'nestjs-genserver';
import { bootApp } from '../../support/app.js';
import { Journal, Worker } from '../../support/workers.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/topologies/${name}`, import.meta.url));

@GenServer('named_extra')
class NamedExtra extends GenServerProcess {}

describe('topologies in YAML', () => {
  it('build the live tree they describe; named providers they do not place start under the root after them', async () => {
    const t = await bootApp([Journal, Worker, NamedExtra], { topology: fixture('valid.yaml') });
    // toMatchObject: every node and child list exactly, besides the live counters not listed here.
    expect(t.runtime.tree()).toMatchObject({
      name: 'root',
      kind: 'supervisor',
      strategy: 'one_for_one',
      status: 'running',
      restarts: 0,
      children: [
        { name: 'a', kind: 'process', type: 'worker', status: 'running', restarts: 0, mailbox: 0, stuck: false },
        { name: 'sessions', kind: 'dynamic_supervisor', strategy: 'one_for_one', status: 'running', restarts: 0, children: [] },
        {
          name: 'workers',
          kind: 'supervisor',
          strategy: 'rest_for_one',
          status: 'running',
          restarts: 0,
          children: [
            { name: 'b', kind: 'process', type: 'worker', status: 'running', restarts: 0, mailbox: 0, stuck: false },
            { name: 'c', kind: 'process', type: 'worker', status: 'running', restarts: 0, mailbox: 0, stuck: false },
          ],
        },
        { name: 'named_extra', kind: 'process', type: 'NamedExtra', status: 'running', restarts: 0, mailbox: 0, stuck: false },
      ],
    });
    // call_timeout_ms came from the file (its ${CALL_TIMEOUT_MS:-1500} default).
    await t.runtime.start(Worker, { name: 's1', supervisor: 'sessions' });
    expect(t.runtime.list()).toContain('s1');
    await t.close();
  });

  it('accept the Civitas layout, with supervision at the top of the document', async () => {
    const t = await bootApp([Journal, Worker], { topology: fixture('civitas.yaml') });
    expect(t.runtime.tree()).toMatchObject({ name: 'root', children: [{ name: 'a', type: 'worker' }] });
    await t.close();
  });

  it('report every type that is not a @GenServer provider of the app, with its line, and never import paths', async () => {
    const error = await bootApp([Journal, Worker], { topology: fixture('unknown-types.yaml') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopologyError);
    expect((error as TopologyError).problems.map((p) => `${p.path}@${p.line}:${p.column}`)).toEqual([
      'genserver.supervision.children[0].type@6:15',
      'genserver.supervision.children[2].type@10:15',
    ]);
    expect((error as Error).message).toContain('"myapp.services.RateLimiter" is not a registered @GenServer type; registered: worker');
  });

  it('load through @nestjs/config: topology() in ConfigModule, forRootAsync with ConfigService', async () => {
    process.env.CALL_TIMEOUT_MS = '25';
    try {
      @Module({
        imports: [
          ConfigModule.forRoot({ load: [topology(fixture('valid.yaml'))], ignoreEnvFile: true }),
          GenServerModule.forRootAsync({
            imports: [ConfigModule],
            inject: [ConfigService],
            useFactory: (config: ConfigService) => ({ ...config.get('genserver'), onRootFailure: 'keep' as const }),
          }),
        ],
        providers: [Journal, Worker],
      })
      class ConfiguredApp {}
      const app = (await Test.createTestingModule({ imports: [ConfiguredApp] }).compile()).createNestApplication({ logger: false });
      await app.init();
      const runtime = app.get(GenServerRuntime);
      expect(runtime.tree()?.children?.map((c) => c.name)).toEqual(['a', 'sessions', 'workers']);
      expect(app.get(ConfigService).get('genserver.callTimeout')).toBe(25);
      await app.close();
    } finally {
      delete process.env.CALL_TIMEOUT_MS;
    }
  });

  it('fail the boot when the file cannot be read, naming the absolute path tried and the working directory', async () => {
    const error = await bootApp([Journal, Worker], { topology: fixture('missing.yaml') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopologyError);
    expect((error as Error).message).toMatch(/missing\.yaml is invalid \(1 problem\):\n {2}\(file\): cannot be read: ENOENT/);
    expect((error as Error).message).toContain(`(tried ${fixture('missing.yaml')}; working directory ${process.cwd()})`);
  });

  it('fail naming the absolute path of a relative one, resolved from the working directory', () => {
    const relative = join('config', 'no-such-topology.yaml');
    const error = (() => {
      try {
        return loadTopology(relative);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(TopologyError);
    expect((error as TopologyError).problems[0]!.message).toContain(`tried ${resolve(relative)}; working directory ${process.cwd()}`);
  });

  it('let options given beside the topology win', async () => {
    const t = await bootApp([Journal, Worker], { topology: fixture('civitas.yaml'), supervision: { name: 'mine' } });
    expect(t.runtime.tree()).toMatchObject({ name: 'mine', children: [] });
    await t.close();
  });
});

/** The problems of a TopologyError as `path@line:column`. */
function located(error: unknown): string[] {
  expect(error).toBeInstanceOf(TopologyError);
  return (error as TopologyError).problems.map((p) => `${p.path}@${p.line}:${p.column}`);
}

describe('a topology with problems: every one, in one TopologyError at boot', () => {
  const everyProblem = [
    'genserver.call_timeout_ms@2:20',
    'genserver.supervision.maxRestarts@5:5',
    'genserver.supervision.children[0].argz@10:9',
    'genserver.supervision.children[1].supervisor.stratgey@13:11',
    'genserver.supervision.children[1].supervisor.children[0].type@16:21',
    'genserver.supervision.children[1].supervisor.children[1].name@18:21',
    'genserver.supervision.children[1].supervisor.children[1].type@19:21',
  ];

  it('a file with three problems (a key, a duration, a type) reports three', async () => {
    const error = await bootApp([Journal, Worker], { topology: fixture('three-problems.yaml') }).catch((e: unknown) => e);
    expect(located(error)).toEqual([
      'genserver.supervision.max_restart@4:5',
      'genserver.supervision.children[0].handler_timeout_ms@8:29',
      'genserver.supervision.children[1].type@10:15',
    ]);
    const message = (error as Error).message;
    expect(message).toContain('three-problems.yaml is invalid (3 problems)');
    expect(message).toContain('unknown key "max_restart" (did you mean `max_restarts`?)');
    expect(message).toContain('"RateLimitr" is not a registered @GenServer type; registered: worker');
  });

  it('schema problems at every level, duplicate names and unknown types, in line order (forRoot)', async () => {
    const error = await bootApp([Journal, Worker], { topology: fixture('every-problem.yaml') }).catch((e: unknown) => e);
    expect(located(error)).toEqual(everyProblem);
  });

  it('the same through @nestjs/config: topology() defers its problems to the boot, where the types join them', async () => {
    @Module({
      imports: [
        ConfigModule.forRoot({ load: [topology(fixture('every-problem.yaml'))], ignoreEnvFile: true }),
        GenServerModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({ ...config.get('genserver'), onRootFailure: 'keep' as const }),
        }),
      ],
      providers: [Journal, Worker],
    })
    class ConfiguredApp {}
    const app = (await Test.createTestingModule({ imports: [ConfiguredApp] }).compile()).createNestApplication({ logger: false });
    const error = await app.init().catch((e: unknown) => e);
    expect(located(error)).toEqual(everyProblem);
    expect(app.get(ConfigService).get('genserver.supervision')).toBeUndefined(); // nothing half-read to boot from
  });

  it('a topology object: schema problems and unknown types together, without lines', async () => {
    const topologyObject = {
      call_timeout_ms: -1,
      supervision: { name: 'root', children: [{ name: 'a', type: 'Nope', shutdownMs: 10 }] },
    };
    const error = await bootApp([Journal, Worker], { topology: topologyObject }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopologyError);
    expect((error as TopologyError).problems).toEqual([
      { path: 'call_timeout_ms', message: 'must be a number of milliseconds from 0 to 2147483647, or Infinity (no timer), written .inf in YAML; got -1' },
      { path: 'supervision.children[0].shutdownMs', message: 'unknown key "shutdownMs" (did you mean `shutdown_ms`?)' },
      {
        path: 'supervision.children[0].type',
        message: '"Nope" is not a registered @GenServer type; registered: worker (types resolve only to @GenServer providers of this app, never to import paths)',
      },
    ]);
  });

  it('a cyclic topology object fails the boot with a TopologyError, not a RangeError', async () => {
    const supervision: Record<string, unknown> = { name: 'root' };
    supervision.children = [{ supervisor: supervision }];
    const error = await bootApp([Journal, Worker], { topology: { supervision } }).catch((e: unknown) => e);
    expect(located(error)).toEqual(['supervision.children[0].supervisor@undefined:undefined']);
    expect((error as Error).message).toContain('refers back to supervision, which contains it');
  });

  it('a valid file with .inf durations and both mailbox spellings boots', async () => {
    const t = await bootApp([Journal, Worker], { topology: fixture('durations.yaml') });
    expect(t.runtime.tree()).toMatchObject({ name: 'root', children: [{ name: 'a' }, { name: 'b' }] });
    await t.close();
  });
});
