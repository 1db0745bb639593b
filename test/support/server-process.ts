import { spawn, type ChildProcess } from 'node:child_process';

/** A server the tests started as a child process: stopped with SIGTERM, awaited until it exits. */
export interface ServerProcess {
  stop(): Promise<void>;
}

/**
 * Starts `command` and waits (at most 10 s) until its output says `ready`. A missing binary is
 * reported with the Debian package that provides it.
 */
export async function startServerProcess(command: string, args: string[], ready: string, debianPackage: string): Promise<ServerProcess> {
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${command} did not start:\n${output}`)), 10_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command} (${error.message}): install it with apt-get install -y ${debianPackage}`));
    });
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
