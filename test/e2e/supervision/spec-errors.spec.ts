import { GenServerError, UnknownTypeError, type SupervisorSpec } from 'nestjs-genserver';
import { bootApp } from '../../support/app.js';
import { Journal, Worker } from '../../support/workers.js';

const withChild = (child: object): SupervisorSpec => ({ name: 'root', children: [child as never] });

describe('supervision specs written in code are checked at boot', () => {
  it.each([
    [withChild({ supervisor: { name: 'sup', strategy: 'one_for_some' } }), 'supervision.children[0].supervisor.strategy: unknown strategy "one_for_some"; use one of one_for_one, one_for_all, rest_for_one'],
    [withChild({ name: 'w' }), 'supervision.children[0].type: a process child needs a type: a @GenServer class or its type name'],
    [withChild({ name: 'w', type: Worker, restart: 'sometimes' }), 'supervision.children[0].restart: unknown restart type "sometimes"; use one of permanent, transient, temporary'],
    [withChild({ name: 'w', type: Worker, shutdownMs: -1 }), 'supervision.children[0].shutdownMs: must be a number of milliseconds >= 0, got -1'],
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

  it('accepts upper-case strategy names, as Civitas writes them', async () => {
    const t = await bootApp([Journal, Worker], {
      supervision: { name: 'root', strategy: 'ONE_FOR_ALL', children: [{ name: 'w', type: Worker }] },
    });
    expect(t.runtime.tree()).toMatchObject({ strategy: 'one_for_all', children: [{ name: 'w' }] });
    await t.close();
  });
});
