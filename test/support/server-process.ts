import { spawn, type ChildProcess } from 'node:child_process';

/** A server the tests started as a child process. */
export interface ServerProcess {
  /** The child's process id (for `pause`/`resume` in `os-process.ts`). */
  readonly pid: number;
  /** SIGTERM (after SIGCONT, in case a test paused it), then SIGKILL if it has not exited within 5 s; resolves when it has exited. */
  stop(): Promise<void>;
  /** SIGKILL, no chance to clean up; resolves when it has exited. */
  kill(): Promise<void>;
}

/**
 * Starts `command` and waits (at most 10 s) until its output says `ready`. A missing binary is
 * reported with the Debian package that provides it; a server that exits before it is ready (a
 * taken port, a bad config) is reported with its output.
 */
export async function startServerProcess(command: string, args: string[], ready: string, debianPackage: string): Promise<ServerProcess> {
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`${command} did not start:\n${output}`)), 10_000);
    const cannotRun = (error: Error) => fail(new Error(`cannot run ${command} (${error.message}): install it with apt-get install -y ${debianPackage}`));
    const exitedEarly = (code: number | null, signal: string | null) => fail(new Error(`${command} exited (${signal ?? code}) before it was ready:\n${output}`));
    child.once('error', cannotRun);
    child.once('exit', exitedEarly);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes(ready)) return;
      clearTimeout(timer);
      child.off('error', cannotRun).off('exit', exitedEarly);
      // keep draining the pipes (a full pipe would block the server), but stop collecting
      child.stdout!.off('data', read).resume();
      child.stderr!.off('data', read).resume();
      resolve();
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    pid: child.pid!,
    stop: async () => {
      if (!running()) return;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(escalate);
    },
    kill: async () => {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
