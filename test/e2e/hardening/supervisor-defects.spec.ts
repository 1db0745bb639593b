import { GenServer, GenServerProcess, HandleCall, NoSuchSupervisorError, SupervisorUnavailableError } from 'nestjs-genserver';
import { SupervisionTree } from '../../../lib/runtime/supervision-tree.js';
import type { SupervisorNode } from '../../../lib/supervisor/supervisor-node.js';
import { bootApp, nextEvent, sleep } from '../../support/app.js';
import { Journal, Worker } from '../../support/workers.js';

// #9 defects 2, 11 and 12 (supervisor side).

describe('rest_for_one with the crashed child removed during its backoff (#9, defect 2)', () => {
  it('restarts the siblings after it, and leaves none restarting for good', async () => {
    const t = await bootApp([Journal, Worker], {
      supervision: {
        name: 'root',
        children: [
          {
            supervisor: {
              name: 'sup',
              strategy: 'rest_for_one',
              maxRestarts: 10,
              backoff: { type: 'constant', baseMs: 100 },
              children: [
                { name: 'a', type: Worker },
                { name: 'b', type: Worker },
                { name: 'c', type: Worker },
                { name: 'd', type: Worker },
              ],
            },
          },
        ],
      },
    });
    await t.runtime.cast('b', { type: 'exit', reason: 'crash' });
    await sleep(30); // c and d are shut down; the supervisor waits out its backoff
    expect(t.runtime.status('c').status).toBe('restarting');
    await t.runtime.stop('b');
    await sleep(150);
    for (const name of ['c', 'd']) {
      expect(t.runtime.status(name).status).toBe('running');
      await expect(t.runtime.call(name, { type: 'ping' }, { timeout: 200 })).resolves.toMatchObject({ name });
    }
    expect(t.runtime.whereis('a')?.incarnation).toBe(1);
    expect(t.runtime.whereis('b')).toBeUndefined();
    await t.close();
  });
});

describe('stopping a supervisor (#9, defect 11)', () => {
  it("passes 'shutdown' to its children's terminate, whatever reason it was stopped with", async () => {
    const t = await bootApp([Journal, Worker], {
      supervision: { name: 'root', children: [{ supervisor: { name: 'services', children: [{ name: 'a', type: Worker }, { name: 'b', type: Worker }] } }] },
    });
    const journal = t.app.get(Journal);
    const mark = journal.mark();
    await t.runtime.stop('services', 'normal');
    expect(journal.since(mark)).toEqual(['terminate b shutdown', 'terminate a shutdown']);
    await t.close();
  });
});

let slowRestarts = 0;

/** Slow to start again: its supervisor's restart loop takes a while. */
@GenServer({ type: 'slow_restart' })
class SlowRestart extends GenServerProcess {
  override async init() {
    if (++slowRestarts > 1) await sleep(80);
  }
  @HandleCall('ping') ping() {
    return 'pong';
  }
}

describe('supervisors in the middle of a restart (#9, defect 12)', () => {
  it('arms no heartbeat on a supervisor stopped during its restart loop', async () => {
    const t = await bootApp([Journal, Worker, SlowRestart], {
      supervision: {
        name: 'root',
        strategy: 'one_for_all',
        maxRestarts: 10,
        children: [
          { name: 'crasher', type: Worker },
          { supervisor: { name: 'inner', heartbeatMs: 50, children: [{ name: 'slow', type: SlowRestart }] } },
        ],
      },
    });
    const inner = (t.app.get(SupervisionTree) as unknown as { supervisors: Map<string, SupervisorNode> }).supervisors.get('inner')!;
    await t.runtime.cast('crasher', { type: 'exit', reason: 'crash' });
    await sleep(30); // root restarts its children; inner restarts slow, whose init takes 80 ms
    await t.runtime.stop('inner');
    await sleep(120);
    expect(inner.status).toBe('stopped');
    expect((inner as unknown as { heartbeat: unknown }).heartbeat).toBeNull();
    await t.close();
  });

  it('says a restarting dynamic supervisor is restarting, not that it does not exist', async () => {
    const t = await bootApp([Journal, Worker], {
      supervision: {
        name: 'root',
        strategy: 'one_for_all',
        maxRestarts: 10,
        backoff: { type: 'constant', baseMs: 100 },
        children: [{ name: 'crasher', type: Worker }, { name: 'sessions', type: 'dynamic_supervisor' }],
      },
    });
    await t.runtime.cast('crasher', { type: 'exit', reason: 'crash' });
    await sleep(30); // the root waits out its backoff; sessions is shut down meanwhile
    const error = await t.runtime.start(Worker, { name: 's1', supervisor: 'sessions' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SupervisorUnavailableError);
    expect(error).toBeInstanceOf(NoSuchSupervisorError);
    expect((error as Error).message).toBe('supervisor "sessions" takes no new children now: it is restarting its children; try again once it has');
    await nextEvent(t.runtime.events$, (e) => e.type === 'restarted' && e.name === 'crasher');
    await sleep(10);
    await t.runtime.start(Worker, { name: 's1', supervisor: 'sessions' });
    expect(t.runtime.whereis('s1')).toBeDefined();
    await t.close();
  });
});
