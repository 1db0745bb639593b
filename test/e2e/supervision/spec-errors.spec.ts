import { GenServerError, InvalidOptionError, UnknownTypeError, type SupervisorSpec } from 'nestjs-genserver';
import { SpecReader } from '../../../lib/supervisor/spec-reader.js';
import { bootApp } from '../../support/app.js';
import { Journal, Worker } from '../../support/workers.js';

const withChild = (child: object): SupervisorSpec => ({ name: 'root', children: [child as never] });

describe('supervision specs written in code are checked at boot', () => {
  it.each([
    [withChild({ supervisor: { name: 'sup', strategy: 'one_for_some' } }), 'supervision.children[0].supervisor.strategy: unknown strategy "one_for_some"; use one of one_for_one, one_for_all, rest_for_one'],
    [withChild({ name: 'w' }), 'supervision.children[0].type: a process child needs a type: a @GenServer class or its type name'],
    [withChild({ name: 'w', type: Worker, restart: 'sometimes' }), 'supervision.children[0].restart: unknown restart type "sometimes"; use one of permanent, transient, temporary'],
    [withChild({ name: 'w', type: Worker, shutdownMs: -1 }), 'supervision.children[0].shutdownMs must be a number of milliseconds from 0 to 2147483647, or Infinity (no timer), got -1'],
    [{ name: 'root', maxRestarts: 1.5 }, 'supervision.maxRestarts: must be a whole number >= 0, got 1.5'],
    [{ name: '' }, 'supervision.name: a non-empty name is required'],
    [{ name: 'root', backoff: { type: 'exponential', jitter: 2 } }, 'supervision.backoff.jitter: jitter must be between 0 and 1'],
    [{ name: 'root', backoff: { type: 'fibonacci' } }, 'supervision.backoff.type: unknown backoff type "fibonacci"; use one of none, constant, linear, exponential'],
    [{ name: 'root', children: [{ name: 'w', type: Worker }, { name: 'w', type: Worker }] }, 'supervision.children[1]: the name "w" is used twice'],
    [{ name: 'root', children: [{ name: 'root', type: Worker }] }, 'supervision.children[0]: the name "root" is used twice'],
    [withChild({ name: 's', type: 'dynamic_supervisor', maxChildren: 0 }), 'supervision.children[0].maxChildren: must be a whole number >= 1, got 0'],
  ] as [SupervisorSpec, string][])('%j fails with "%s"', async (supervision, message) => {
    const error = await bootApp([Journal, Worker], { supervision }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenServerError);
    expect((error as Error).message).toContain(message);
  });

  it('names the registered types when a type is unknown', async () => {
    const error = await bootApp([Journal, Worker], { supervision: withChild({ name: 'w', type: 'Wroker' }) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownTypeError);
    expect((error as Error).message).toBe('"Wroker" is not a registered @GenServer type; registered: worker');
  });

  it.each<[string, SupervisorSpec, string]>([
    ['a handler timeout of 2^31 ms or more', withChild({ name: 'w', type: Worker, handlerTimeoutMs: 3_000_000_000 }), 'supervision.children[0].handlerTimeoutMs'],
    ['an init timeout that is not a duration', withChild({ name: 'w', type: Worker, initTimeoutMs: -5 }), 'supervision.children[0].initTimeoutMs'],
    ['a NaN shutdown', withChild({ name: 'w', type: Worker, shutdownMs: NaN }), 'supervision.children[0].shutdownMs'],
    ['a restart window past the timer range', { name: 'root', withinMs: 2 ** 31 }, 'supervision.withinMs'],
    ['a backoff base as text', { name: 'root', backoff: { type: 'constant', baseMs: '100' as never } }, 'supervision.backoff.baseMs'],
    ['a checkpoint interval past the timer range', withChild({ name: 'w', type: Worker, checkpoint: { intervalMs: 2 ** 40 } }), 'supervision.children[0].checkpoint.intervalMs'],
  ])('%s is an InvalidOptionError naming the option path', async (_title, supervision, option) => {
    const error = await bootApp([Journal, Worker], { supervision }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe(option);
    expect((error as Error).message).toContain('must be a number of milliseconds from 0 to 2147483647, or Infinity (no timer)');
  });

  it('checks the initTimeoutMs of start options with the same rule', async () => {
    const t = await bootApp([Journal, Worker]);
    const error = await t.runtime.start(Worker, { name: 'late', initTimeoutMs: 2 ** 31 }).catch((e: unknown) => e);
    await t.close();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('start options.initTimeoutMs');
  });

  it('a cyclic supervision spec is an InvalidOptionError naming where it loops, not a RangeError', async () => {
    const inner: SupervisorSpec = { name: 'inner', children: [] };
    inner.children!.push({ supervisor: inner });
    const supervision: SupervisorSpec = { name: 'root', children: [{ supervisor: inner }] };
    const error = await bootApp([Journal, Worker], { supervision }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('supervision.children[0].supervisor.children[0].supervisor');
    expect((error as Error).message).toContain('a supervisor that does not contain itself');
  });

  it('a supervisor that lists itself as a child is caught the same way', async () => {
    const root: SupervisorSpec = { name: 'root', strategy: 'one_for_one', children: [] };
    root.children!.push(root);
    const error = await bootApp([Journal, Worker], { supervision: root }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('supervision.children[0]');
  });

  it('a supervision spec 5000 levels deep is an InvalidOptionError, not a RangeError', async () => {
    let spec: SupervisorSpec = { name: 'leaf' };
    for (let level = 0; level < 5000; level++) spec = { name: `s${level}`, children: [{ supervisor: spec }] };
    const error = await bootApp([Journal, Worker], { supervision: spec }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toContain('must be nested at most 50 supervisors deep');
    expect((error as InvalidOptionError).option).toMatch(/^supervision(\.children\[0\]\.supervisor){50}$/);
  });

  it('a children getter that throws is an InvalidOptionError naming the path', async () => {
    const supervision = { name: 'root', get children(): never { throw new Error('no children today'); } };
    const error = await bootApp([Journal, Worker], { supervision }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('supervision.children');
    expect((error as Error).message).toContain('no children today');
  });

  it.each([
    ['an unknown store type', { type: 'nope' }],
    ['an lmdb store without a path', { type: 'lmdb' }],
    ['null', null],
    ['a number', 42],
  ])('a module stateStore that is %s fails the boot with an InvalidOptionError naming stateStore', async (_title, stateStore) => {
    const error = await bootApp([Journal, Worker], { stateStore: stateStore as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('stateStore');
    expect((error as Error).message).toContain("stateStore must be { type: 'memory' }, { type: 'lmdb', path }");
  });

  it('accepts upper-case strategy names, as Civitas writes them', async () => {
    const t = await bootApp([Journal, Worker], {
      supervision: { name: 'root', strategy: 'ONE_FOR_ALL', children: [{ name: 'w', type: Worker }] },
    });
    expect(t.runtime.tree()).toMatchObject({ strategy: 'one_for_all', children: [{ name: 'w' }] });
    await t.close();
  });
});

describe('the spec reader', () => {
  const reader = new SpecReader();

  it('returns initTimeoutMs with the process options, Infinity included', () => {
    expect(reader.processOptions({ name: 'w', initTimeoutMs: 250 }, 'p').initTimeoutMs).toBe(250);
    expect(reader.processOptions({ name: 'w', initTimeoutMs: Infinity }, 'p').initTimeoutMs).toBe(Infinity);
    expect(reader.processOptions({ name: 'w' }, 'p').initTimeoutMs).toBeUndefined();
  });

  it('accepts the bounds of the duration rule, 0 and 2^31 - 1 ms, and refuses one more', () => {
    expect(reader.processOptions({ name: 'w', handlerTimeoutMs: 0, shutdownMs: 2 ** 31 - 1 }, 'p')).toMatchObject({ handlerTimeoutMs: 0, shutdownMs: 2 ** 31 - 1 });
    expect(() => reader.processOptions({ name: 'w', shutdownMs: 2 ** 31 }, 'p')).toThrow(InvalidOptionError);
  });

  it('reads an infinite heartbeat as off (0) and an infinite checkpoint interval as manual: no 1 ms timers', () => {
    expect(reader.supervisor({ name: 's', heartbeatMs: Infinity }, 's').heartbeatMs).toBe(0);
    expect(reader.checkpoint({ intervalMs: Infinity }, 'c')).toBe('manual');
    expect(reader.checkpoint({ intervalMs: 500 }, 'c')).toEqual({ intervalMs: 500 });
  });
});
