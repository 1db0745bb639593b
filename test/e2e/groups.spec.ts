import { fileURLToPath } from 'node:url';
import {
  GenServer,
  GenServerProcess,
  HandleCall,
  HandleCast,
  InvalidOptionError,
  InvalidPayloadError,
  NoSuchProcessError,
  TopologyError,
  type DeadLetterEvent,
} from 'nestjs-genserver';
import { bootApp, gate, nextEvent, sleep, type TestApp } from '../support/app.js';
import { Journal, Worker } from '../support/workers.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/topologies/${name}`, import.meta.url));
const held = { current: gate() };

@GenServer({ type: 'listener' })
class Listener extends GenServerProcess<{ heard: string[] }> {
  override init(args?: { fail?: boolean }) {
    if (args?.fail) throw new Error('no start');
    this.state = { heard: [] };
  }
  @HandleCast('ping') ping(msg: { type: 'ping'; id: string }) {
    this.state.heard.push(msg.id);
  }
  @HandleCast('hold') async hold() {
    await held.current.promise;
  }
  @HandleCast('boom') boom() {
    throw new Error('boom');
  }
  @HandleCall('heard') heard() {
    return this.state.heard;
  }
}

@GenServer({ type: 'tagged', groups: ['tagged', 'all'] })
class Tagged extends GenServerProcess {
  @HandleCall('hi') hi() {
    return 'hi';
  }
}

