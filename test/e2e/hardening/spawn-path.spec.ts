import { DynamicSupervisor, GenServer, GenServerProcess, HandleCall, InvalidOptionError, Supervisor } from 'nestjs-genserver';
import { bootApp } from '../../support/app.js';

// #9 spawn rate and idle bytes: what the shortcuts of the start and stop paths must not change.

@GenServer({ type: 'bad-defaults', shutdownMs: -1 })
class BadDefaults extends GenServerProcess<number> {
  override init() {
    this.state = 0;
  }
}

@GenServer({ type: 'member' })
class Member extends GenServerProcess<{ n: number }> {
  override init(args?: unknown) {
    this.state = { n: (args as number | undefined) ?? 0 };
  }
  @HandleCall('n') n() {
    return this.state.n;
  }
}

const sessions = Supervisor({ name: 'root', children: [DynamicSupervisor({ name: 'sessions' })] });
const names = (t: { runtime: { tree(): unknown } }) =>
  ((t.runtime.tree() as { children: { children: { name: string }[] }[] }).children[0]!.children ?? []).map((c) => c.name);

describe('the start and stop paths (#9, spawn rate and idle bytes)', () => {
  it('refuses invalid defaults when the app boots, so no start can fall back on one', async () => {
    const classDefault = await bootApp([BadDefaults]).catch((e: unknown) => e);
    expect(classDefault).toBeInstanceOf(InvalidOptionError);
    expect((classDefault as InvalidOptionError).option).toBe('@GenServer options of BadDefaults.shutdownMs');
    for (const [option, value] of [['maxMailbox', -1], ['initTimeoutMs', '5']] as const) {
      const moduleDefault = await bootApp([Member], { [option]: value }).catch((e: unknown) => e);
      expect(moduleDefault).toBeInstanceOf(InvalidOptionError);
      expect((moduleDefault as InvalidOptionError).option).toBe(option);
    }
  });

  it('keeps the start order of the children that remain when others are stopped in any order', async () => {
    const t = await bootApp([Member], { supervision: sessions });
    for (let i = 0; i < 8; i++) await t.runtime.start(Member, { name: `m${i}`, supervisor: 'sessions', args: i });
    for (const i of [3, 0, 7, 5]) await t.runtime.stop(`m${i}`);
    expect(names(t)).toEqual(['m1', 'm2', 'm4', 'm6']);
    await t.runtime.start(Member, { name: 'm3', supervisor: 'sessions', args: 33 });
    expect(names(t)).toEqual(['m1', 'm2', 'm4', 'm6', 'm3']);
    await expect(t.runtime.call('m3', { type: 'n' })).resolves.toBe(33);
    expect(t.runtime.status('m6')).toMatchObject({ status: 'running', processed: 0, restarts: 0, mailbox: 0 });
    await t.close();
    // Stopped one by one, then at shutdown the rest newest first.
    expect(t.events.filter((e) => e.type === 'stopped').map((e) => e.name)).toEqual(['m3', 'm0', 'm7', 'm5', 'm3', 'm6', 'm4', 'm2', 'm1']);
  });
});
