import { Injectable } from '@nestjs/common';
import { GenServer, GenServerError, GenServerProcess, HandleCall, HandleCast, InvalidOptionError, ProcessStoppedError, type ExitReason } from 'nestjs-genserver';
import { GenServerKernel } from '../../../lib/runtime/genserver.kernel.js';
import { bootApp, gate, sleep } from '../../support/app.js';

// Variants of #9's defects found by a hostile-input probe of the first fixes.

const opaque = () => new Proxy({}, { getPrototypeOf() { throw new Error('trap: getPrototypeOf'); } });

describe('a failed restart whose init throws a Proxy (defect 4)', () => {
  let inits = 0;
  @GenServer('opaque_init')
  class OpaqueInit extends GenServerProcess {
    override init() {
      if (++inits === 2) throw opaque();
    }
    @HandleCast('crash') crash() {
      throw new Error('crash');
    }
    @HandleCall('ping') ping() {
      return inits;
    }
  }

  it('is another exit of the child: the supervisor restarts it again', async () => {
    const t = await bootApp([OpaqueInit], { maxRestarts: 10 });
    await t.runtime.cast('opaque_init', { type: 'crash' });
    await sleep(50);
    await expect(t.runtime.call('opaque_init', { type: 'ping' }, { timeout: 500 })).resolves.toBe(3);
    expect(t.logger.at('error').map((l) => l.message).join('\n')).not.toMatch('supervisor failed to handle an exit');
    await t.close();
  });
});

describe('call cycles of callers that are not blocked (defect 7)', () => {
  @Injectable()
  class Outcome {
    result: unknown;
    readonly done = gate();
  }

  it('lets a process call one whose handler fired a call at it and returned', async () => {
    @GenServer('pb')
    class Pb extends GenServerProcess {
      @HandleCast('fire') fire() {
        void this.call('pa', { type: 'call_back' }).catch(() => undefined); // fire and return: pb is free
      }
      @HandleCall('ping') ping() {
        return 'pb is free';
      }
    }
    @GenServer('pa')
    class Pa extends GenServerProcess {
      constructor(private readonly outcome: Outcome) {
        super();
      }
      @HandleCall('call_back') async callBack() {
        await sleep(10);
        this.outcome.result = await this.call('pb', { type: 'ping' }).catch((e: Error) => e.message);
        this.outcome.done.open();
        return 'ok';
      }
    }
    const t = await bootApp([Outcome, Pa, Pb]);
    await t.runtime.cast('pb', { type: 'fire' });
    await t.app.get(Outcome).done.promise;
    expect(t.app.get(Outcome).result).toBe('pb is free');
    await t.close();
  });

  it('lets a process call itself from outside any handler', async () => {
    @GenServer('selfcaller')
    class SelfCaller extends GenServerProcess {
      constructor(private readonly outcome: Outcome) {
        super();
      }
      @HandleCast('later') later() {
        setTimeout(() => {
          void this.call('selfcaller', { type: 'ping' })
            .catch((e: Error) => e.message)
            .then((result) => {
              this.outcome.result = result;
              this.outcome.done.open();
            });
        }, 5);
      }
      @HandleCall('ping') ping() {
        return 'answered itself';
      }
    }
    const t = await bootApp([Outcome, SelfCaller]);
    await t.runtime.cast('selfcaller', { type: 'later' });
    await t.app.get(Outcome).done.promise;
    expect(t.app.get(Outcome).result).toBe('answered itself');
    await t.close();
  });
});

describe('@GenServer class options are checked like a child spec (defects 5, 9)', () => {
  it.each([
    [{ restart: 'bogus' }, /restart/],
    [{ redact: 'secret' }, /redact/],
    [{ handlerTimeoutMs: 2 ** 31 }, /handlerTimeoutMs/],
    [{ stateVersion: 0 }, /stateVersion/],
    [{ durableReplies: 'yes' }, /durableReplies/],
  ])('refuses %j at boot, naming the class and the option', async (options, option) => {
    @GenServer({ type: 'badly_set', ...(options as object) })
    class BadlySet extends GenServerProcess {}
    const error = await bootApp([BadlySet]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenServerError);
    expect((error as Error).message).toMatch('@GenServer options of BadlySet');
    expect((error as Error).message).toMatch(option);
  });
});

