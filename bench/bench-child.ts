import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A bench script running in an OS process of its own, driven line by line over its stdin and stdout. */
export interface BenchChild {
  /** Sends one line; resolves with the next line the child prints. */
  ask(line: string): Promise<string>;
  /** SIGTERM (the child closes its app), SIGKILL after 5 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `out/bench/<script>` with this process's Node flags (so `--cpu-prof` profiles it too) and
 * waits for its first line, `ready`. A child that exits before is an error with what it printed.
 */
export function startBenchChild(script: string, args: string[]): Promise<BenchChild> {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, path, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  const printed: string[] = [];
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else printed.push(line);
  });
  const nextLine = () => new Promise<string>((resolve) => (printed.length > 0 ? resolve(printed.shift()!) : waiting.push(resolve)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const early = (code: number | null) => reject(new Error(`bench child ${script} exited (${code}) before it was ready`));
    child.once('exit', early);
    void nextLine().then((line) => {
      if (line !== 'ready') return reject(new Error(`bench child ${script} printed "${line}" instead of ready`));
      child.off('exit', early);
      resolve({
        ask: async (line) => {
          const answer = nextLine();
          child.stdin!.write(`${line}\n`);
          const text = await answer;
          if (text.startsWith('error ')) throw new Error(`bench child ${script}: ${text.slice(6)}`);
          return text;
        },
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const escalate = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(escalate);
        },
      });
    });
  });
}

/**
 * The child's side: prints `ready`, then answers each line with `answer(line)` (a failure as
 * `error <message>`), one at a time. `close` runs on SIGTERM, or when the parent goes (stdin ends).
 */
export function serveBenchChild(answer: (line: string) => Promise<string>, close: () => Promise<unknown>): void {
  let closing: Promise<void> | null = null;
  const exit = () => (closing ??= close().then(() => process.exit(0), () => process.exit(1)));
  process.once('SIGTERM', exit);
  const lines = createInterface({ input: process.stdin });
  lines.once('close', exit);
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    queue = queue.then(async () => {
      const text = await answer(line).catch((error: unknown) => `error ${error instanceof Error ? error.message : String(error)}`);
      process.stdout.write(`${text}\n`);
    });
  });
  process.stdout.write('ready\n');
}
