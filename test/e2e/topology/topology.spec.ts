import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { fileURLToPath } from 'node:url';
import { GenServer, GenServerModule, GenServerProcess, GenServerRuntime, TopologyError, topology } from 'nestjs-genserver';
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

  it('fail the boot when the file cannot be read, naming it', async () => {
    const error = await bootApp([Journal, Worker], { topology: fixture('missing.yaml') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopologyError);
    expect((error as Error).message).toMatch(/missing\.yaml is invalid \(1 problem\):\n {2}\(file\): cannot be read: ENOENT/);
  });

  it('let options given beside the topology win', async () => {
    const t = await bootApp([Journal, Worker], { topology: fixture('civitas.yaml'), supervision: { name: 'mine' } });
    expect(t.runtime.tree()).toMatchObject({ name: 'mine', children: [] });
    await t.close();
  });
});
