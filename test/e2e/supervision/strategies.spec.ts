import type { ExitReason, RestartStrategy, RestartType } from 'nestjs-genserver';
import { bootApp, nextEvent } from '../../support/app.js';
import { Journal, reasonText, Worker } from '../../support/workers.js';

const strategies: RestartStrategy[] = ['one_for_one', 'one_for_all', 'rest_for_one'];
const restartTypes: RestartType[] = ['permanent', 'transient', 'temporary'];
const reasons: (ExitReason | 'crash')[] = ['crash', 'normal', 'shutdown', { shutdown: 'bye' }];

const cases = strategies.flatMap((strategy) =>
  restartTypes.flatMap((restart) => reasons.map((reason) => ({ strategy, restart, reason }))),
);

/** OTP's rule: permanent always, transient after an abnormal exit, temporary never. */
const restarted = (restart: RestartType, reason: ExitReason | 'crash') =>
  restart === 'permanent' || (restart === 'transient' && reason === 'crash');

/** What the journal must show after `b` exits, children a, b, c started in that order. */
function expectedJournal(strategy: RestartStrategy, restart: RestartType, reason: ExitReason | 'crash'): string[] {
  const exit = `terminate b ${reason === 'crash' ? 'error(boom)' : reasonText(reason)}`;
  if (!restarted(restart, reason)) return [exit];
  switch (strategy) {
    case 'one_for_one':
      return [exit, 'init b'];
    case 'one_for_all':
      return [exit, 'terminate c shutdown', 'terminate a shutdown', 'init a', 'init b', 'init c'];
    case 'rest_for_one':
      return [exit, 'terminate c shutdown', 'init b', 'init c'];
  }
}

describe('strategies × restart types × exit reasons', () => {
  it.each(cases)('$strategy, b $restart, exit $reason', async ({ strategy, restart, reason }) => {
    const t = await bootApp([Journal, Worker], {
      supervision: {
        name: 'root',
        children: [
          {
            supervisor: {
              name: 'sup',
              strategy,
              maxRestarts: 10,
              children: [
                { name: 'a', type: Worker },
                { name: 'b', type: Worker, restart },
                { name: 'c', type: 'worker' },
              ],
            },
          },
        ],
      },
    });
    const journal = t.app.get(Journal);
    expect(journal.lines).toEqual(['init a', 'init b', 'init c']);
    const mark = journal.mark();
    const before = Object.fromEntries(['a', 'b', 'c'].map((n) => [n, t.runtime.whereis(n)!.incarnation]));
    const last = !restarted(restart, reason) ? 'b' : strategy === 'one_for_one' ? 'b' : 'c';
    const settled = nextEvent(t.runtime.events$, (e) => e.name === last && e.type === (restarted(restart, reason) ? 'restarted' : 'stopped'));

    await t.runtime.cast('b', { type: 'exit', reason });
    await settled;

    expect(journal.since(mark)).toEqual(expectedJournal(strategy, restart, reason));
    const bumped = (n: string) => t.runtime.whereis(n)?.incarnation === before[n]! + 1;
    if (!restarted(restart, reason)) {
      expect(t.runtime.whereis('b')).toBeUndefined();
      expect(bumped('a') || bumped('c')).toBe(false);
    } else {
      expect(bumped('b')).toBe(true);
      expect(bumped('a')).toBe(strategy === 'one_for_all');
      expect(bumped('c')).toBe(strategy !== 'one_for_one');
    }
    // Only a crash is logged as an error; orderly exits are not.
    expect(t.logger.at('error').length > 0).toBe(reason === 'crash');
    await t.close();
  });
});