describe('process groups', () => {
  let t: TestApp;
  afterEach(async () => {
    held.current.open();
    held.current = gate();
    await t?.close();
  });

  async function boot(...names: string[]) {
    t = await bootApp([Listener, Tagged]);
    for (const name of names) await t.runtime.start(Listener, { name });
    return t.runtime;
  }

  it('join, leave and members: join order, idempotent joins, [] for an unknown group', async () => {
    const runtime = await boot('a', 'b', 'c');
    expect(runtime.members('g')).toEqual([]);
    runtime.join('g', 'c');
    runtime.join('g', 'a');
    runtime.join('g', 'b');
    runtime.join('g', 'a');
    expect(runtime.members('g')).toEqual(['c', 'a', 'b']);
    runtime.join('other', 'a');
    expect(runtime.members('other')).toEqual(['a']);
    expect(runtime.leave('g', 'a')).toBe(true);
    expect(runtime.leave('g', 'a')).toBe(false);
    expect(runtime.leave('nothing', 'a')).toBe(false);
    expect(runtime.members('g')).toEqual(['c', 'b']);
    expect(runtime.members('other')).toEqual(['a']);
    // members() is a copy: changing it changes nothing.
    runtime.members('g').push('zzz');
    expect(runtime.members('g')).toEqual(['c', 'b']);
  });

  it('broadcast casts to every member and resolves with how many mailboxes accepted', async () => {
    const runtime = await boot('a', 'b', 'c');
    for (const name of ['a', 'b', 'c']) runtime.join('g', name);
    await expect(runtime.broadcast('g', { type: 'ping', id: '1' })).resolves.toBe(3);
    await expect(runtime.broadcast('empty', { type: 'ping', id: '2' })).resolves.toBe(0);
    for (const name of ['a', 'b', 'c']) await expect(runtime.call(name, { type: 'heard' })).resolves.toEqual(['1']);
  });

  it('a member with a full mailbox refuses: left out of the count, reported as a dead letter', async () => {
    const runtime = await boot('a', 'c');
    await runtime.start(Listener, { name: 'full', maxMailbox: 1 });
    await runtime.cast('full', { type: 'hold' });
    await sleep(5);
    await runtime.cast('full', { type: 'ping', id: 'queued' });
    expect(runtime.status('full').mailbox).toBe(1);
    for (const name of ['a', 'full', 'c']) runtime.join('g', name);
    const dead = nextEvent(t.runtime.events$, (e): e is DeadLetterEvent => e.type === 'dead-letter');
    await expect(runtime.broadcast('g', { type: 'ping', id: 'b' })).resolves.toBe(2);
    expect(await dead).toMatchObject({ name: 'full', reason: 'MailboxFullError', envelope: { kind: 'cast', to: 'full', payload: { type: 'ping', id: 'b' } } });
    held.current.open();
    await sleep(10);
    await expect(runtime.call('full', { type: 'heard' })).resolves.toEqual(['queued']);
    await expect(runtime.call('a', { type: 'heard' })).resolves.toEqual(['b']);
  });

  it('a member that stops for good leaves its groups; a new process under its name is not a member', async () => {
    const runtime = await boot('a', 'b');
    runtime.join('g', 'a');
    runtime.join('g', 'b');
    runtime.join('h', 'a');
    await runtime.stop('a');
    expect(runtime.members('g')).toEqual(['b']);
    expect(runtime.members('h')).toEqual([]);
    await runtime.start(Listener, { name: 'a' });
    expect(runtime.members('g')).toEqual(['b']);
    expect(() => runtime.join('g', 'gone')).toThrow(NoSuchProcessError);
  });

  it('a restarted member stays in its groups, and broadcasts reach the new incarnation', async () => {
    const runtime = await boot('a');
    runtime.join('g', 'a');
    const restarted = nextEvent(t.runtime.events$, (e) => e.type === 'restarted' && e.name === 'a');
    await runtime.cast('a', { type: 'boom' });
    await restarted;
    expect(runtime.members('g')).toEqual(['a']);
    await expect(runtime.broadcast('g', { type: 'ping', id: 'after' })).resolves.toBe(1);
    await expect(runtime.call('a', { type: 'heard' })).resolves.toEqual(['after']);
  });

  it('the groups option: on @GenServer, replaced by start options and child specs', async () => {
    t = await bootApp([Listener, Tagged], {
      supervision: { name: 'root', children: [{ name: 'spec1', type: Listener, groups: ['from-spec'] }, { name: 't0', type: 'tagged' }] },
    });
    const runtime = t.runtime;
    await runtime.start(Tagged, { name: 't1' });
    await runtime.start(Tagged, { name: 't2', groups: ['own'] });
    await runtime.start(Listener, { name: 'l1', groups: ['all', 'all'] });
    expect(runtime.members('from-spec')).toEqual(['spec1']);
    expect(runtime.members('tagged')).toEqual(['t0', 't1']);
    expect(runtime.members('all')).toEqual(['t0', 't1', 'l1']);
    expect(runtime.members('own')).toEqual(['t2']);
    // A start that fails in init leaves no member behind.
    await expect(runtime.start(Listener, { name: 'bad', args: { fail: true }, groups: ['all'] })).rejects.toThrow();
    expect(runtime.members('all')).toEqual(['t0', 't1', 'l1']);
    await runtime.stop('t1');
    expect(runtime.members('tagged')).toEqual(['t0']);
  });

  it('the groups key of a YAML child spec', async () => {
    t = await bootApp([Journal, Worker], { topology: fixture('groups.yaml') });
    expect(t.runtime.members('workers')).toEqual(['a', 'b']);
    expect(t.runtime.members('audit')).toEqual(['a']);
    await expect(t.runtime.broadcast('workers', { type: 'note' })).resolves.toBe(2);
    await expect(t.runtime.call('b', { type: 'ping' })).resolves.toEqual({ name: 'b', seen: 1 });
    await expect(t.runtime.call('c', { type: 'ping' })).resolves.toEqual({ name: 'c', seen: 0 });
  });

  it('a YAML groups key that is not a list of names is a topology error', async () => {
    const error = await bootApp([Journal, Worker], { topology: fixture('groups-invalid.yaml') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopologyError);
    expect((error as TopologyError).problems.map((p) => p.path)).toEqual(['genserver.supervision.children[0].groups', 'genserver.supervision.children[1].groups[1]']);
  });

  describe('hostile input', () => {
    const bad: unknown[] = [undefined, null, 42, '', Symbol('g'), {}, ['g'], () => 'g'];

    it('a group or name that is not a non-empty string: InvalidOptionError, thrown at once', async () => {
      const runtime = await boot('a');
      for (const value of bad) {
        expect(() => runtime.join(value as string, 'a')).toThrow(InvalidOptionError);
        expect(() => runtime.join('g', value as string)).toThrow(InvalidOptionError);
        expect(() => runtime.leave(value as string, 'a')).toThrow(InvalidOptionError);
        expect(() => runtime.leave('g', value as string)).toThrow(InvalidOptionError);
        expect(() => runtime.members(value as string)).toThrow(InvalidOptionError);
      }
      expect(runtime.members('g')).toEqual([]);
    });

    it('broadcast never throws: it rejects with InvalidOptionError', async () => {
      const runtime = await boot('a');
      for (const value of bad) {
        let sent!: Promise<number>;
        expect(() => (sent = runtime.broadcast(value as string, { type: 'ping', id: 'x' }))).not.toThrow();
        await expect(sent).rejects.toThrow(InvalidOptionError);
      }
    });

    it('joining an unknown name: NoSuchProcessError', async () => {
      const runtime = await boot();
      expect(() => runtime.join('g', 'nobody')).toThrow(NoSuchProcessError);
      expect(runtime.members('g')).toEqual([]);
    });

    it('a payload that is not plain data: the InvalidPayloadError cast gives, nothing sent (even to an empty group)', async () => {
      const runtime = await boot('a');
      runtime.join('g', 'a');
      const payload = new (class Ping { type = 'ping'; id = 'x'; })();
      const fromCast = await runtime.cast('a', payload).catch((e: unknown) => e);
      expect(fromCast).toBeInstanceOf(InvalidPayloadError);
      const fromBroadcast = await runtime.broadcast('g', payload).catch((e: unknown) => e);
      expect(fromBroadcast).toBeInstanceOf(InvalidPayloadError);
      expect((fromBroadcast as Error).message).toBe((fromCast as Error).message.replace('"a"', '"g"'));
      await expect(runtime.broadcast('empty', payload)).rejects.toThrow(InvalidPayloadError);
      await expect(runtime.call('a', { type: 'heard' })).resolves.toEqual([]);
    });

    it('a groups option that is not a list of names: InvalidOptionError naming it', async () => {
      const runtime = await boot();
      for (const groups of ['g', [1], [''], null, [Symbol('g')]]) {
        await expect(runtime.start(Listener, { name: 'x', groups: groups as string[] })).rejects.toThrow(InvalidOptionError);
      }
      await expect(runtime.start(Listener, { name: 'x', groups: 'g' as unknown as string[] })).rejects.toThrow('start options.groups must be');
      expect(runtime.list()).toEqual([]);
    });

    it('a @GenServer groups option that is not a list of names fails the boot, naming the class', async () => {
      @GenServer({ type: 'bad_groups', groups: 'g' as unknown as string[] })
      class BadGroups extends GenServerProcess {}
      const error = await bootApp([BadGroups]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toContain('@GenServer options of BadGroups.groups must be');
    });
  });
});