describe('start options that cannot be read (defect 9)', () => {
  @GenServer({ type: 'plain' })
  class Plain extends GenServerProcess {}

  it('rejects with InvalidOptionError naming the option', async () => {
    const t = await bootApp([Plain]);
    const throwing = (key: string) => Object.defineProperty({ name: 'p' }, key, { get() { throw new Error(`${key} getter`); }, enumerable: true });
    for (const key of ['name', 'supervisor', 'stateStore', 'checkpoint', 'restart']) {
      const error = await t.runtime.start(Plain, throwing(key) as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe(`start options.${key}`);
    }
    await expect(t.runtime.start(Plain, new Proxy({}, { get() { throw new Error('trap'); } }) as never)).rejects.toBeInstanceOf(InvalidOptionError);
    expect(t.runtime.list()).toEqual([]);
    await t.close();
  });
});

describe('nothing of an abandoned incarnation outlives it (defects 3, 10)', () => {
  it('leaves no watchdog timer behind a handler abandoned at close', async () => {
    @GenServer({ name: 'stuck_forever', handlerTimeoutMs: 60_000, shutdownMs: 20 })
    class StuckForever extends GenServerProcess {
      @HandleCast('hang') hang() {
        return new Promise(() => undefined);
      }
    }
    const t = await bootApp([StuckForever], { telemetry: false });
    const cell = t.app.get(GenServerKernel).lookup('stuck_forever') as unknown as { runner: { watchdog: unknown } };
    await t.runtime.cast('stuck_forever', { type: 'hang' });
    await sleep(5);
    expect(cell.runner.watchdog).not.toBeNull();
    await t.close();
    expect(cell.runner.watchdog).toBeNull();
  });

  it('leaves no init timer, no late log and no terminate behind an init abandoned at close', async () => {
    const terminated: ExitReason[] = [];
    @GenServer({ name: 'slow_boot', initTimeoutMs: 600, shutdownMs: 20 })
    class SlowBoot extends GenServerProcess {
      static calls = 0;
      override async init() {
        if (++SlowBoot.calls > 1) await new Promise(() => undefined); // its restart hangs
      }
      @HandleCast('crash') crash() {
        throw new Error('crash');
      }
      override terminate(reason: ExitReason) {
        terminated.push(reason);
      }
    }
    const t = await bootApp([SlowBoot], { telemetry: false });
    const cell = t.app.get(GenServerKernel).lookup('slow_boot') as unknown as { live: { limit: unknown } | null };
    await t.runtime.cast('slow_boot', { type: 'crash' });
    await sleep(20); // the restart's init hangs
    const hanging = cell.live!;
    expect(hanging.limit).not.toBeNull();
    const closed = Date.now();
    await t.close();
    expect(Date.now() - closed).toBeLessThan(600); // close did not wait out initTimeoutMs
    expect(hanging.limit).toBeNull();
    const logged = t.logger.lines.length;
    await sleep(700);
    expect(t.logger.lines.length).toBe(logged);
    expect(terminated).toHaveLength(1); // the crashed incarnation's, not the one whose init never returned
  });

  it('refuses calls and casts from an incarnation that has ended', async () => {
    @Injectable()
    class Seen {
      readonly results: unknown[] = [];
      readonly done = gate();
    }
    @GenServer({ name: 'leaky', initTimeoutMs: 20 })
    class Leaky extends GenServerProcess {
      constructor(private readonly seen: Seen) {
        super();
      }
      static inits = 0;
      override async init() {
        if (++Leaky.inits !== 2) return;
        await sleep(60); // overruns initTimeoutMs: this incarnation is abandoned, but goes on
        this.seen.results.push(await this.cast('leaky', { type: 'note' }).catch((e: unknown) => e));
        this.seen.done.open();
      }
      @HandleCast('crash') crash() {
        throw new Error('crash');
      }
      @HandleCast('note') note() {
        this.seen.results.push('a message of the ended incarnation arrived');
      }
    }
    const t = await bootApp([Seen, Leaky], { maxRestarts: 10 });
    await t.runtime.cast('leaky', { type: 'crash' });
    await t.app.get(Seen).done.promise;
    await sleep(10);
    expect(t.app.get(Seen).results).toEqual([expect.any(ProcessStoppedError)]);
    await t.close();
  });
});
