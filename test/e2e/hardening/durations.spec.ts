import { GenServer, GenServerProcess, HandleCall, HandleInfo, InvalidOptionError, type TimerRef } from 'nestjs-genserver';
import { bootApp, sleep } from '../../support/app.js';

// #9 defect 5: one duration rule (0..2^31-1 ms, or Infinity: no timer) everywhere.

@GenServer({ type: 'slowish' })
class Slowish extends GenServerProcess<{ fired: number; ref?: TimerRef }> {
  override init() {
    this.state = { fired: 0 };
  }
  @HandleCall('work') async work() {
    await sleep(30);
    return 'done';
  }
  @HandleCall('arm') arm(msg: { type: 'arm'; ms: unknown }) {
    this.state.ref = this.sendAfter(msg.ms as number, { type: 'fire' });
    return 'armed';
  }
  @HandleCall('cancel') cancel() {
    return this.cancelTimer(this.state.ref!);
  }
  @HandleInfo('fire') fire() {
    this.state.fired++;
  }
  @HandleCall('fired') count() {
    return this.state.fired;
  }
}

describe('durations (#9, defect 5)', () => {
  it('refuses a handler timeout of 2^31 ms or more instead of killing a 30 ms handler', async () => {
    const t = await bootApp([Slowish]);
    await expect(t.runtime.start(Slowish, { name: 'a', handlerTimeoutMs: 3_000_000_000 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(t.runtime.start(Slowish, { name: 'b', shutdownMs: 2 ** 31 })).rejects.toThrow(/shutdownMs/);
    await expect(t.runtime.start(Slowish, { name: 'c', initTimeoutMs: -1 })).rejects.toThrow(/initTimeoutMs/);
    await t.runtime.start(Slowish, { name: 'd', handlerTimeoutMs: Infinity, shutdownMs: Infinity, initTimeoutMs: Infinity });
    await expect(t.runtime.call('d', { type: 'work' })).resolves.toBe('done');
    expect(t.runtime.list()).toEqual(['d']);
    await t.close();
  });

  it('refuses a string or array call timeout (as a query parameter arrives) instead of waiting 25 days', async () => {
    const t = await bootApp([Slowish]);
    await t.runtime.start(Slowish, { name: 'p' });
    for (const timeout of ['50', [50], NaN, -1, 2 ** 31, {}]) {
      const error = await t.runtime.call('p', { type: 'work' }, { timeout: timeout as number }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe('call timeout');
    }
    await expect(t.runtime.call('p', { type: 'work' }, { timeout: Infinity })).resolves.toBe('done');
    // null, like undefined, means the module's default (as it arrives where strictNullChecks is off)
    await expect(t.runtime.call('p', { type: 'work' }, { timeout: null as unknown as number })).resolves.toBe('done');
    await t.close();
  });

  it('sendAfter: 2^31 ms is refused; Infinity arms no timer that fires, and can be cancelled', async () => {
    const t = await bootApp([Slowish]);
    await t.runtime.start(Slowish, { name: 'p' });
    await expect(t.runtime.call('p', { type: 'arm', ms: 2 ** 31 })).rejects.toMatchObject({ cause: expect.any(InvalidOptionError) });
    await expect(t.runtime.call('p', { type: 'arm', ms: Infinity })).resolves.toBe('armed');
    await sleep(20);
    await expect(t.runtime.call('p', { type: 'fired' })).resolves.toBe(0);
    await expect(t.runtime.call('p', { type: 'cancel' })).resolves.toBe(true);
    await t.close();
  });
});
