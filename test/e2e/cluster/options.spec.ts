import { Test } from '@nestjs/testing';
import { GenServer, GenServerModule, GenServerProcess, InvalidOptionError, type SupervisorSpec } from 'nestjs-genserver';
import type { ClusterOptions } from '../../../lib/interfaces/cluster-options.interface.js';
import { SpecReader } from '../../../lib/supervisor/spec-reader.js';
import { bootApp } from '../../support/app.js';
import { Journal, Worker } from '../../support/workers.js';

// #10: the cluster surface is checked where options enter, by the same rules as everything else.

@GenServer({ type: 'everywhere', scope: 'node' })
class Everywhere extends GenServerProcess {}

@GenServer({ type: 'misplaced', scope: 'global' as never })
class Misplaced extends GenServerProcess {}

async function bootError(...args: Parameters<typeof bootApp>): Promise<InvalidOptionError> {
  const error = await bootApp(...args).then(
    async (t) => {
      await t.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidOptionError);
  return error as InvalidOptionError;
}

describe('scope', () => {
  it("'cluster' and 'node' are accepted on a class and a child spec", async () => {
    const supervision: SupervisorSpec = { name: 'root', children: [{ name: 'w', type: Worker, scope: 'cluster' }, { name: 'e', type: Everywhere }] };
    const t = await bootApp([Journal, Worker, Everywhere], { supervision });
    expect(t.runtime.list()).toEqual(['w', 'e']);
    await t.close();
  });

  it('anything else on a child spec fails the boot, naming the option', async () => {
    const error = await bootError([Journal, Worker], { supervision: { name: 'root', children: [{ name: 'w', type: Worker, scope: 'global' as never }] } });
    expect(error.option).toBe('supervision.children[0].scope');
    expect(error.message).toBe(`supervision.children[0].scope must be 'cluster' or 'node', got "global"`);
  });

  it('anything else in @GenServer options fails the boot, naming the class', async () => {
    const error = await bootError([Misplaced]);
    expect(error.option).toBe('@GenServer options of Misplaced.scope');
  });

  it('anything else in start options fails the start', async () => {
    const t = await bootApp([Journal, Worker]);
    const error = await t.runtime.start(Worker, { name: 'late', scope: 'everywhere' as never }).catch((e: unknown) => e);
    await t.close();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('start options.scope');
  });

  it('is carried to the process options, and node with the start options', () => {
    const reader = new SpecReader();
    expect(reader.processOptions({ name: 'a', scope: 'node' }, 'x')).toMatchObject({ scope: 'node' });
    expect(reader.startOptions({ name: 'a', scope: 'cluster', node: 'any' }, 'start options')).toEqual({ name: 'a', scope: 'cluster', node: 'any' });
  });
});

describe('node in start options', () => {
  it.each([[''], [42], [null]])('%j is refused, naming the option', async (node) => {
    const t = await bootApp([Journal, Worker]);
    const error = await t.runtime.start(Worker, { name: 'late', node: node as never }).catch((e: unknown) => e);
    await t.close();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('start options.node');
    expect(t.runtime.list()).not.toContain('late');
  });
});

describe('cluster module options', () => {
  it.each<[string, Partial<ClusterOptions>, string]>([
    ['a lease TTL of 0', { leaseTtlMs: 0 }, 'cluster.leaseTtlMs'],
    ['a prefix with a dot', { prefix: 'my.app' }, 'cluster.prefix'],
    ['a node name with a space', { node: 'eu 1' }, 'cluster.node'],
    ['a password without a user', { pass: 'pw' }, 'cluster.pass'],
  ])('%s fails the boot, naming the option', async (_title, bad, option) => {
    const error = await bootError([Journal, Worker], { cluster: { transport: 'nats', servers: 'nats://127.0.0.1:4222', ...bad } });
    expect(error.option).toBe(option);
  });

  it('are checked when they come from forRootAsync (configuration no type checker saw)', async () => {
    const fromConfig: Record<string, unknown> = { transport: 'nats', servers: [] };
    const compiled = Test.createTestingModule({
      imports: [GenServerModule.forRootAsync({ useFactory: () => ({ cluster: fromConfig as never, onRootFailure: 'keep' }) })],
    }).compile();
    const error = await compiled.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('cluster.servers');
  });
});
