import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * Signals for chaos in tests: freeze a server (a stalled node, a network that stops answering),
 * thaw it, or kill it without letting it clean up. Each resolves once the signal has taken effect
 * (a signal is delivered asynchronously: right after `kill(2)` returns, a multi-threaded server like
 * nats-server may still answer for a few milliseconds). None of them throws for a process that is
 * already gone; each answers whether the signal was delivered.
 */

/** SIGSTOP: resolves when every thread of the process has stopped (its sockets stay open, nothing answers) until `resume`. */
export async function pause(pid: number): Promise<boolean> {
  if (!signal(pid, 'SIGSTOP')) return false;
  await until(pid, (states) => states.every((state) => state === 'T' || state === 't' || dead(state)));
  return true;
}

/** SIGCONT: resolves when no thread of a paused process is stopped any more. */
export async function resume(pid: number): Promise<boolean> {
  if (!signal(pid, 'SIGCONT')) return false;
  await until(pid, (states) => !states.includes('T'));
  return true;
}

/** SIGKILL: resolves when the process has ended (without cleanup); a child of ours may linger as a zombie until Node reaps it. */
export async function killHard(pid: number): Promise<boolean> {
  if (!signal(pid, 'SIGKILL')) return false;
  await until(pid, (states) => states.every(dead));
  return true;
}

/** Sends the signal; false when the process is gone (or dead and not yet reaped: a zombie). */
function signal(pid: number, name: NodeJS.Signals): boolean {
  // 0 and negative ids mean process groups to kill(2): never what a test means (it would stop jest)
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`not a process id: ${pid}`);
  const states = threadStates(pid);
  if (states.length > 0 && states.every(dead)) return false;
  try {
    process.kill(pid, name);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Waits (at most 2 s) until the states of the process's threads satisfy `done`, or the process is
 * gone. Where there is no /proc (not Linux) it cannot look, and returns at once.
 */
async function until(pid: number, done: (states: string[]) => boolean): Promise<void> {
  if (!existsSync('/proc/self/task')) return;
  const deadline = Date.now() + 2_000;
  for (;;) {
    const states = threadStates(pid);
    if (states.length === 0 || done(states)) return;
    if (Date.now() > deadline) throw new Error(`process ${pid} did not change state in 2 s (threads: ${states.join('')})`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const dead = (state: string) => state === 'Z' || state === 'X';

/** One letter per thread (R, S, T, Z, …), read from /proc; empty when the process is gone. */
function threadStates(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        return [stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)];
      } catch {
        return []; // the thread ended while we looked
      }
    });
  } catch {
    return [];
  }
}
