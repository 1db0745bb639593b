import {
  AlreadyStartedError,
  DynamicSupervisor,
  MaxChildrenError,
  NoSuchSupervisorError,
  Supervisor,
} from 'nestjs-genserver';
import { bootApp, nextEvent } from '../../support/app.js';
import { Journal, Worker } from '../../support/workers.js';

const tree = Supervisor({
  name: 'root',
  children: [{ name: 'registry', type: Worker }, DynamicSupervisor({ name: 'sessions', maxChildren: 2 })],
});

describe('dynamic supervisors', () => {
  it('start children at run time, up to maxChildren, with unique names', async () => {
    const t = await bootApp([Journal, Worker], { supervision: tree });
    await t.runtime.start(Worker, { name: 'session:1', supervisor: 'sessions' });
    await t.runtime.start('worker', { name: 'session:2', supervisor: 'sessions' });
    await expect(t.runtime.start(Worker, { name: 'session:3', supervisor: 'sessions' })).rejects.toBeInstanceOf(MaxChildrenError);
    await expect(t.runtime.start(Worker, { name: 'session:3', supervisor: 'sessions' })).rejects.toMatchObject({
      message: 'dynamic supervisor "sessions" already has its maximum of 2 children',
    });
    await expect(t.runtime.start(Worker, { name: 'registry' })).rejects.toBeInstanceOf(AlreadyStartedError);
    await expect(t.runtime.start(Worker, { name: 'x', supervisor: 'nope' })).rejects.toBeInstanceOf(NoSuchSupervisorError);
    expect(t.runtime.tree()).toMatchObject({
      children: [{ name: 'registry' }, { name: 'sessions', kind: 'dynamic_supervisor', children: [{ name: 'session:1' }, { name: 'session:2' }] }],
    });
    // runtime.stop frees the slot.
    await t.runtime.stop('session:1');
    await t.runtime.start(Worker, { name: 'session:3', supervisor: 'sessions' });
    expect(t.runtime.list()).toEqual(['registry', 'session:2', 'session:3']);
    await t.close();
  });

  it('restart their children after a crash but not after a normal exit (transient by default)', async () => {
    const t = await bootApp([Journal, Worker], { supervision: tree });
    await t.runtime.start(Worker, { name: 's', supervisor: 'sessions' });
    const restarted = nextEvent(t.runtime.events$, (e) => e.type === 'restarted' && e.name === 's');
    await t.runtime.cast('s', { type: 'exit', reason: 'crash' });
    await restarted;
    const stopped = nextEvent(t.runtime.events$, (e) => e.type === 'stopped' && e.name === 's');
    await t.runtime.cast('s', { type: 'exit', reason: 'normal' });
    await stopped;
    expect(t.runtime.whereis('s')).toBeUndefined();
    expect(t.runtime.tree()?.children?.[1]?.children).toEqual([]);
    await t.close();
  });

  it('stop with their children when stopped, and accept none afterwards', async () => {
    const t = await bootApp([Journal, Worker], { supervision: tree });
    await t.runtime.start(Worker, { name: 's', supervisor: 'sessions' });
    await t.runtime.stop('sessions');
    expect(t.runtime.whereis('s')).toBeUndefined();
    // OTP: a supervisor that stops takes its children down with reason shutdown (#9, defect 11).
    expect(t.app.get(Journal).lines).toContain('terminate s shutdown');
    await expect(t.runtime.start(Worker, { name: 't', supervisor: 'sessions' })).rejects.toBeInstanceOf(NoSuchSupervisorError);
    await t.close();
  });
});
