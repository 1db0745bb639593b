import { Inject, Injectable, Optional, Scope } from '@nestjs/common';
import { jest } from '@jest/globals';
import { GenServer, GenServerProcess, HandleCall, HandleCast } from 'nestjs-genserver';
import { GenServerKernel } from '../../lib/runtime/genserver.kernel.js';
import { bootApp, nextEvent, type TestApp } from '../support/app.js';

@Injectable()
class Settings {
  readonly greeting = 'hello';
}

@Injectable()
class Audit {
  readonly lines: string[] = [];
}

const LIMIT = 'LIMIT';
let built = 0;

/** Default-scoped dependencies only: built directly, without `ModuleRef.create`. */
@GenServer()
class Greeter extends GenServerProcess<{ calls: number }> {
  readonly serial = ++built;
  @Inject(Audit) audit!: Audit;
  @Inject(LIMIT) limit!: number;

  constructor(private readonly settings: Settings, @Optional() @Inject('MAYBE') readonly maybe?: unknown) {
    super();
  }
  override init() {
    this.state = { calls: 0 };
    this.audit.lines.push(`init ${this.name} #${this.serial}`);
  }
  @HandleCall('hello') hello() {
    this.state.calls++;
    return { text: `${this.settings.greeting} from ${this.name}`, limit: this.limit, serial: this.serial, maybe: this.maybe };
  }
  @HandleCall('deps') deps() {
    return { settings: this.settings, audit: this.audit };
  }
  @HandleCast('crash') crash() {
    throw new Error('crash on purpose');
  }
}

let transientsBuilt = 0;

@Injectable({ scope: Scope.TRANSIENT })
class Scratchpad {
  readonly id = ++transientsBuilt;
}

/** A transient dependency: every instance must get its own, so this goes through `ModuleRef.create`. */
@GenServer()
class Notekeeper extends GenServerProcess<null> {
  constructor(readonly pad: Scratchpad, readonly settings: Settings) {
    super();
  }
  override init() {
    this.state = null;
  }
  @HandleCall('pad') pad_() {
    return { pad: this.pad.id, greeting: this.settings.greeting };
  }
}

describe('spawned processes and dependency injection', () => {
  let t: TestApp;
  let kernel: GenServerKernel;

  beforeEach(async () => {
    t = await bootApp([Settings, Audit, { provide: LIMIT, useValue: 7 }, Scratchpad, Greeter, Notekeeper]);
    kernel = t.app.get(GenServerKernel, { strict: false });
  });
  afterEach(() => t.close());

  it('injects constructor and property dependencies (the same singletons Nest injects) into every process', async () => {
    await t.runtime.start(Greeter, { name: 'g1' });
    await t.runtime.start(Greeter, { name: 'g2' });
    const reply = await t.runtime.call<{ text: string; limit: number; maybe: unknown }>('g1', { type: 'hello' });
    expect(reply).toMatchObject({ text: 'hello from g1', limit: 7, maybe: undefined });
    const d1 = await t.runtime.call<{ settings: Settings; audit: Audit }>('g1', { type: 'deps' });
    const d2 = await t.runtime.call<{ settings: Settings; audit: Audit }>('g2', { type: 'deps' });
    expect(d1.settings).toBe(t.app.get(Settings));
    expect(d1.audit).toBe(t.app.get(Audit));
    expect(d2.settings).toBe(d1.settings);
    expect(d2.audit).toBe(d1.audit);
    expect(t.app.get(Audit).lines).toEqual([expect.stringMatching(/^init g1 #\d+$/), expect.stringMatching(/^init g2 #\d+$/)]);
  });

  it('builds a fresh instance for each spawn and each restart, never the provider Nest built', async () => {
    const provider = t.app.get(Greeter);
    await t.runtime.start(Greeter, { name: 'a' });
    await t.runtime.start(Greeter, { name: 'b' });
    const serialOf = async (name: string) => (await t.runtime.call<{ serial: number }>(name, { type: 'hello' })).serial;
    const a1 = await serialOf('a');
    const b1 = await serialOf('b');
    expect(new Set([provider.serial, a1, b1]).size).toBe(3);
    const restarted = nextEvent(t.runtime.events$, (e) => e.type === 'restarted' && e.name === 'a');
    await t.runtime.cast('a', { type: 'crash' });
    await restarted;
    const a2 = await serialOf('a');
    expect(a2).not.toBe(a1);
    expect(a2).not.toBe(b1);
    expect((await t.runtime.call<{ text: string; limit: number }>('a', { type: 'hello' })).limit).toBe(7);
  });

  it('constructs default-scoped classes directly and leaves a class with a transient dependency to ModuleRef.create', async () => {
    const greeterRef = kernel.resolveType(Greeter).moduleRef!;
    const create = jest.spyOn(greeterRef, 'create');
    await t.runtime.start(Greeter, { name: 'direct' });
    expect(create).not.toHaveBeenCalled();
    await t.runtime.start(Notekeeper, { name: 'n1' });
    await t.runtime.start(Notekeeper, { name: 'n2' });
    expect(create).toHaveBeenCalledTimes(2);
    const p1 = await t.runtime.call<{ pad: number; greeting: string }>('n1', { type: 'pad' });
    const p2 = await t.runtime.call<{ pad: number; greeting: string }>('n2', { type: 'pad' });
    // A transient dependency is made for each instance, as ModuleRef.create does.
    expect(p1.pad).not.toBe(p2.pad);
    expect(p1.greeting).toBe('hello');
    create.mockRestore();
  });
});
